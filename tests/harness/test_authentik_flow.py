"""The unattended Authentik login and the redirect checks, offline, on the samples in fixtures/upstream/authentik/.

    chain-login.json is replayed request by request through httpx.MockTransport: the driver must make
    exactly the recorded requests (method, URL, JSON answer, cookies sent) and get the outpost's session.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from harness.core.errors import ConfigError
from harness.core.redact import forget_secrets, redact
from harness.model.objects import IngressObject
from harness.probes import authn
from harness.probes.http import Chain, CookieJar, Hop, HttpProbe
from harness.rules import edge

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "upstream" / "authentik"
LOGIN = json.loads((SAMPLES / "chain-login.json").read_text())
UNAUTHENTICATED = json.loads((SAMPLES / "chain-unauthenticated.json").read_text())
HOST, AK = LOGIN["host"], LOGIN["authentik_host"]
ACCOUNT = authn.Credentials("conformance-bot", "s3cret-Pa55word-of-the-test", "test")
OUTPOST_COOKIE = LOGIN["hops"][0]["set_cookie"][0]


def sample(name: str) -> dict[str, Any]:
    return dict(json.loads((SAMPLES / name).read_text()))


def hops(*changes: tuple[int, dict[str, Any]], upto: int | None = None) -> list[dict[str, Any]]:
    """The recorded login, cut after hop ``upto`` (1-based) and with some hops changed."""
    out = copy.deepcopy(LOGIN["hops"][:upto])
    for index, change in changes:
        out[index - 1].update(change)
    return out


class Replay:
    """A server that answers exactly the recorded hops, in order, checking what the client sends."""

    def __init__(self, recorded: list[dict[str, Any]], account: authn.Credentials = ACCOUNT) -> None:
        self.recorded, self.account, self.seen = recorded, account, 0
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert self.seen < len(self.recorded), f"unexpected extra request {request.method} {request.url}"
        want = self.recorded[self.seen]
        self.seen += 1
        self.requests.append(request)
        url = f"https://{request.headers['host']}{request.url.raw_path.decode()}"
        assert (request.method, url) == (want["method"], want["url"]), f"request {self.seen} differs"
        cookies = request.headers.get("cookie", "")
        for name in want.get("sends_cookies", []):
            assert f"{name}=" in cookies, f"request {self.seen} lacks cookie {name}"
        if "request_json" in want:
            expected = json.loads(json.dumps(want["request_json"]).replace("<username>", self.account.username)
                                  .replace("<password>", self.account.password))
            assert json.loads(request.content) == expected
        return self._answer(want)

    @staticmethod
    def _answer(want: dict[str, Any]) -> httpx.Response:
        if "raise" in want:
            raise httpx.ConnectError(want["raise"])
        headers = [("set-cookie", f"{name}=fake-{name}; Path=/; HttpOnly") for name in want.get("set_cookie", [])]
        if "location" in want:
            headers.append(("location", want["location"]))
        if "body" in want:
            return httpx.Response(want["status"], headers=[*headers, ("content-type", "application/json")],
                                  content=(SAMPLES / want["body"]).read_bytes())
        if "json" in want:
            return httpx.Response(want["status"], headers=headers, json=want["json"])
        return httpx.Response(want["status"], headers=[*headers, ("content-type", "text/html")], text="<html/>")

    def done(self) -> bool:
        return self.seen == len(self.recorded)


def probe(handler: Callable[[httpx.Request], httpx.Response]) -> HttpProbe:
    return HttpProbe(lambda host, family: ["192.0.2.10"], ca_cert=None, timeout=1,
                     transport=httpx.MockTransport(handler))


def login(replay: Replay, account: authn.Credentials = ACCOUNT) -> CookieJar:
    return authn.login(probe(replay), LOGIN["start"], "ipv4", account)


# -- the login driver --------------------------------------------------------------------------------

def test_login_follows_the_recorded_chain_and_returns_the_outposts_session() -> None:
    replay = Replay(hops())
    jar = login(replay)
    assert replay.done(), f"{replay.seen} of {len(replay.recorded)} recorded requests made"
    assert jar.names() == [OUTPOST_COOKIE] and jar.value(HOST, OUTPOST_COOKIE) == f"fake-{OUTPOST_COOKIE}"
    posts = [r for r in replay.requests if r.method == "POST"]
    assert all(r.headers["accept"] == "application/json" and r.headers["origin"] == f"https://{AK}" for r in posts)
    assert all(r.headers["referer"].startswith(f"https://{AK}/if/flow/default-authentication-flow/?next=")
               for r in posts)
    assert all("x-authentik-csrf" not in r.headers for r in posts), "no authentik_csrf cookie, no header"


def test_password_code_and_state_are_registered_as_secrets() -> None:
    forget_secrets()
    login(Replay(hops()))
    callback = sample("challenge-redirect-callback.json")["to"]
    assert redact(f"pw {ACCOUNT.password} at {callback}").count("<redacted>") >= 3
    assert ACCOUNT.password not in repr(ACCOUNT)


def test_csrf_cookie_is_echoed_in_the_header_on_answers() -> None:
    replay = Replay(hops((5, {"set_cookie": ["authentik_csrf"]})))
    login(replay)
    posts = [r for r in replay.requests if r.method == "POST"]
    assert posts and all(r.headers["x-authentik-csrf"] == "fake-authentik_csrf" for r in posts)


def test_wrong_password_is_one_line_naming_the_stage_and_upstreams_reason() -> None:
    wrong = {"status": 200, "body": "challenge-password-invalid.json"}
    with pytest.raises(authn.LoginFailed) as failed:
        login(Replay(hops((9, wrong), upto=9)))
    first = str(failed.value).splitlines()[0]
    assert first == (f"{HOST}: Authentik login as 'conformance-bot' (test): wrong username or password: flow "
                     "default-authentication-flow asked again at ak-stage-password (password: Invalid password)")


def test_access_denied_after_the_password_is_wrong_credentials_or_no_access() -> None:
    denied = {"status": 200, "body": "challenge-access-denied.json"}
    with pytest.raises(authn.LoginFailed, match="Authentik denied access in flow default-authentication-flow: "
                                                "Invalid password; wrong username or password"):
        login(Replay(hops((9, denied), upto=9)))


def test_identification_with_password_on_the_same_page_sends_both_and_fails_on_the_same_stage() -> None:
    combined = {"body": "challenge-identification-password-fields.json"}
    both = {"request_json": {"component": "ak-stage-identification", "uid_field": "<username>",
                             "password": "<password>"}, "status": 200, "body": "challenge-identification-failed.json"}
    with pytest.raises(authn.LoginFailed, match=r"asked again at ak-stage-identification \(non_field_errors: "
                                                r"Failed to authenticate.\)"):
        login(Replay(hops((6, combined), (7, both), upto=7)))


def test_an_app_password_works_where_a_password_does() -> None:
    token = authn.Credentials("conformance-bot", "AppPasswordTokenValue0123456789abcdefABCDEF", "test")
    replay = Replay(hops(), token)
    assert login(replay, token).names() == [OUTPOST_COOKIE] and replay.done()


def test_a_stage_it_cannot_answer_is_named() -> None:
    mfa = {"body": "challenge-authenticator-validate.json"}
    with pytest.raises(authn.LoginFailed) as failed:
        login(Replay(hops((8, mfa), upto=8)))
    assert "flow default-authentication-flow asks for stage 'ak-stage-authenticator-validate'" in str(failed.value)
    assert "MFA" in str(failed.value)


def test_the_remember_me_question_is_answered_no() -> None:
    recorded = hops()
    ask = {"method": "GET", "url": recorded[9]["url"], "status": 200, "body": "challenge-user-login.json"}
    answer = dict(recorded[8], request_json={"component": "ak-stage-user-login", "remember_me": False})
    recorded[9:9] = [ask, answer]
    replay = Replay(recorded)
    assert login(replay).names() == [OUTPOST_COOKIE] and replay.done()


def test_flow_error_is_named_with_its_request_id() -> None:
    with pytest.raises(authn.LoginFailed, match="failed inside Authentik: Failed to connect to the LDAP server "
                                                r"\(request 5d0c6ce1a3b44b1a9d6a1c2f3e4d5b6a\)"):
        login(Replay(hops((6, {"body": "challenge-flow-error.json"}), upto=6)))


def test_executor_refusal_shows_djangos_detail() -> None:
    csrf = {"status": 403, "json": sample("executor-csrf-failed.json")}
    with pytest.raises(authn.LoginFailed, match="answered 403 to POST .*: CSRF Failed: CSRF token missing."):
        login(Replay(hops((7, csrf), upto=7)))


def test_network_failure_names_the_hop() -> None:
    with pytest.raises(authn.LoginFailed) as failed:
        login(Replay(hops((3, {"raise": "connection refused"}), upto=3)))
    first = str(failed.value).splitlines()[0]
    assert first.startswith(f"{HOST}: Authentik login as 'conformance-bot' (test): hop 3 (GET https://{AK}"
                            "/application/o/authorize/?client_id=")
    assert first.endswith("failed: ConnectError: connection refused")


def test_a_login_that_does_not_end_at_the_app_says_where_it_ended() -> None:
    with pytest.raises(authn.LoginFailed, match=f"ended at GET https://{HOST}/ with 502"):
        login(Replay(hops((15, {"status": 502}))))


# -- where the account comes from -------------------------------------------------------------------

def test_no_account_anywhere_means_none_and_a_reason_naming_every_way_to_give_one() -> None:
    assert authn.find_source(None, None, {}) is None
    for name in ("--authentik-credentials", "HOME_OPS_AUTHENTIK_USER", "HOME_OPS_AUTHENTIK_PASSWORD_FILE",
                 "HOME_OPS_AUTHENTIK_COOKIES"):
        assert name in authn.NO_ACCOUNT


def test_sources_in_order_option_lab_env_cookies(tmp_path: Path) -> None:
    option, lab = tmp_path / "opt.json", tmp_path / "lab.json"
    option.write_text(json.dumps({"username": "from-option", "password": "pw-option-1"}))
    lab.write_text(json.dumps({"username": "from-lab", "password": "pw-lab-1"}))
    env = {"HOME_OPS_AUTHENTIK_USER": "from-env", "HOME_OPS_AUTHENTIK_PASSWORD": "pw-env-1",
           "HOME_OPS_AUTHENTIK_COOKIES": "a=b"}
    names = [s.credentials.username if s and s.credentials else s and "cookies" for s in (
        authn.find_source(option, lab, env), authn.find_source(None, lab, env), authn.find_source(None, None, env),
        authn.find_source(None, None, {"HOME_OPS_AUTHENTIK_COOKIES": "a=b"}))]
    assert names == ["from-option", "from-lab", "from-env", "cookies"]


def test_password_file_from_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("line-password-42\n")
    found = authn.credentials_env({"HOME_OPS_AUTHENTIK_USER": "bot", "HOME_OPS_AUTHENTIK_PASSWORD_FILE": str(secret)})
    assert found is not None and (found.username, found.password) == ("bot", "line-password-42")
    assert redact("line-password-42") == "<redacted>"


@pytest.mark.parametrize(("env", "message"), [
    ({"HOME_OPS_AUTHENTIK_PASSWORD": "x-secret"}, "$HOME_OPS_AUTHENTIK_USER is not"),
    ({"HOME_OPS_AUTHENTIK_USER": "bot"}, "neither $HOME_OPS_AUTHENTIK_PASSWORD nor"),
    ({"HOME_OPS_AUTHENTIK_USER": "bot", "HOME_OPS_AUTHENTIK_PASSWORD_FILE": "/nonexistent/pw"}, "unreadable"),
])
def test_half_given_accounts_are_one_line_config_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("$", r"\$")):
        authn.credentials_env(env)


@pytest.mark.parametrize("content", ["not json", "[]", '{"username": "bot"}', '{"username": "", "password": "p"}'])
def test_malformed_credentials_file_names_the_file(tmp_path: Path, content: str) -> None:
    path = tmp_path / "creds.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=f"--authentik-credentials {path}: "):
        authn.credentials_file(path, f"--authentik-credentials {path}")


def test_cookies_stay_an_alternative() -> None:
    source = authn.find_source(None, None, {"HOME_OPS_AUTHENTIK_COOKIES": "authentik_proxy_x=CANARY-123"})
    assert source is not None and source.credentials is None
    jar = authn.open_session(source, probe(Replay([])), f"https://{HOST}/", "ipv4")
    assert jar.value(HOST, "authentik_proxy_x") == "CANARY-123" and "CANARY-123" not in repr(source)


# -- the redirect check on the real chain -------------------------------------------------------------

def recorded_chain(**changes: dict[str, Any]) -> Chain:
    """chain-unauthenticated.json as the probe would have recorded it; ``changes`` by hop number ("h3")."""
    out = []
    for number, raw in enumerate(UNAUTHENTICATED["hops"], 1):
        hop = Hop(raw["method"], raw["url"], raw["status"], raw.get("location"), tuple(raw.get("set_cookie", [])))
        out.append(replace(hop, **changes.get(f"h{number}", {})))
    return Chain(UNAUTHENTICATED["start"], "ipv4", tuple(out))


def test_the_real_chain_with_its_extra_hops_reaches_authorize() -> None:
    assert edge.authorize_problem(recorded_chain(), HOST, AK) is None


@pytest.mark.parametrize("hop", ["h4", "h5"])
def test_a_hop_failing_after_authorize_does_not_fail_the_check(hop: str) -> None:
    broken = recorded_chain(**{hop: {"status": None, "location": None, "error": "ConnectError: refused"}})
    assert edge.authorize_problem(Chain(broken.start, "ipv4", broken.hops[:int(hop[1])]), HOST, AK) is None


def test_a_hop_failing_before_or_at_authorize_is_named() -> None:
    broken = recorded_chain(h3={"status": None, "location": None, "error": "ConnectError: refused"})
    problem = edge.authorize_problem(Chain(broken.start, "ipv4", broken.hops[:3]), HOST, AK) or ""
    assert problem.startswith(f"{HOST}: hop 3 (GET https://{AK}/application/o/authorize/?client_id=")
    assert problem.endswith("failed: ConnectError: refused")


def test_authorize_refusing_the_request_is_named() -> None:
    refused = recorded_chain(h3={"status": 400, "location": None})
    problem = edge.authorize_problem(Chain(refused.start, "ipv4", refused.hops[:3]), HOST, AK) or ""
    assert "Authentik refused the authorize request at hop 3" in problem and problem.endswith("with 400")


def test_redirect_uri_on_another_host_is_named() -> None:
    chain = recorded_chain()
    other = chain.hops[2].url.replace("redirect_uri=https%3A%2F%2Fhubble", "redirect_uri=https%3A%2F%2Fnot-hubble")
    problem = edge.authorize_problem(recorded_chain(h3={"url": other}), HOST, AK) or ""
    assert "has redirect_uri 'https://not-hubble.k8s.home.geoffdavis.com/outpost.goauthentik.io/callback" in problem


def test_serving_content_without_authentication_is_named() -> None:
    bypass = Chain(f"https://{HOST}/", "ipv4", (Hop("GET", f"https://{HOST}/", 200),))
    assert edge.authorize_problem(bypass, HOST, AK) == (
        f"{HOST}: served 200 without authentication at hop 1 (GET https://{HOST}/); "
        f"expected a redirect into Authentik ({AK})")


def test_authentiks_own_ingress_is_exempt_from_the_single_ingress_rule_like_the_repo_rule() -> None:
    domain = "k8s.home.geoffdavis.com"
    ingresses = [IngressObject("authentik-proxy", "authentik-proxy", "nginx-internal", (HOST,), (HOST,)),
                 IngressObject("authentik", "authentik-server", "nginx-internal", (AK,), (AK,)),
                 IngressObject("grafana", "grafana", "nginx-internal", (AK, f"grafana.{domain}"), ())]
    problems = edge.claim_problems(ingresses, domain, "authentik-proxy/authentik-proxy", "api", AK)
    assert problems == [f"Ingress grafana/grafana at api claims grafana.{domain} under the protected domain "
                        f"{domain}; only authentik-proxy/authentik-proxy (the Authentik outpost) may"]
    assert len(edge.claim_problems(ingresses, domain, "authentik-proxy/authentik-proxy", "api")) == 2
