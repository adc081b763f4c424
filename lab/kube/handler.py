"""The HTTP request handler: authentication, authorization, routing, logging, framing.

    handler_class = make_handler(ctx)     # a BaseHTTPRequestHandler subclass bound to one server

HTTP/1.1 keep-alive with Content-Length on every plain response and chunked transfer
encoding for watches. Authentication is by verified client certificate (CN user, O groups);
``system:masters`` may do everything, ``lab:read-only`` only get/list/watch
(https://kubernetes.io/docs/reference/access-authn-authz/rbac/#user-facing-roles).
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from . import discovery, openapi
from .api import Api
from .certs import Identity, identity_from_peercert
from .endpoints import Endpoints, Request
from .errors import ApiError
from .logs import LogEntry, RequestLog
from .resources import MUTATING_VERBS
from .routing import Route, parse_resource_path, split_group_version
from .watch import stream_watch

Obj = dict[str, Any]
READ_VERBS = frozenset({"get", "list", "watch"})
_METHOD_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}


@dataclass
class ServerContext:
    api: Api
    access_log: RequestLog
    audit_log: RequestLog
    stopping: threading.Event
    address: str
    bookmark_interval: float


def authorize(who: Identity, verb: str, route: Route) -> None:
    if "system:masters" in who.groups or ("lab:read-only" in who.groups and verb in READ_VERBS):
        return
    raise ApiError.forbidden(who.user, verb, route.rt.plural, route.rt.group, route.namespace or "")


def _non_resource(ctx: ServerContext, path: str) -> Obj | None:
    parts = [p for p in path.split("/") if p]
    reg = ctx.api.registry
    if path in ("/healthz", "/livez", "/readyz"):
        return {"ok": True}
    if parts == ["version"]:
        return discovery.VERSION_INFO
    if parts == ["api"]:
        return discovery.api_versions(ctx.address)
    if parts == ["apis"]:
        return discovery.group_list(reg)
    if len(parts) == 2 and parts[0] == "apis":
        return discovery.group(reg, parts[1])
    if parts[:2] == ["openapi", "v3"]:
        return openapi.root(reg) if len(parts) == 2 else openapi.group_version(reg, "/".join(parts[2:]))
    gv = split_group_version(parts)
    if gv is not None and not gv[2]:
        return discovery.resource_list(reg, gv[0], gv[1])
    return None


def make_handler(ctx: ServerContext) -> type[BaseHTTPRequestHandler]:
    endpoints = Endpoints(ctx.api)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "lab-kube-apiserver"

        def setup(self) -> None:
            super().setup()
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

        def _send(self, code: int, body: Obj) -> None:
            data = json.dumps(body, separators=(",", ":")).encode()
            head = (
                f"HTTP/1.1 {code} {self.responses.get(code, ('',))[0]}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
                f"Cache-Control: no-cache, private\r\n\r\n"
            ).encode()
            self.wfile.write(head + data)

        def _chunk(self, data: bytes) -> None:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")

        def _read(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _handle(self, method: str) -> None:
            url = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            req = Request(
                method,
                query,
                (self.headers.get("Content-Type") or "").split(";")[0].strip(),
                self._read(),
                self.headers.get("Accept") or "",
                self.headers.get("User-Agent") or "",
            )
            who = identity_from_peercert(self.connection.getpeercert())
            route: Route | None = None
            verb = _METHOD_VERBS.get(method, method.lower())
            try:
                if who is None:
                    raise ApiError.unauthorized()
                route = parse_resource_path(ctx.api.registry, url.path)
                if route is None:
                    code, body = self._non_resource(method, url.path)
                else:
                    verb = route.verb(method, query.get("watch", "").lower() in ("true", "1"))
                    authorize(who, verb, route)
                    if verb == "watch":
                        self._log(who, verb, method, url.path, route, 200)
                        self._watch(route, query)
                        return
                    code, body = endpoints.handle(route, verb, req)
            except ApiError as err:
                code, body = err.code, err.status()
            # logged before the answer leaves, as the real API server's audit backend records
            # ResponseComplete before the client can act on it: a client never outruns the log
            self._log(who, verb, method, url.path, route, code, body)
            self._send(code, body)

        def _non_resource(self, method: str, path: str) -> tuple[int, Obj]:
            if method != "GET":
                raise ApiError.method_not_allowed(method, path)
            doc = _non_resource(ctx, path)
            if doc is None:
                raise ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
            return 200, doc

        def _watch(self, route: Route, query: dict[str, str]) -> None:
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                b"Transfer-Encoding: chunked\r\nCache-Control: no-cache, private\r\n\r\n"
            )
            try:
                stream_watch(ctx.api, route, query, self._chunk, ctx.stopping, ctx.bookmark_interval)
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError, OSError):
                self.close_connection = True

        def _log(
            self,
            who: Identity | None,
            verb: str,
            method: str,
            path: str,
            route: Route | None,
            code: int,
            body: Obj | None = None,
        ) -> None:
            meta = (body or {}).get("metadata") or {} if code < 300 else {}
            entry = LogEntry(
                time=dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
                user=who.user if who else "",
                verb=verb,
                method=method,
                path=path,
                apiVersion=route.rt.api_version(route.version) if route else "",
                kind=route.rt.kind if route else "",
                resource=route.rt.plural if route else "",
                namespace=(route.namespace or "") if route else "",
                name=(route.name or meta.get("name") or "") if route else "",
                code=code,
            )
            ctx.access_log.write(entry)
            if verb in MUTATING_VERBS:
                ctx.audit_log.write(entry)

    return Handler
