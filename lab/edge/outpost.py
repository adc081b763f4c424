"""The Authentik proxy outpost stand-in (proxy mode): redirect to login, callback, proxy the app.

    outpost = Outpost(spec, idp, faults); outpost.set_hosts({"longhorn.k8s.home.geoffdavis.com"})
    outpost.handle(request)          # what authentik-proxy:9000 answers behind nginx

Flow reproduced from goauthentik/authentik internal/outpost/proxyv2/application
(application.go, oauth.go, mode_proxy.go):
unauthenticated → 302 ``/outpost.goauthentik.io/start?rd=<original URL>`` on the same host
→ 302 ``https://<authentik>/application/o/authorize/?client_id&redirect_uri&response_type=code
&scope&state`` (state kept in the session) → the IdP sends the browser to
``/outpost.goauthentik.io/callback?X-authentik-auth-callback=true&code&state`` → the outpost
redeems the code, stores the claims and 302s to ``rd``. The session cookie is named
``authentik_proxy_<first 8 hex of sha256(client_id)>`` (application.go), HttpOnly, Secure,
SameSite=Lax (session.go). Authenticated requests are proxied to the application.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from lab.edge.authentik import AUTHORIZE, CALLBACK_SIGNATURE, Authentik, callback_uri
from lab.edge.http_serve import Request, Response
from lab.edge.spec import EdgeSpec

START = "/outpost.goauthentik.io/start"
CALLBACK = "/outpost.goauthentik.io/callback"
SCOPES = "openid email profile ak_proxy"


def session_cookie_name(client_id: str) -> str:
    return "authentik_proxy_" + hashlib.sha256(client_id.encode()).hexdigest()[:8]


def app_page(host: str, user: str | None) -> Response:
    app = host.split(".")[0]
    who = f" for {user}" if user else ""
    return Response.page(200, app, f"<h1>{app}</h1><p>application {app} served{who}</p>")


@dataclass
class _Session:
    states: list[str] = field(default_factory=list)
    redirect: str | None = None
    user: str | None = None


class Outpost:
    def __init__(self, spec: EdgeSpec, idp: Authentik) -> None:
        self.spec, self.idp = spec, idp
        self.fault: str | None = None
        self._hosts: set[str] = set()
        self._sessions: dict[str, _Session] = {}
        self._lock = threading.Lock()

    def set_hosts(self, hosts: set[str]) -> None:
        """The hosts with a proxy provider (those whose Ingress routes to the outpost)."""
        for host in hosts:
            self.idp.register(host)
        with self._lock:
            self._hosts = set(hosts)

    def login_session(self, user: str, host: str) -> dict[str, str]:
        """An authenticated session for ``user`` at ``host``: {cookie name: value} (lab only)."""
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[sid] = _Session(user=user)
        return {session_cookie_name(self.spec.client_id(host)): sid}

    def handle(self, req: Request) -> Response:
        if req.host not in self._hosts:
            return Response.page(400, "authentik outpost", f"no application for host {req.host}")
        if self.fault == "outpost-bypass":
            return app_page(req.host, None)
        cookie = session_cookie_name(self.spec.client_id(req.host))
        sid = req.cookies.get(cookie, "")
        session = self._sessions.get(sid)
        if (req.query(CALLBACK_SIGNATURE) or "").lower() == "true" or req.path == CALLBACK:
            return self._callback(req, session)
        if req.path == START:
            return self._start(req, cookie, sid if session else "")
        if session is not None and session.user is not None:
            return app_page(req.host, session.user)
        return Response.redirect(f"https://{req.host}{START}?{urlencode({'rd': req.url})}")

    def _start(self, req: Request, cookie: str, sid: str) -> Response:
        sid = sid or secrets.token_urlsafe(24)
        session = self._sessions.get(sid) or _Session()
        state = secrets.token_urlsafe(32)
        session.states.append(state)
        rd = req.query("rd")
        if rd and urlsplit(rd).hostname == req.host:    # checkRedirectParam: only this host
            session.redirect = rd
        with self._lock:
            self._sessions[sid] = session
        query = urlencode({"client_id": self.spec.client_id(req.host),
                           "redirect_uri": self._redirect_uri(req.host),
                           "response_type": "code", "scope": SCOPES, "state": state})
        set_cookie = f"{cookie}={sid}; Path=/; HttpOnly; Secure; SameSite=Lax"
        return Response.redirect(f"https://{self.spec.authentik_host}{AUTHORIZE}?{query}",
                                 cookies=(set_cookie,))

    def _redirect_uri(self, host: str) -> str:
        if self.fault == "redirect-other-host":
            return callback_uri(f"not-{host}")
        return callback_uri(host)

    def _callback(self, req: Request, session: _Session | None) -> Response:
        state = req.query("state") or ""
        if session is None or state not in session.states:
            return Response.redirect(f"https://{req.host}/")   # no state saved: back to the host
        user = self.idp.redeem(req.query("code") or "", self.spec.client_id(req.host),
                               callback_uri(req.host))
        if user is None:
            session.states.remove(state)
            return Response.page(400, "authentik outpost", "failed to redeem code")
        session.states.clear()
        session.user = user
        return Response.redirect(session.redirect or f"https://{req.host}/")
