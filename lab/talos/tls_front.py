"""The stand-in's apid TLS front: mTLS with Ed25519 keys, relayed to a loopback gRPC server.

    front = TlsFront(server_pem_files, ca_pem, backend_port=inner).start()   # front.port is the endpoint
    front.roles_for_peer("ipv4:127.0.0.1:53122")                             # {"os:admin"}

grpcio cannot terminate TLS with Ed25519 keys (grpc/grpc#24252) but Talos uses them everywhere, so
Python's ``ssl`` terminates the session (client certificate required and verified against the lab
CA, ALPN "h2") and relays cleartext HTTP/2 to the gRPC server. The roles in the client
certificate's Organization are recorded against the relay's source port, so the servicer can
authorise the call as apid does.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path
from typing import Any

from harness.talos.relay import Relay

_CHUNK = 65536


class TlsFront(Relay):
    def __init__(self, cert_file: Path, key_file: Path, ca_pem: bytes, backend_port: int,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self._host, self._port = host, port
        self._tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self._tls.load_cert_chain(cert_file, key_file)
        self._tls.load_verify_locations(cadata=ca_pem.decode())
        self._tls.verify_mode = ssl.CERT_REQUIRED
        self._tls.set_alpn_protocols(["h2"])
        self._backend_port = backend_port
        self._roles: dict[int, frozenset[str]] = {}
        self._lock = threading.Lock()
        self.port = 0
        super().__init__("lab-talos-tls")

    def start(self) -> TlsFront:
        server = self._serve(lambda: asyncio.start_server(self._relay, self._host, self._port, ssl=self._tls))
        self.port = server.sockets[0].getsockname()[1]
        return self

    def roles_for_peer(self, peer: str) -> frozenset[str]:
        """Roles of the client relayed from ``peer`` (a gRPC ``context.peer()`` string)."""
        port = int(peer.rsplit(":", 1)[-1]) if peer.startswith("ipv4:") else -1
        with self._lock:
            return self._roles.get(port, frozenset())

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._track(client_writer)
        roles = _organizations(client_writer.get_extra_info("peercert"))
        try:
            backend_reader, backend_writer = await asyncio.open_connection("127.0.0.1", self._backend_port)
        except OSError:
            self._untrack(client_writer)
            return
        port = backend_writer.get_extra_info("sockname")[1]
        with self._lock:
            self._roles[port] = roles
        try:
            await self._splice((client_reader, client_writer), (backend_reader, backend_writer))
        finally:
            with self._lock:
                self._roles.pop(port, None)


def _organizations(peercert: Any) -> frozenset[str]:
    subject = (peercert or {}).get("subject", ())
    return frozenset(value for rdn in subject for key, value in rdn if key == "organizationName")
