"""The stand-in's apid TLS front: mTLS as apid configures it, relayed to a loopback gRPC server.

    front = TlsFront(cert_file, key_file, ca_pem, backend_port=inner).start()   # front.port is the endpoint
    front.roles_for_peer("ipv4:127.0.0.1:53122")                              # {"os:admin"}

grpcio cannot terminate TLS with Ed25519 keys (grpc/grpc#24252) but Talos uses them everywhere, so
Python's ``ssl`` terminates the session and relays cleartext HTTP/2 to the gRPC server. The roles in
the client certificate's Organization are recorded against the relay's source port, so the servicer
can authorise the call as apid does.

apid's server TLS config (siderolabs/talos v1.10.5 internal/app/apid/pkg/provider/provider.go:107-114:
``tls.New(WithClientAuthType(Mutual), ...)``) starts from siderolabs/crypto's ``defaultConfig``. In
crypto v0.6.0 (Talos v1.10.x; v0.5.x in v1.9.x) tls/tls.go:134-147 sets: curves X25519 only, the one
TLS 1.2 suite ECDHE-ECDSA-AES256-GCM-SHA384, TLS >= 1.2, session tickets off, ALPN "h2"; Mutual is
``RequireAndVerifyClientCert`` (tls.go:34-35). crypto v0.6.3 (Talos v1.11.x) dropped the curve and
suite lists for Go's defaults (commit 62a079b "fix: update TLS config"). grpc-go v1.71.3 (Talos
v1.10.5's) closes a connection that negotiated no ALPN (credentials/tls.go:160-166). Here:

- ``TALOS_1_10`` (the default): ``set_ecdh_curve("X25519")``, which with OpenSSL 3 sets the group list
  to X25519 alone (Python 3.11 has no ``set_groups``), ``set_ciphers`` for the TLS 1.2 suite; the TLS 1.3
  suites are OpenSSL's defaults (AES-128-GCM, AES-256-GCM, ChaCha20: the three Go offers too, which
  Go does not let apid configure).
- ``TALOS_1_11``: OpenSSL's default groups and suites. Go 1.24's defaults also offer X25519MLKEM768,
  which OpenSSL 3.0 cannot: a difference only a post-quantum-only client would notice.
- both: TLS >= 1.2, client certificate required and verified against the Talos CA, no session
  tickets, ALPN "h2" only; a session without ALPN "h2" is closed after the handshake, as grpc-go does.

The handshake runs on memory BIOs (``ssl.SSLObject``), not asyncio's SSL transport, so that a refused
handshake still sends its alert (handshake_failure, certificate_required, ...) before the socket closes,
as Go's TLS server does; asyncio's transport (3.11 sslproto) drops the alert and the client sees EOF.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.probes.talos.relay import CHUNK, Relay


@dataclass(frozen=True)
class ApidTls:
    """What apid's TLS listener offers, for one Talos minor version."""

    talos: str
    curves: str | None        # one OpenSSL group name, or None for OpenSSL's defaults
    tls12_ciphers: str | None  # OpenSSL cipher string for TLS 1.2, or None for the defaults


TALOS_1_10 = ApidTls("v1.10", curves="X25519", tls12_ciphers="ECDHE-ECDSA-AES256-GCM-SHA384")
TALOS_1_11 = ApidTls("v1.11", curves=None, tls12_ciphers=None)


def curve_settable(group: str) -> bool:
    """Whether this Python can limit key exchange to ``group``: ``set_ecdh_curve`` takes X25519 only
    where Python passes it to SSL_CTX_set1_groups_list (e.g. 3.11.7+); Debian 12's 3.11.2 looks names up
    as EC curves and answers "unknown group". Without it the front offers OpenSSL's default groups."""
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).set_ecdh_curve(group)
    except (ssl.SSLError, ValueError):
        return False
    return True


def server_ssl_context(cert_file: Path, key_file: Path, ca_pem: bytes, profile: ApidTls = TALOS_1_10) -> ssl.SSLContext:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.minimum_version = ssl.TLSVersion.TLSv1_2
    tls.load_cert_chain(cert_file, key_file)
    tls.load_verify_locations(cadata=ca_pem.decode())
    tls.verify_mode = ssl.CERT_REQUIRED
    tls.options |= ssl.OP_NO_TICKET
    if profile.curves is not None and curve_settable(profile.curves):
        tls.set_ecdh_curve(profile.curves)   # else: OpenSSL's default groups (X25519 first), see curve_settable
    if profile.tls12_ciphers is not None:
        tls.set_ciphers(profile.tls12_ciphers)
    tls.set_alpn_protocols(["h2"])
    return tls


