"""The Authentik server stand-in: authorize endpoint, default-flow redirect, flow interface, executor API.

    idp = Authentik(spec); idp.register(host)        # one OAuth2 client (proxy provider) per host
    idp.handle(Request("GET", spec.authentik_host, "/application/o/authorize/?client_id=..."))

The observable behaviour of goauthentik/authentik 2025.x (sources cited per file in
fixtures/upstream/authentik/SOURCE.md):

- ``/application/o/authorize/`` checks ``client_id`` and ``redirect_uri`` first (an unregistered
  redirect_uri is a 400 page, providers/oauth2/views/authorize.py ``check_redirect_uri``); without a
  login it remembers the application in the session and 302s to the login URL
  ``/flows/-/default/authentication/?next=<path, quoted with "/" safe>`` (Django ``redirect_to_login``,
  settings ``LOGIN_URL``); with one it plans the provider's authorization flow (the OAuth
  fulfillment stage appended) and 302s to ``/if/flow/<authorization flow>/?<same query>``.
- ``/flows/-/default/authentication/`` 302s to ``/if/flow/default-authentication-flow/?<query>``
  (flows/views/executor.py ``ToDefaultFlow``).
- ``/if/flow/<slug>/`` is the flow interface: an HTML shell whose script drives the executor API
  (lab/edge/flow_executor.py) with ``?query=<this page's query>``.
- The session cookie is ``authentik_session`` (root/settings.py ``SESSION_COOKIE_NAME``); login
  gives the session a new key (Django ``cycle_key``), so the cookie is set again.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from lab.edge.flow_executor import AUTHENTICATION_FLOW, AUTHORIZATION_FLOW, FLOWS, FlowExecutor, Grant, Plan
from lab.edge.http_serve import Request, Response
from lab.edge.spec import EdgeSpec

AUTHORIZE = "/application/o/authorize/"
DEFAULT_AUTHENTICATION = "/flows/-/default/authentication/"
FLOW_INTERFACE = re.compile(r"^/if/flow/(?P<slug>[^/]+)/$")
EXECUTOR = re.compile(r"^/api/v3/flows/executor/(?P<slug>[^/]+)/$")
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


@dataclass
class Session:
    """One ``authentik_session``: who is logged in, the flow plan under way, the application asked for."""

    key: str
    user: str | None = None
    plan: Plan | None = None
    application: str | None = None
    set_cookie: bool = False            # the response must (re)send the cookie

    @property
    def is_used(self) -> bool:
        """Django saves (and sends) a session only once something was stored in it."""
        return self.user is not None or self.plan is not None or self.application is not None


class Authentik:
    def __init__(self, spec: EdgeSpec) -> None:
        self.spec = spec
        self.credentials = Credentials(spec.lab_user, secrets.token_urlsafe(12))
        self.executor = FlowExecutor(self)
        self._clients: dict[str, str] = {}          # client_id -> host
        self._sessions: dict[str, Session] = {}
        self._codes: dict[str, tuple[Grant, str]] = {}
        self._lock = threading.Lock()

    # -- the provider side --------------------------------------------------------------------
    def register(self, host: str) -> str:
        client_id = self.spec.client_id(host)
        with self._lock:
            self._clients[client_id] = host
        return client_id

    def issue_code(self, grant: Grant, user: str) -> str:
        code = secrets.token_hex(16)               # AuthorizationCode.code = uuid4().hex
        with self._lock:
            self._codes[code] = (grant, user)
        return code

    def redeem(self, code: str, client_id: str, redirect_uri: str) -> str | None:
        """The token endpoint, in-process: the user for a valid, unused code, else None."""
        with self._lock:
            found = self._codes.pop(code, None)
        if found is None or (found[0].client_id, found[0].redirect_uri) != (client_id, redirect_uri):
            return None
        return found[1]

    # -- the user directory (one test account) -------------------------------------------------
    def find_user(self, uid: str) -> str | None:
        """The identification stage's lookup: username or e-mail, case-insensitive."""
        user = self.credentials.username
        return user if uid.lower() in (user.lower(), f"{user}@{self.spec.zone}".lower()) else None

    def password_ok(self, user: str | None, password: str) -> bool:
        return user == self.credentials.username and hmac.compare_digest(
            password.encode(), self.credentials.password.encode())

    def log_in(self, session: Session, user: str) -> None:
        """Django ``login()``: the session gets a new key and remembers the user."""
        with self._lock:
            self._sessions.pop(session.key, None)
            session.key, session.user, session.set_cookie = secrets.token_urlsafe(32), user, True
            self._sessions[session.key] = session

    # -- HTTP ------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Response:
        session, is_new = self._session(req)
        response = self._route(req, session)
        if is_new and session.is_used and not session.set_cookie:
            with self._lock:
                self._sessions[session.key] = session
            session.set_cookie = True
        if session.set_cookie:
            session.set_cookie = False
            response = response.with_cookies((f"{SESSION_COOKIE}={session.key}; HttpOnly; Path=/; "
                                              "SameSite=None; Secure",))
        return response

    def _route(self, req: Request, session: Session) -> Response:
        if req.path == AUTHORIZE:
            return self._authorize(req, session)
        if req.path == DEFAULT_AUTHENTICATION:
            return Response.redirect(f"/if/flow/{AUTHENTICATION_FLOW}/?{_requery(req)}")
        if (page := FLOW_INTERFACE.match(req.path)) is not None:
            return _interface(page["slug"])
        if (api := EXECUTOR.match(req.path)) is not None:
            return self.executor.handle(req, api["slug"], session)
        return Response.page(404, "authentik", "Not found")

    def _session(self, req: Request) -> tuple[Session, bool]:
        with self._lock:
            found = self._sessions.get(req.cookies.get(SESSION_COOKIE, ""))
        return (found, False) if found is not None else (Session(secrets.token_urlsafe(32)), True)

    def _authorize(self, req: Request, session: Session) -> Response:
        client_id, redirect_uri = req.query("client_id") or "", req.query("redirect_uri") or ""
        host = self._clients.get(client_id)
        if host is None:
            return Response.page(400, "authentik", "Client ID Error: the client identifier (client_id) "
                                 "is missing or invalid")
        if redirect_uri != callback_uri(host):
            return Response.page(400, "authentik", "Redirect URI Error: the request fails due to a missing, "
                                 "invalid, or mismatching redirection URI (redirect_uri)")
        if session.user is None:
            session.application = host.split(".")[0]
            return Response.redirect(f"{DEFAULT_AUTHENTICATION}?next={quote(req.target, safe='/')}")
        grant = Grant(client_id, redirect_uri, req.query("state") or "", req.query("scope") or "")
        session.plan = Plan(AUTHORIZATION_FLOW, ["fulfillment"], grant=grant)
        return Response.redirect(f"/if/flow/{AUTHORIZATION_FLOW}/?{_requery(req)}")


def _requery(req: Request) -> str:
    """The request's query, parsed and encoded again (Django ``QueryDict.urlencode``)."""
    return urlencode(parse_qsl(urlsplit(req.target).query, keep_blank_values=True))


def _interface(slug: str) -> Response:
    flow = FLOWS.get(slug)
    if flow is None:
        return Response.page(404, "authentik", "Not found")
    return Response.page(200, flow.title, f'<ak-flow-executor flowSlug="{slug}"></ak-flow-executor>'
                         "<noscript>authentik needs JavaScript</noscript>")
