"""An Authentik session for a protected host, unattended: Authentik's flow executor API, no browser.

    source = find_source(option_file, lab_file, os.environ)     # None: no account → the scenario skips
    jar = open_session(source, http, "https://hubble.k8s.home.geoffdavis.com/", "ipv4")

What a browser does, and so this module (goauthentik/authentik 2025.x; the shapes and where upstream
shows them are in fixtures/upstream/authentik/): the outpost sends the user to
``/outpost.goauthentik.io/start``, then to Authentik's ``/application/o/authorize/``; without an
Authentik session that goes on to ``/flows/-/default/authentication/`` and the flow interface
``/if/flow/<slug>/?next=...``, a single-page app driving ``/api/v3/flows/executor/<slug>/?query=<the
page's query>``: GET returns a challenge (JSON; ``component`` names the stage), POST answers it. A
valid answer is a 302 back to the executor (the next challenge), an invalid one the same challenge
with ``response_errors``. ``xak-flow-redirect`` ends a flow (``to``): back to authorize, which runs
the provider's authorization flow the same way; its redirect is the outpost callback with ``code``
and ``state``, where the outpost sets its session cookie and sends the user on to the app.

The account is a dedicated test user: username and password (or an app password, which Authentik's
password stage accepts through its token backend). The password is registered with the redactor
before the first request; codes and states met on the way too. Failures are one line first:
wrong credentials (a stage asked again, or access denied), a stage this login cannot answer (names
the component), a hop that failed (names it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

from harness.core.errors import CheckFailed, ConfigError
from harness.core.netaddr import Family
from harness.core.redact import register_secret
from harness.probes.http import Chain, CookieJar, Hop, HttpProbe

SESSION_ENV = "HOME_OPS_AUTHENTIK_COOKIES"
USER_ENV = "HOME_OPS_AUTHENTIK_USER"
PASSWORD_ENV = "HOME_OPS_AUTHENTIK_PASSWORD"
PASSWORD_FILE_ENV = "HOME_OPS_AUTHENTIK_PASSWORD_FILE"
CREDENTIALS_OPTION = "--authentik-credentials"
NO_ACCOUNT = (f"no Authentik test account: give {CREDENTIALS_OPTION} FILE ({{\"username\": ..., \"password\": ...}}), "
              f"${USER_ENV} with ${PASSWORD_ENV} or ${PASSWORD_FILE_ENV}, or an outpost session in ${SESSION_ENV}")
FLOW_PAGE = re.compile(r"^/if/flow/(?P<slug>[^/]+)/$")
EXECUTOR = "/api/v3/flows/executor/{slug}/"
CSRF_COOKIE, CSRF_HEADER = "authentik_csrf", "X-authentik-CSRF"
ANSWERED = ("ak-stage-identification", "ak-stage-password", "ak-stage-user-login", "ak-stage-consent")
MAX_FLOWS, MAX_STAGES = 4, 12


class LoginFailed(CheckFailed):
    """The unattended login did not end with an outpost session; the first line says why."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    source: str = ""

    def __post_init__(self) -> None:
        register_secret(self.password)


@dataclass(frozen=True)
class SessionSource:
    """Where the authenticated scenario gets its session: a test account, or an outpost cookie as-is."""

    credentials: Credentials | None = None
    cookies: str | None = field(default=None, repr=False)


def find_source(option_file: Path | None, lab_file: Path | None, env: Mapping[str, str]) -> SessionSource | None:
    """The first given of: the option's file, the lab's login file, the account in ``env``, the cookies."""
    if option_file is not None:
        return SessionSource(credentials_file(option_file, f"{CREDENTIALS_OPTION} {option_file}"))
    if lab_file is not None:
        return SessionSource(credentials_file(lab_file, f"the lab's login file {lab_file}"))
    if (account := credentials_env(env)) is not None:
        return SessionSource(account)
    if env.get(SESSION_ENV, "").strip():
        return SessionSource(cookies=env[SESSION_ENV])
    return None


