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
from concurrent.futures import Future
from pathlib import Path
from typing import Any

_CHUNK = 65536


class TlsFront:
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
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="lab-talos-tls", daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    def start(self) -> TlsFront:
        self._thread.start()
        ready: Future[asyncio.base_events.Server] = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._relay, self._host, self._port, ssl=self._tls), self._loop)
        self._server = ready.result(timeout=5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=5)
            self._server = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()

    def roles_for_peer(self, peer: str) -> frozenset[str]:
        """Roles of the client relayed from ``peer`` (a gRPC ``context.peer()`` string)."""
        port = int(peer.rsplit(":", 1)[-1]) if peer.startswith("ipv4:") else -1
        with self._lock:
            return self._roles.get(port, frozenset())

    async def _close(self) -> None:
        """Stop accepting, drop every relayed connection at once, and let their tasks finish."""
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)
        await self._server.wait_closed()

    def _track(self, *writers: asyncio.StreamWriter) -> None:
        self._writers.update(writers)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)

    def _untrack(self, *writers: asyncio.StreamWriter) -> None:
        for writer in writers:
            writer.close()
            self._writers.discard(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.discard(task)

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self._track(client_writer)
        roles = _organizations(client_writer.get_extra_info("peercert"))
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
            await asyncio.gather(_pump(client_reader, backend_writer), _pump(backend_reader, client_writer))
        finally:
            with self._lock:
                self._roles.pop(port, None)
            self._untrack(client_writer, backend_writer)


def _organizations(peercert: Any) -> frozenset[str]:
    subject = (peercert or {}).get("subject", ())
    return frozenset(value for rdn in subject for key, value in rdn if key == "organizationName")


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(_CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        writer.close()
