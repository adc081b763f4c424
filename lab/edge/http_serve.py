"""Tiny HTTP stand-ins behind nginx: request/response values and a Unix-socket server.

    server = UnixHttpServer(Path("/tmp/lab/outpost.sock"), outpost.handle); server.start()
    # nginx: proxy_pass http://unix:/tmp/lab/outpost.sock: ;  server.stop()

Handlers are plain functions ``Request -> Response`` so their logic is testable without
sockets. A Unix socket is reachable from every network namespace (it lives in the file
system), so one server answers the nginx of every node; nginx forwards the original Host
and scheme in ``Host`` and ``X-Forwarded-Proto``.
"""

from __future__ import annotations

import json
import os
import socketserver
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

POLL_S = 0.05  # serve_forever's shutdown poll


@dataclass(frozen=True)
class Request:
    method: str
    host: str
    target: str                                   # path + query, as sent
    cookies: dict[str, str] = field(default_factory=dict, repr=False)
    form: dict[str, str] = field(default_factory=dict, repr=False)
    scheme: str = "https"
    backend: str = ""                             # X-Lab-Backend: the Service nginx routed to
    body: str = field(default="", repr=False)     # the raw request body (JSON APIs read it)
    headers: dict[str, str] = field(default_factory=dict, repr=False)   # lower-cased names

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    def query(self, name: str) -> str | None:
        values = parse_qs(urlsplit(self.target).query).get(name)
        return values[0] if values else None

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}{self.target}"

    def json(self) -> object:
        """The body as JSON (``None`` when it is not JSON)."""
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Response:
    status: int
    body: str = ""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def redirect(cls, location: str, *, status: int = 302,
                 cookies: tuple[str, ...] = ()) -> Response:
        return cls(status, "", (("Location", location), *(("Set-Cookie", c) for c in cookies)))

    @classmethod
    def page(cls, status: int, title: str, text: str, *, cookies: tuple[str, ...] = ()) -> Response:
        body = f"<!doctype html><html><head><title>{title}</title></head><body>{text}</body></html>\n"
        return cls(status, body, (("Content-Type", "text/html; charset=utf-8"),
                                  *(("Set-Cookie", c) for c in cookies)))

    @classmethod
    def json_body(cls, status: int, doc: object) -> Response:
        """A JSON answer, as Authentik's API (Django REST framework) sends it."""
        return cls(status, json.dumps(doc), (("Content-Type", "application/json"),))

    def with_cookies(self, cookies: tuple[str, ...]) -> Response:
        return Response(self.status, self.body, (*self.headers, *(("Set-Cookie", c) for c in cookies)))


Handler = Callable[[Request], Response]


def _parse_cookies(header: str) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def _make_handler(app: Handler) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            is_json = "json" in (self.headers.get("Content-Type") or "")
            form = {} if is_json else {k: v[0] for k, v in parse_qs(body).items()}
            request = Request(self.command, (self.headers.get("Host") or "").split(":")[0],
                              self.path, _parse_cookies(self.headers.get("Cookie") or ""), form,
                              self.headers.get("X-Forwarded-Proto") or "http",
                              self.headers.get("X-Lab-Backend") or "", body,
                              {k.lower(): v for k, v in self.headers.items()})
            response = app(request)
            payload = response.body.encode()
            self.send_response(response.status)
            for name, value in response.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _serve

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002 (stdlib name)
            return  # requests may carry codes and cookies: never logged

        def address_string(self) -> str:
            return "unix"

    return _Handler


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class UnixHttpServer:
    def __init__(self, path: Path, app: Handler) -> None:
        self.path, self._app = path, app
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self.path.exists():
            self.path.unlink()
        self._server = _Server(str(self.path), _make_handler(self._app))
        os.chmod(self.path, 0o660)
        # a short poll interval: shutdown() waits for the loop to notice, 0.5 s by default per server
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_S,),
                                        name=f"http-{self.path.name}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.path.exists():
            self.path.unlink()