def credentials_file(path: Path, source: str) -> Credentials:
    """A JSON file ``{"username": ..., "password": ...}`` (the lab's ``authentik-login.json`` shape)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{source}: unreadable ({exc.strerror or type(exc).__name__})") from exc
    except ValueError as exc:
        raise ConfigError(f"{source}: not JSON; expected {{\"username\": ..., \"password\": ...}}") from exc
    if not isinstance(doc, dict) or not all(isinstance(doc.get(k), str) and doc[k] for k in ("username", "password")):
        raise ConfigError(f"{source}: expected {{\"username\": ..., \"password\": ...}} with non-empty strings")
    return Credentials(doc["username"], doc["password"], source)


def credentials_env(env: Mapping[str, str]) -> Credentials | None:
    """``$HOME_OPS_AUTHENTIK_USER`` with ``..._PASSWORD`` or ``..._PASSWORD_FILE``; None when none is set."""
    user, password, path = env.get(USER_ENV, "").strip(), env.get(PASSWORD_ENV, ""), env.get(PASSWORD_FILE_ENV, "")
    if not (user or password or path.strip()):
        return None
    if not user:
        raise ConfigError(f"${PASSWORD_ENV} or ${PASSWORD_FILE_ENV} is set but ${USER_ENV} is not")
    if not password and path.strip():
        try:
            password = Path(path.strip()).read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise ConfigError(f"${PASSWORD_FILE_ENV} {path.strip()}: unreadable ({exc.strerror})") from exc
    if not password:
        raise ConfigError(f"${USER_ENV} is set but neither ${PASSWORD_ENV} nor ${PASSWORD_FILE_ENV} gives a password")
    return Credentials(user, password, f"${USER_ENV}")


def cookie_session(raw: str, host: str) -> CookieJar:
    """Cookies given as ``name=value; name2=value2`` (``$HOME_OPS_AUTHENTIK_COOKIES``), values registered."""
    cookies = {}
    for part in raw.split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep or not name:
            raise ConfigError(f"${SESSION_ENV}: expected name=value pairs separated by ';'")
        cookies[name] = value
        register_secret(value)
    return CookieJar.for_host(host, cookies)


def open_session(source: SessionSource, http: HttpProbe, url: str, family: Family) -> CookieJar:
    if source.credentials is not None:
        return login(http, url, family, source.credentials)
    return cookie_session(source.cookies or "", urlsplit(url).hostname or "")


def login(http: HttpProbe, url: str, family: Family, account: Credentials) -> CookieJar:
    """Log in to ``url``'s outpost as ``account``; the cookies the outpost set for that host."""
    return _Login(http, family, account, url).run()


@dataclass(frozen=True)
class FlowPage:
    """The flow interface a chain ended at: ``https://<authentik>/if/flow/<slug>/?<query>``."""

    url: str
    slug: str

    @classmethod
    def at(cls, hop: Hop) -> FlowPage | None:
        match = FLOW_PAGE.match(urlsplit(hop.url).path)
        return cls(hop.url, match["slug"]) if hop.status == 200 and match else None

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def executor(self) -> str:
        return f"{self.origin}{EXECUTOR.format(slug=self.slug)}?{urlencode({'query': urlsplit(self.url).query})}"


