"""The Authentik server stand-in: login flow, authorize endpoint and code redemption.

    idp = Authentik(spec, password="..."); idp.register(host)      # one proxy provider per host
    idp.handle(Request("GET", spec.authentik_host, "/application/o/authorize/?client_id=..."))

Observable behaviour reproduced from goauthentik (docs: providers/proxy, add-secure-apps/
flows-stages/flow): ``/application/o/authorize/`` without a session sends the browser to
the default authentication flow ``/if/flow/default-authentication-flow/?next=...``; after
login it redirects to the client's registered ``redirect_uri`` with ``code`` and ``state``.
A redirect_uri that is not the one registered for the client is refused (400), as
Authentik's OAuth2 provider does for unmatched redirect URIs. Codes are single use.
"""

from __future__ import annotations

import html
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import quote, urlencode

from lab.edge.http_serve import Request, Response
from lab.edge.spec import EdgeSpec

AUTHORIZE = "/application/o/authorize/"
LOGIN_FLOW = "/if/flow/default-authentication-flow/"
SESSION_COOKIE = "authentik_session"
CALLBACK_PATH = "/outpost.goauthentik.io/callback"
CALLBACK_SIGNATURE = "X-authentik-auth-callback"


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)


def callback_uri(host: str) -> str:
    """What the outpost registers: goauthentik proxyv2 application.go builds the same URI."""
    return f"https://{host}{CALLBACK_PATH}?{CALLBACK_SIGNATURE}=true"


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    user: str


class Authentik:
    def __init__(self, spec: EdgeSpec) -> None:
        self.spec = spec
        self.credentials = Credentials(spec.lab_user, secrets.token_urlsafe(12))
        self._clients: dict[str, str] = {}          # client_id -> host
        self._sessions: dict[str, str] = {}         # authentik_session -> user
        self._codes: dict[str, _Grant] = {}
        self._lock = threading.Lock()

    def register(self, host: str) -> str:
        client_id = self.spec.client_id(host)
        with self._lock:
            self._clients[client_id] = host
        return client_id

    def redeem(self, code: str, client_id: str, redirect_uri: str) -> str | None:
        """The token endpoint, in-process: the user for a valid, unused code, else None."""
        with self._lock:
            grant = self._codes.pop(code, None)
        if grant is None or (grant.client_id, grant.redirect_uri) != (client_id, redirect_uri):
            return None
        return grant.user

    def handle(self, req: Request) -> Response:
        if req.path == AUTHORIZE:
            return self._authorize(req)
        if req.path == LOGIN_FLOW:
            return self._login(req)
        return Response.page(404, "authentik", "Not found")

    def _authorize(self, req: Request) -> Response:
        client_id, redirect_uri = req.query("client_id") or "", req.query("redirect_uri") or ""
        host = self._clients.get(client_id)
        if host is None:
            return Response.page(400, "authentik", "Unknown client_id")
        if redirect_uri != callback_uri(host):
            return Response.page(400, "authentik", "Redirect URI Error: the redirect_uri does "
                                 "not match the provider's registered URI")
        user = self._sessions.get(req.cookies.get(SESSION_COOKIE, ""))
        if user is None:
            return Response.redirect(f"{LOGIN_FLOW}?{urlencode({'next': req.target})}")
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._codes[code] = _Grant(client_id, redirect_uri, user)
        glue = "&" if "?" in redirect_uri else "?"
        return Response.redirect(f"{redirect_uri}{glue}"
                                 f"{urlencode({'code': code, 'state': req.query('state') or ''})}")

    def _login(self, req: Request) -> Response:
        next_url = req.form.get("next") or req.query("next") or "/"
        if not next_url.startswith("/"):
            next_url = "/"
        if req.method != "POST":
            return Response.page(200, "authentik", _login_form(next_url))
        given = (req.form.get("username", ""), req.form.get("password", ""))
        if given != (self.credentials.username, self.credentials.password):
            return Response.page(403, "authentik", "Invalid username or password")
        session = secrets.token_urlsafe(24)
        with self._lock:
            self._sessions[session] = given[0]
        cookie = f"{SESSION_COOKIE}={session}; Path=/; HttpOnly; Secure; SameSite=Lax"
        return Response.redirect(next_url, cookies=(cookie,))


def _login_form(next_url: str) -> str:
    return ("<h1>Welcome to authentik!</h1>"
            f'<form method="post" action="{LOGIN_FLOW}?next={quote(next_url, safe="")}">'
            f'<input type="hidden" name="next" value="{html.escape(next_url)}">'
            '<input name="username"><input name="password" type="password">'
            "<button>Log in</button></form>")
