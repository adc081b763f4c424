"""A loopback TLS bridge so gRPC can reach apid with Talos's Ed25519 keys.

    with TlsBridge(context.addresses, context) as bridge:
        channel = grpc.insecure_channel(bridge.local_target)     # bytes leave the machine only inside mTLS

Talos signs its OS CA, apid's server certificate and talosconfig client certificates with Ed25519
(siderolabs/crypto v0.6.0 x509/options.go:151 defaults to ``PureEd25519``; x509/keypair.go:31-47 makes a
leaf of the CA's algorithm). grpcio's TLS stack refuses Ed25519 (grpc/grpc#24252:
NO_COMMON_SIGNATURE_ALGORITHMS), while Python's OpenSSL-backed ``ssl`` handles it. So gRPC speaks
cleartext HTTP/2 to a private Unix socket, and each accepted connection is relayed inside a verified
mTLS session to the first endpoint of the context that completes one, in the talosconfig's order
(talosctl instead spreads calls over every endpoint with gRPC's round_robin, resolver/roundrobin.go:68-108;
the evidence is the same since every endpoint proxies to the same nodes).

The TLS client is configured like talosctl's (pkg/machinery/client/connection.go:115-142): the context's
CA, or the system trust store when ``ca`` is empty; the client certificate when ``crt``/``key`` are
set; ALPN ``h2``, which grpc-go insists on (v1.71.3 credentials/tls.go:160-166); TLS 1.2 at least.
The key reaches OpenSSL through an anonymous memory file (``memfd_create``): it is never written to
disk (a 0600 file in a private 0700 directory, removed at once, only where memfd is missing).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import tempfile
from collections.abc import Iterator, Sequence
from types import TracebackType

from harness.core.errors import TalosConfigError
from harness.probes.talos.config import Endpoint, TalosContext
from harness.probes.talos.relay import Relay

ALPN = "h2"


def client_ssl_context(context: TalosContext) -> ssl.SSLContext:
    """Verify the server like talosctl and present the context's client certificate, if it has one."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    if context.ca_pem is None:
        tls.load_default_certs(ssl.Purpose.SERVER_AUTH)
    else:
        tls.load_verify_locations(cadata=context.ca_pem.decode())
    if context.crt_pem is not None and context.key_pem is not None:
        try:
            with _private_files(context.crt_pem, context.key_pem) as (crt, key):
                tls.load_cert_chain(crt, key)
        except ssl.SSLError as exc:
            raise TalosConfigError(f"{context.where}: crt and key do not form a usable pair") from exc
    tls.set_alpn_protocols([ALPN])
    return tls


@contextlib.contextmanager
def _private_files(*contents: bytes) -> Iterator[tuple[str, ...]]:
    """Paths OpenSSL can open that hold ``contents``: memfds, or 0600 files in a fresh 0700 directory."""
    if hasattr(os, "memfd_create"):
        fds: list[int] = []
        try:
            for data in contents:
                fd = os.memfd_create("talos-client", os.MFD_CLOEXEC)
                fds.append(fd)
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            paths = tuple(f"/proc/self/fd/{fd}" for fd in fds)
            if all(os.path.exists(path) for path in paths):
                yield paths
                return
        finally:
            for fd in fds:
                os.close(fd)
    private = tempfile.mkdtemp(prefix="talos-")  # 0700
    try:
        files: list[str] = []
        for index, data in enumerate(contents):
            path = os.path.join(private, f"{index}.pem")
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            files.append(path)
        yield tuple(files)
    finally:
        shutil.rmtree(private, ignore_errors=True)


class TlsBridge(Relay):
    """Relay a private Unix socket to the first endpoint that completes mTLS; remembers the last TLS failure.

    A Unix socket, not loopback TCP: gRPC's own threads may live in another network namespace than
    the thread that made the client (the harness enters the lab's client namespace after start-up),
    and a filesystem socket is the same in every one of them.
    """

    def __init__(self, endpoints: Sequence[Endpoint], context: TalosContext, connect_timeout: float = 10.0) -> None:
        if not endpoints:
            raise TalosConfigError(f"{context.where}: no endpoints configured")
        self.endpoints = tuple(endpoints)
        self.connect_timeout = connect_timeout
        self._tls = client_ssl_context(context)
        self.last_tls_error: str | None = None
        self.connected: Endpoint | None = None
        self._dir = tempfile.mkdtemp(prefix="talos-bridge-")   # mode 0700: only this user can connect
        self.local_path = os.path.join(self._dir, "grpc.sock")
        super().__init__(f"talos-tls-{self.endpoints[0].target}")

    @property
    def endpoint(self) -> str:
        """The endpoint last connected to, or every endpoint (``a, b``) before any connection succeeded."""
        if self.connected is not None:
            return self.connected.target
        return ", ".join(e.target for e in self.endpoints)

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
        for endpoint in self.endpoints:
            remote = await self._connect(endpoint)
            if remote is not None:
                self.connected, self.last_tls_error = endpoint, None
                await self._splice((local_reader, local_writer), remote)
                return
        self.connected = None
        self._untrack(local_writer)

    async def _connect(self, endpoint: Endpoint) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(
                endpoint.host, endpoint.port, ssl=self._tls, server_hostname=endpoint.host), self.connect_timeout)
        except ssl.SSLCertVerificationError as exc:
            self.last_tls_error = f"TLS verification of {endpoint.target} failed: " \
                                  f"{exc.verify_message or 'certificate verify failed'}"
            return None
        except ssl.SSLError as exc:
            self.last_tls_error = f"TLS handshake with {endpoint.target} failed: {_describe(exc)}"
            return None
        except (TimeoutError, OSError):
            return None
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is None or ssl_object.selected_alpn_protocol() != ALPN:
            # grpc-go (talosctl) closes such a connection: "cannot check peer: missing selected ALPN property"
            self.last_tls_error = f"TLS handshake with {endpoint.target} failed: the server did not select ALPN {ALPN}"
            writer.transport.abort()
            return None
        return reader, writer

    def __enter__(self) -> TlsBridge:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _describe(exc: ssl.SSLError) -> str:
    reason = exc.reason or exc.__class__.__name__
    if "ALERT" in reason.upper():
        return f"server rejected the TLS session ({reason})"
    return reason