class TlsFront(Relay):
    def __init__(self, cert_file: Path, key_file: Path, ca_pem: bytes, backend_port: int,
                 host: str = "127.0.0.1", port: int = 0, profile: ApidTls = TALOS_1_10) -> None:
        self._host, self._port = host, port
        self.profile = profile
        self._tls = server_ssl_context(cert_file, key_file, ca_pem, profile)
        self._backend_port = backend_port
        self._roles: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()
        self.port = 0
        super().__init__("lab-talos-tls")

    def roles_for_peer(self, peer: str) -> frozenset[str]:
        """Roles of the client relayed from ``peer`` (a gRPC ``context.peer()`` string)."""
        port = int(peer.rsplit(":", 1)[-1]) if peer.startswith("ipv4:") else -1
        with self._lock:
            return self._roles.get(port, frozenset())

    def start(self) -> TlsFront:
        """Listen on plain TCP; each connection's TLS runs in ``_relay``."""
        server = self._serve(lambda: asyncio.start_server(self._relay, self._host, self._port))
        self.port = server.sockets[0].getsockname()[1]
        return self

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._track(client_writer)
        session = _ServerSession(self._tls, client_reader, client_writer)
        if not await session.handshake():
            self._untrack(client_writer)
            return
        if session.alpn != "h2":  # grpc-go: "cannot check peer: missing selected ALPN property"
            await session.close()
            self._untrack(client_writer)
            return
        roles = _organizations(session.peercert)
        try:
            backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", self._backend_port)
        except OSError:
            self._untrack(client_writer)
            return
        self._track(backend_writer)
        port = backend_writer.get_extra_info("sockname")[1]
        with self._lock:
            self._roles[port] = roles
        try:
            await asyncio.gather(_upstream(session, backend_writer), _downstream(backend_reader, session))
        finally:
            with self._lock:
                self._roles.pop(port, None)
            self._untrack(client_writer, backend_writer)


class _ServerSession:
    """One server-side TLS session over a plain stream, driven through memory BIOs."""

    def __init__(self, tls: ssl.SSLContext, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._incoming, self._outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self._tls = tls.wrap_bio(self._incoming, self._outgoing, server_side=True)
        self._reader, self._writer = reader, writer

    @property
    def alpn(self) -> str | None:
        return self._tls.selected_alpn_protocol()

    @property
    def peercert(self) -> Any:
        return self._tls.getpeercert()

    async def handshake(self) -> bool:
        """True once established; False after a refusal, whose alert has been sent."""
        while True:
            try:
                self._tls.do_handshake()
            except ssl.SSLWantReadError:
                if not await self._flush() or not await self._fill():
                    return False
                continue
            except (ssl.SSLError, ssl.CertificateError, OSError):
                await self._flush()  # the alert
                return False
            return await self._flush()

    async def recv(self) -> bytes:
        """Plaintext from the client; b"" at its end."""
        while True:
            try:
                data = self._tls.read(CHUNK)
            except ssl.SSLWantReadError:
                if not await self._flush() or not await self._fill():
                    return b""
                continue
            except (ssl.SSLZeroReturnError, ssl.SSLError):
                return b""
            await self._flush()
            return data

    async def send(self, data: bytes) -> bool:
        try:
            self._tls.write(data)
        except ssl.SSLError:
            return False
        return await self._flush()

    async def close(self) -> None:
        with contextlib.suppress(ssl.SSLError):  # SSLWantReadError: the peer's close_notify is not awaited
            self._tls.unwrap()
        await self._flush()

    async def _fill(self) -> bool:
        try:
            data = await self._reader.read(CHUNK)
        except (ConnectionError, OSError):
            return False
        if not data:
            return False
        self._incoming.write(data)
        return True

    async def _flush(self) -> bool:
        data = self._outgoing.read()
        if not data:
            return True
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (ConnectionError, OSError):
            return False
        return True


async def _upstream(session: _ServerSession, backend: asyncio.StreamWriter) -> None:
    try:
        while data := await session.recv():
            backend.write(data)
            await backend.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        backend.close()


async def _downstream(backend: asyncio.StreamReader, session: _ServerSession) -> None:
    try:
        while data := await backend.read(CHUNK):
            if not await session.send(data):
                break
    except (ConnectionError, OSError):
        pass
    finally:
        await session.close()


def _organizations(peercert: Any) -> frozenset[str]:
    subject = (peercert or {}).get("subject", ())
    return frozenset(value for rdn in subject for key, value in rdn if key == "organizationName")
