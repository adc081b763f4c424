"""A byte relay on its own asyncio thread, whose connections all drop at once on stop().

    class Bridge(Relay):
        async def _relay(self, reader, writer): ...   # open the other side, then await self._splice(...)

The base of the harness's TLS bridge to apid and of the lab's TLS front of its Talos stand-in.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future

CHUNK = 65536


class Relay:
    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    def _serve(self, listen: Callable[[], Awaitable[asyncio.base_events.Server]]) -> asyncio.base_events.Server:
        """Start the loop thread (it inherits the caller's network namespace) and listen."""
        self._thread.start()
        ready: Future[asyncio.base_events.Server] = asyncio.run_coroutine_threadsafe(listen(), self._loop)  # type: ignore[arg-type]
        self._server = ready.result(timeout=5)
        return self._server

    def stop(self) -> None:
        if self._server is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(timeout=5)
            self._server = None
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        self._loop.close()

    async def _close(self) -> None:
        """Stop accepting, drop every relayed connection at once, and let their tasks finish."""
        assert self._server is not None, "the relay was never started"
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

    async def _splice(self, a: tuple[asyncio.StreamReader, asyncio.StreamWriter],
                      b: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        """Copy both ways until either side closes; both sides are closed afterwards."""
        self._track(b[1])
        try:
            await asyncio.gather(pump(a[0], b[1]), pump(b[0], a[1]))
        finally:
            self._untrack(a[1], b[1])


async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError, OSError):
        pass
    finally:
        writer.close()
