"""Faults injected into a running lab at run time, through a Unix socket the daemon serves.

    python -m lab fault --dir DIR bgp-suppress node=mini02 prefix=172.29.52.200/32
    python -m lab fault --dir DIR clear
    inject(lab_dir, "bgp-session-down", node="mini03")        # the same from Python (fault tests)

A fault makes one stand-in misbehave the way a real component can; ``clear`` undoes them all.
Faults that a real operator could cause through the Kubernetes API (a wrong pool, a deleted
policy) are injected through the API instead, not here.
"""

from __future__ import annotations

import json
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

SOCKET = "faults.sock"
Handler = Callable[[dict[str, str]], Callable[[], None]]   # apply(args) -> undo


class FaultError(Exception):
    """The daemon refused or failed to apply a fault; the message is one line."""


class FaultRegistry:
    def __init__(self) -> None:
        self._handlers: dict[str, Handler] = {}
        self._undo: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def register(self, name: str, handler: Handler) -> None:
        self._handlers[name] = handler

    def apply(self, name: str, args: dict[str, str]) -> str:
        with self._lock:
            if name == "clear":
                while self._undo:
                    self._undo.pop()()
                return "cleared"
            if name not in self._handlers:
                raise FaultError(f"unknown fault {name!r}; known: clear, {', '.join(sorted(self._handlers))}")
            try:
                self._undo.append(self._handlers[name](args))
            except KeyError as exc:  # an argument the handler needs, or a lookup of a bad value inside it
                key = str(exc.args[0]) if exc.args else ""
                if key.isidentifier() and key not in args:
                    raise FaultError(f"fault {name} needs argument {key!r}") from None
                raise FaultError(f"fault {name}: {key}") from None
            return f"applied {name} {args}"


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    registry: FaultRegistry


class _Request(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: Any = self.server
        try:
            request = json.loads(self.rfile.readline())
            reply = {"ok": server.registry.apply(str(request["fault"]), dict(request.get("args") or {}))}
        except (FaultError, ValueError, KeyError) as exc:
            reply = {"error": str(exc)}
        except Exception as exc:  # a stand-in failed while applying: report it, keep serving
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        self.wfile.write(json.dumps(reply).encode() + b"\n")


def serve(lab_dir: Path, registry: FaultRegistry) -> _Server:
    path = lab_dir / SOCKET
    path.unlink(missing_ok=True)
    server = _Server(str(path), _Request)
    os.chmod(path, 0o600)
    server.registry = registry
    # shutdown() waits for serve_forever to notice (0.5 s by default): poll briskly, lab down is timed
    threading.Thread(target=server.serve_forever, args=(0.05,), name="lab-faults", daemon=True).start()
    return server


def inject(lab_dir: Path, fault: str, timeout: float = 30.0, **args: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(lab_dir / SOCKET))
        except OSError as exc:
            raise FaultError(f"no lab fault control at {lab_dir / SOCKET}: {exc.strerror or exc}") from None
        sock.sendall(json.dumps({"fault": fault, "args": args}).encode() + b"\n")
        reply = json.loads(sock.makefile().readline() or "{}")
    if "error" in reply:
        raise FaultError(str(reply["error"]))
    return str(reply.get("ok", ""))
