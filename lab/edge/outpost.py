"""The Authentik proxy outpost stand-in (proxy mode): redirect to login, callback, proxy the app.

    outpost = Outpost(spec, idp); outpost.set_hosts({"longhorn.k8s.home.geoffdavis.com"})
    outpost.handle(request)          # what authentik-proxy:9000 answers behind nginx

The flow of goauthentik/authentik internal/outpost/proxyv2/application 2025.x (files and stored
commits in fixtures/upstream/authentik/SOURCE.md):

- unauthenticated → ``redirectToStart``: the session remembers ``<external host><path>`` (the query
  is not kept) and is saved (Set-Cookie), 302 ``/outpost.goauthentik.io/start?rd=<that URL>``;
- ``/outpost.goauthentik.io/start`` → ``handleAuthStart``: ``rd`` is kept only if its host is the
  external host (``checkRedirectParam``), the state is an HS256 JWT signed with the provider's
  cookie secret carrying ``iss`` ``goauthentik.io/outpost/<client_id>``, ``sid`` (the session ID),
  ``state`` (random) and ``redirect``; session saved, 302 to the authorize URL built by Go's oauth2
  ``AuthCodeURL`` (``client_id, redirect_uri, response_type=code, scope, state``, sorted keys);
- the callback (``?X-authentik-auth-callback=true`` on any path, or ``/outpost.goauthentik.io/callback``)
  → ``handleAuthCallback``: a state that does not verify or names another session sends the user
  to the external host; the code is redeemed (a failure is a 400 here, as up to 2025.x's
  ``oauth_callback.go``), the claims stored, session saved, 302 to the state's ``redirect``.
The session cookie is ``authentik_proxy_<first 8 hex of sha256(client_id)>`` (application.go),
HttpOnly, Secure, SameSite=Lax, Path=/ (session.go, gorilla/sessions defaults).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from lab.edge.authentik import AUTHORIZE, CALLBACK_SIGNATURE, Authentik, callback_uri
from lab.edge.http_serve import Request, Response
from lab.edge.spec import EdgeSpec

START = "/outpost.goauthentik.io/start"
CALLBACK = "/outpost.goauthentik.io/callback"
SCOPES = "openid email profile ak_proxy"
SESSION_MAX_AGE = 86400 * 30               # gorilla/sessions' default MaxAge


def session_cookie_name(client_id: str) -> str:
    return "authentik_proxy_" + hashlib.sha256(client_id.encode()).hexdigest()[:8]


def app_page(host: str, user: str | None) -> Response:
    app = host.split(".")[0]
    who = f" for {user}" if user else ""
    return Response.page(200, app, f"<h1>{app}</h1><p>application {app} served{who}</p>")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def sign_state(claims: dict[str, str], key: bytes) -> str:
    """An HS256 JWT (header, claims, signature; base64url without padding)."""
    head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{_b64(hmac.new(key, f'{head}.{body}'.encode(), hashlib.sha256).digest())}"


def verify_state(token: str, key: bytes) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    want = _b64(hmac.new(key, f"{parts[0]}.{parts[1]}".encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(want, parts[2]):
        return None
    try:
        claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return claims if isinstance(claims, dict) else None


@dataclass
class _Session:
    sid: str
    redirect: str | None = None
    user: str | None = None


class Outpost:
    def __init__(self, spec: EdgeSpec, idp: Authentik) -> None:
        self.spec, self.idp = spec, idp
        self.fault: str | None = None
        self._hosts: set[str] = set()
        self._sessions: dict[str, _Session] = {}
        self._secret = secrets.token_bytes(32)        # the providers' cookie secret
        self._lock = threading.Lock()

    def set_hosts(self, hosts: set[str]) -> None:
        """The hosts with a proxy provider (those whose Ingress routes to the outpost)."""
        for host in hosts:
            self.idp.register(host)
        with self._lock:
            self._hosts = set(hosts)

    def login_session(self, user: str, host: str) -> dict[str, str]:
        """An authenticated session for ``user`` at ``host``: {cookie name: value} (lab only)."""
        session = _Session(secrets.token_urlsafe(32), user=user)
        with self._lock:
            self._sessions[session.sid] = session
        return {session_cookie_name(self.spec.client_id(host)): session.sid}

    def handle(self, req: Request) -> Response:
        if req.host not in self._hosts:
            return Response.page(400, "authentik outpost", f"no application for host {req.host}")
        if self.fault == "outpost-bypass":
            return app_page(req.host, None)
        with self._lock:
            session = self._sessions.get(req.cookies.get(self._cookie(req.host), ""))
        if (req.query(CALLBACK_SIGNATURE) or "").lower() == "true" or req.path == CALLBACK:
            return self._callback(req, session)
        if req.path == START:
            return self._start(req, session)
        if session is not None and session.user is not None:
            return app_page(req.host, session.user)
        return self._to_start(req, session)

    def _cookie(self, host: str) -> str:
        return session_cookie_name(self.spec.client_id(host))

    def _save(self, host: str, session: _Session, max_age: int = SESSION_MAX_AGE) -> str:
        with self._lock:
            self._sessions[session.sid] = session
        return f"{self._cookie(host)}={session.sid}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=Lax"

    def _to_start(self, req: Request, session: _Session | None) -> Response:
        session = session or _Session(secrets.token_urlsafe(32))
        back = f"https://{req.host}{req.path}"
        cookies: tuple[str, ...] = ()
        if session.redirect is None:
            session.redirect = back
            cookies = (self._save(req.host, session),)
        return Response.redirect(f"https://{req.host}{START}?{urlencode({'rd': back})}", cookies=cookies)

    def _start(self, req: Request, session: _Session | None) -> Response:
        session = session or _Session(secrets.token_urlsafe(32))
        rd = req.query("rd") or ""
        target = urlsplit(rd)
        forward = rd if rd and target.hostname in (req.host, None) else ""
        if forward and not target.hostname:
            forward = f"https://{req.host}{rd}"
        client_id = self.spec.client_id(req.host)
        state = sign_state({"iss": f"goauthentik.io/outpost/{client_id}", "sid": session.sid,
                            "state": _b64(secrets.token_bytes(32)), "redirect": forward}, self._secret)
        query = urlencode({"client_id": client_id, "redirect_uri": self._redirect_uri(req.host),
                           "response_type": "code", "scope": SCOPES, "state": state})
        return Response.redirect(f"https://{self.spec.authentik_host}{AUTHORIZE}?{query}",
                                 cookies=(self._save(req.host, session),))

    def _redirect_uri(self, host: str) -> str:
        if self.fault == "redirect-other-host":
            return callback_uri(f"not-{host}")
        return callback_uri(host)

    def _callback(self, req: Request, session: _Session | None) -> Response:
        client_id = self.spec.client_id(req.host)
        claims = verify_state(req.query("state") or "", self._secret)
        if (claims is None or session is None or claims.get("iss") != f"goauthentik.io/outpost/{client_id}"
                or claims.get("sid") != session.sid):
            return Response.redirect(f"https://{req.host}")          # no usable state: the external host
        user = self.idp.redeem(req.query("code") or "", client_id, callback_uri(req.host))
        if user is None:
            return Response.page(400, "authentik outpost", "failed to redeem code")
        session.user = user
        cookie = self._save(req.host, session, max_age=86400)
        return Response.redirect(str(claims.get("redirect") or f"https://{req.host}"), cookies=(cookie,))
