"""A loopback TLS bridge so gRPC can reach apid with Talos's Ed25519 keys.

    with TlsBridge(context.endpoint_targets()[0], context) as bridge:
        channel = grpc.insecure_channel(bridge.local_target)     # bytes leave the machine only inside mTLS

Talos signs its OS CA, apid's server certificate and talosconfig client certificates with Ed25519
(siderolabs/crypto x509.NewKeyPair follows the CA's algorithm). grpcio's TLS stack refuses
Ed25519 (grpc/grpc#24252: NO_COMMON_SIGNATURE_ALGORITHMS), while Python's OpenSSL-backed ``ssl``
handles it. So gRPC speaks cleartext HTTP/2 to a listener on 127.0.0.1, and each accepted
connection is relayed inside a verified mTLS session (ALPN "h2") to the real endpoint.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import ssl
import tempfile
from pathlib import Path
from types import TracebackType

from harness.talos.config import TalosContext
from harness.talos.errors import TalosConfigError
from harness.talos.relay import Relay

_CHUNK = 65536


def client_ssl_context(context: TalosContext) -> ssl.SSLContext:
    """Verify the server against the context CA and present the context's client certificate."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_verify_locations(cadata=context.ca_pem.decode())
    with tempfile.TemporaryDirectory(prefix="talos-") as private:  # 0700; removed right after loading
        crt, key = Path(private) / "crt.pem", Path(private) / "key.pem"
        crt.write_bytes(context.crt_pem)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(context.key_pem)
        try:
            tls.load_cert_chain(crt, key)
        except ssl.SSLError:
            problem = "crt and key do not form a usable pair"
            raise TalosConfigError(f"talosconfig context {context.name!r}: {problem}") from None
    tls.set_alpn_protocols(["h2"])
    return tls


class TlsBridge(Relay):
    """Relay a private Unix socket to ``endpoint`` over mTLS; remembers the last TLS failure.

    A Unix socket, not loopback TCP: gRPC's own threads may live in another network namespace than
    the thread that made the client (the harness enters the lab's client namespace after start-up),
    and a filesystem socket is the same in every one of them.
    """

    def __init__(self, endpoint: str, context: TalosContext) -> None:
        self.endpoint = endpoint
        host, _, port = endpoint.rpartition(":")
        self._host, self._port = host.strip("[]"), int(port)
        self._tls = client_ssl_context(context)
        self.last_tls_error: str | None = None
        self._dir = tempfile.mkdtemp(prefix="talos-bridge-")   # mode 0700: only this user can connect
        self.local_path = os.path.join(self._dir, "grpc.sock")
        super().__init__(f"talos-tls-{endpoint}")

    @property
    def local_target(self) -> str:
        return f"unix:{self.local_path}"

    def start(self) -> TlsBridge:
        self._serve(lambda: asyncio.start_unix_server(self._relay, self.local_path))
        return self

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self._dir, ignore_errors=True)

    async def _relay(self, local_reader: asyncio.StreamReader, local_writer: asyncio.StreamWriter) -> None:
        self._track(local_writer)
        try:
            remote_reader, remote_writer = await asyncio.open_connection(
                self._host, self._port, ssl=self._tls, server_hostname=self._host)
        except ssl.SSLCertVerificationError as exc:
            self.last_tls_error = exc.verify_message or "certificate verify failed"
            self._untrack(local_writer)
            return
        except (ssl.SSLError, OSError) as exc:
            self.last_tls_error = _describe(exc) if isinstance(exc, ssl.SSLError) else None
            self._untrack(local_writer)
            return
        self.last_tls_error = None
        await self._splice((local_reader, local_writer), (remote_reader, remote_writer))

    def __enter__(self) -> TlsBridge:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _describe(exc: ssl.SSLError) -> str:
    reason = exc.reason or exc.__class__.__name__
    if "ALERT" in reason.upper():
        return f"server rejected the TLS session ({reason})"
    return reason