class _Login:
    def __init__(self, http: HttpProbe, family: Family, account: Credentials, url: str) -> None:
        self.http, self.family, self.account, self.url = http, family, account, url
        self.host = urlsplit(url).hostname or ""
        self.jar = CookieJar()
        self.where = f"{self.host}: Authentik login as {account.username!r}" + \
            (f" ({account.source})" if account.source else "")

    def run(self) -> CookieJar:
        chain = self._follow(self.url)
        for _ in range(MAX_FLOWS):
            page = FlowPage.at(chain.final)
            if page is None:
                return self._arrived(chain)
            chain = self._follow(self._run_flow(page))
        raise LoginFailed(f"{self.where}: still in Authentik's flows after {MAX_FLOWS} of them, "
                          f"at {chain.final.url}\n{chain.describe()}")

    def _follow(self, url: str, **kw: Any) -> Chain:
        chain = self.http.fetch_chain(url, self.family, cookies=self.jar, **kw)
        self.jar = chain.jar
        for hop in chain.hops:
            _register_grants(hop.url, hop.location or "")
        failed = next(((i, h) for i, h in enumerate(chain.hops, 1) if h.error), None)
        if failed is not None:
            index, hop = failed
            raise LoginFailed(f"{self.where}: hop {index} ({hop.method} {hop.url}) failed: {hop.error}\n"
                              f"{chain.describe()}")
        if chain.truncated:
            raise LoginFailed(f"{self.where}: still redirecting after {len(chain.hops)} hops\n{chain.describe()}")
        return chain

    def _arrived(self, chain: Chain) -> CookieJar:
        final = chain.final
        if final.host == self.host and final.status == 200:
            return self.jar.only(self.host)
        raise LoginFailed(f"{self.where}: ended at {final.method} {final.url} with {final.status}, expected the "
                          f"app at https://{self.host}/\n{chain.describe()}")

    def _run_flow(self, page: FlowPage) -> str:
        """Answer the flow's challenges until it redirects; the absolute URL it redirects to."""
        asked: list[str] = []
        challenge = self._executor(page, None)
        for _ in range(MAX_STAGES):
            component = str(challenge.get("component", ""))
            if component == "xak-flow-redirect":
                return self._redirect_target(page, challenge)
            self._refuse_failures(page, component, challenge, asked)
            reply = self._reply(page, component, challenge)
            asked.append(component)
            challenge = self._executor(page, reply)
        raise LoginFailed(f"{self.where}: flow {page.slug} asked more than {MAX_STAGES} questions")

    def _refuse_failures(self, page: FlowPage, component: str, challenge: dict[str, Any], asked: list[str]) -> None:
        errors = _errors(challenge)
        if component == "ak-stage-access-denied":
            why = challenge.get("error_message") or "no reason given"
            hint = "; wrong username or password, or the account may not use this application" if asked else ""
            raise LoginFailed(f"{self.where}: Authentik denied access in flow {page.slug}: {why}{hint}")
        if component == "ak-stage-flow-error":
            raise LoginFailed(f"{self.where}: flow {page.slug} failed inside Authentik: "
                              f"{challenge.get('error') or 'no detail'} (request {challenge.get('request_id', '?')})")
        if component in asked:
            raise LoginFailed(f"{self.where}: wrong username or password: flow {page.slug} asked again at "
                              f"{component}" + (f" ({errors})" if errors else ""))

    def _reply(self, page: FlowPage, component: str, challenge: dict[str, Any]) -> dict[str, Any]:
        if component == "ak-stage-identification":
            reply: dict[str, Any] = {"component": component, "uid_field": self.account.username}
            if challenge.get("password_fields"):
                reply["password"] = self.account.password
            return reply
        if component == "ak-stage-password":
            return {"component": component, "password": self.account.password}
        if component == "ak-stage-user-login":
            return {"component": component, "remember_me": False}
        if component == "ak-stage-consent":
            return {"component": component, "token": str(challenge.get("token", ""))}
        hint = " (MFA: the test account must have no authenticator device)" if "authenticator" in component else ""
        raise LoginFailed(f"{self.where}: flow {page.slug} asks for stage {component or '(no component)'!r}, which "
                          f"an unattended login cannot answer{hint}; it answers {', '.join(ANSWERED)}")

    def _executor(self, page: FlowPage, reply: dict[str, Any] | None) -> dict[str, Any]:
        headers = {"Accept": "application/json"}
        if reply is not None:
            headers.update({"Origin": page.origin, "Referer": page.url})
            if (token := self.jar.value(urlsplit(page.url).hostname or "", CSRF_COOKIE)) is not None:
                headers[CSRF_HEADER] = token
        chain = self._follow(page.executor, max_hops=3, json=reply, headers=headers)
        final = chain.final
        if final.status != 200:
            raise LoginFailed(f"{self.where}: flow executor {page.slug} answered {final.status} to "
                              f"{final.method} {final.url}: {_detail(final.text)}")
        try:
            doc = json.loads(final.text)
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise LoginFailed(f"{self.where}: flow executor {page.slug} answered something that is not a "
                              f"challenge: {_detail(final.text)}")
        return doc

    def _redirect_target(self, page: FlowPage, challenge: dict[str, Any]) -> str:
        to = str(challenge.get("to") or "")
        if not to:
            raise LoginFailed(f"{self.where}: flow {page.slug} redirected nowhere (xak-flow-redirect without 'to')")
        target = urljoin(page.url, to)
        _register_grants(target)
        return target


def _register_grants(*urls: str) -> None:
    """OAuth ``code`` and ``state`` values met in URLs are secrets from then on (the redactor hides them)."""
    for url in urls:
        for key in ("code", "state"):
            for value in parse_qs(urlsplit(url).query).get(key, []):
                register_secret(value)


def _errors(challenge: dict[str, Any]) -> str:
    """``response_errors`` as ``field: text; ...``."""
    found = challenge.get("response_errors")
    if not isinstance(found, dict):
        return ""
    return "; ".join(f"{name}: {', '.join(str(e.get('string', e)) if isinstance(e, dict) else str(e) for e in errs)}"
                     for name, errs in found.items() if isinstance(errs, list))


def _detail(text: str) -> str:
    """Django REST framework's ``{"detail": ...}``, or the start of the body."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if isinstance(doc, dict) and isinstance(doc.get("detail"), str):
        return str(doc["detail"])
    flat = " ".join(text.split())
    return (flat[:200] + "...") if len(flat) > 200 else (flat or "(empty body)")
