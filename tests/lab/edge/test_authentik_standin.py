"""The lab's Authentik and outpost stand-ins against upstream's shapes (fixtures/upstream/authentik/), offline.

    The harness's login drives the stand-ins' handlers through httpx.MockTransport: the request sequence
    must be the recorded one's (method, host, path), and every challenge must carry the keys the
    upstream sample of that component carries.
"""

from __future__ import annotations

import json
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from harness.probes import authn
from harness.probes.http import HttpProbe
from harness.rules import edge
from lab.edge.authentik import Authentik
from lab.edge.http_serve import Request
from lab.edge.outpost import Outpost, session_cookie_name, verify_state
from lab.edge.spec import EdgeSpec

SAMPLES = Path(__file__).resolve().parents[3] / "fixtures" / "upstream" / "authentik"
RECORDED = json.loads((SAMPLES / "chain-login.json").read_text())
HOST, AK = RECORDED["host"], RECORDED["authentik_host"]


class Stands:
    """The outpost (serving HOST) and Authentik (AK) behind one MockTransport; keeps what was asked."""

    def __init__(self) -> None:
        self.spec = EdgeSpec(zone="k8s.home.geoffdavis.com", dns_servers=(("ipv4", "172.29.51.1"),),
                             ingress_class="nginx-internal", ingress_addresses=(("ipv4", "172.29.52.200"),),
                             controller_namespace="ingress-nginx", controller_service="ingress-nginx-controller",
                             authentik_host=AK, outpost_namespace="authentik-proxy")
        self.idp = Authentik(self.spec)
        self.outpost = Outpost(self.spec, self.idp)
        self.outpost.set_hosts({HOST})
        self.asked: list[tuple[str, str, str]] = []
        self.answers: list[tuple[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        host, target = request.headers["host"], request.url.raw_path.decode()
        jar: SimpleCookie = SimpleCookie()
        jar.load(request.headers.get("cookie", ""))
        req = Request(request.method, host, target, {k: m.value for k, m in jar.items()}, {}, "https", "",
                      request.content.decode(), {k.lower(): v for k, v in request.headers.items()})
        self.asked.append((request.method, host, urlsplit(target).path))
        answer = (self.idp if host == AK else self.outpost).handle(req)
        if "json" in dict(answer.headers).get("Content-Type", ""):
            self.answers.append((request.method, json.loads(answer.body)))
        return httpx.Response(answer.status, headers=list(answer.headers), content=answer.body.encode())

    def probe(self) -> HttpProbe:
        return HttpProbe(lambda host, family: ["192.0.2.10"], ca_cert=None, timeout=1,
                         transport=httpx.MockTransport(self))

    def account(self, password: str | None = None) -> authn.Credentials:
        creds = self.idp.credentials
        return authn.Credentials(creds.username, password or creds.password, "the lab")


def keys(doc: dict[str, Any]) -> set[str]:
    return set(doc) - {"response_errors", "application_pre", "enable_remember_me", "passkey_challenge"}


def test_the_harness_logs_in_through_the_stand_ins_along_the_recorded_path() -> None:
    stands = Stands()
    jar = authn.login(stands.probe(), f"https://{HOST}/", "ipv4", stands.account())
    recorded = [(h["method"], urlsplit(h["url"]).hostname, urlsplit(h["url"]).path) for h in RECORDED["hops"]]
    assert stands.asked == recorded
    assert jar.names() == [session_cookie_name(stands.spec.client_id(HOST))]
    page = stands.probe().fetch_chain(f"https://{HOST}/", "ipv4", cookies=jar)
    assert [h.status for h in page.hops] == [200] and "served for akadmin" in page.final.text


def test_every_challenge_has_the_keys_of_upstreams_sample() -> None:
    stands = Stands()
    authn.login(stands.probe(), f"https://{HOST}/", "ipv4", stands.account())
    samples = {"ak-stage-identification": "challenge-identification.json",
               "ak-stage-password": "challenge-password.json"}
    seen = {doc["component"]: doc for _, doc in stands.answers}
    for component, name in samples.items():
        assert keys(seen[component]) == keys(json.loads((SAMPLES / name).read_text())), component
    redirects = [doc for _, doc in stands.answers if doc["component"] == "xak-flow-redirect"]
    assert [set(d) for d in redirects] == [{"component", "to"}] * 2
    assert redirects[0]["to"].startswith("/application/o/authorize/?client_id=")
    assert redirects[1]["to"].startswith(f"https://{HOST}/outpost.goauthentik.io/callback?"
                                         "X-authentik-auth-callback=true&code=")


def test_the_unauthenticated_chain_has_the_recorded_shape_and_passes_the_check() -> None:
    stands = Stands()
    chain = stands.probe().fetch_chain(f"https://{HOST}/dashboard?x=1", "ipv4")
    recorded = json.loads((SAMPLES / "chain-unauthenticated.json").read_text())["hops"]
    assert [h.status for h in chain.hops] == [h["status"] for h in recorded]
    assert [bool(h.set_cookies) for h in chain.hops] == [bool(h.get("set_cookie")) for h in recorded]
    assert parse_qs(urlsplit(chain.hops[0].location or "").query)["rd"] == [f"https://{HOST}/dashboard"]
    authorize = parse_qs(urlsplit(chain.hops[2].url).query)
    assert sorted(authorize) == ["client_id", "redirect_uri", "response_type", "scope", "state"]
    state = verify_state(authorize["state"][0], stands.outpost._secret)
    assert state is not None and sorted(state) == ["iss", "redirect", "sid", "state"]
    assert state["iss"] == f"goauthentik.io/outpost/{authorize['client_id'][0]}"
    assert edge.authorize_problem(chain, HOST, AK) is None


def test_a_wrong_password_fails_the_same_way_as_on_upstreams_samples() -> None:
    stands = Stands()
    with pytest.raises(authn.LoginFailed, match="wrong username or password: flow default-authentication-flow "
                                                r"asked again at ak-stage-password \(password: Invalid password\)"):
        authn.login(stands.probe(), f"https://{HOST}/", "ipv4", stands.account("not-the-password"))


def test_the_fifth_wrong_password_is_access_denied() -> None:
    stands = Stands()
    chain = stands.probe().fetch_chain(f"https://{HOST}/", "ipv4")
    path = "/api/v3/flows/executor/default-authentication-flow/"
    query = urlencode({"query": urlsplit(chain.final.url).query})
    executor, probe = f"https://{AK}{path}?{query}", stands.probe()
    answer = probe.fetch_chain(executor, "ipv4", cookies=chain.jar, json={"uid_field": "akadmin"})
    assert (answer.hops[0].status, answer.hops[0].location) == (302, f"{path}?{query}")
    for attempt in range(1, 6):
        answer = probe.fetch_chain(executor, "ipv4", cookies=answer.jar, json={"password": f"wrong-{attempt}"})
        doc = json.loads(answer.final.text)
        want = "ak-stage-password" if attempt < 5 else "ak-stage-access-denied"
        assert (answer.final.status, doc["component"]) == (200, want), doc
    assert doc["error_message"] == "Invalid password"
    assert keys(doc) == keys(json.loads((SAMPLES / "challenge-access-denied.json").read_text()))


def test_executor_refusals() -> None:
    stands = Stands()
    probe = stands.probe()
    unknown = probe.fetch_chain(f"https://{AK}/api/v3/flows/executor/no-such-flow/?query=", "ipv4")
    assert (unknown.final.status, json.loads(unknown.final.text)) == (404, {"detail": "Not found."})
    authz = probe.fetch_chain(f"https://{AK}/api/v3/flows/executor/default-provider-authorization-implicit-consent/"
                              "?query=", "ipv4")
    doc = json.loads(authz.final.text)
    assert (doc["component"], doc["error_message"]) == ("ak-stage-access-denied",
                                                        "Flow does not apply to current user.")
    bad = probe.fetch_chain(f"https://{AK}/application/o/authorize/?client_id=nope&redirect_uri=x", "ipv4")
    assert bad.final.status == 400
