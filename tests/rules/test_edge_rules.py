"""Ingress-edge rules (harness/rules/edge.py) on hand-made redirect chains: the outpost's redirect into
Authentik's authorize endpoint, HTTP to HTTPS, the certificate, the authenticated app, unknown hosts, and which
Ingresses may claim hosts under the protected domain."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from harness.model.objects import IngressObject
from harness.probes.http import Chain, Hop
from harness.rules import edge

HOST = "longhorn.k8s.home.geoffdavis.com"
AUTHENTIK = "authentik.k8s.home.geoffdavis.com"
DOMAIN = "k8s.home.geoffdavis.com"
V4 = "172.29.52.200:443"
V6 = "[fd47:25e1:2f96:51:100::c8]:443"
OUTPOST = "authentik-proxy/authentik-proxy"
WHERE = "https://172.29.51.10:6443"

START = f"https://{HOST}/outpost.goauthentik.io/start?rd=https%3A%2F%2F{HOST}%2F"
CALLBACK = f"https://{HOST}/outpost.goauthentik.io/callback?X-authentik-auth-callback=true"


def authorize_url(*, client_id: str = "Yx3kP0longhorn", redirect_uri: str | None = CALLBACK,
                  state: str = "c3RhdGUtdG9rZW4") -> str:
    query = [f"client_id={client_id}"] if client_id else []
    if redirect_uri is not None:
        query.append(f"redirect_uri={quote(redirect_uri, safe='')}")
    query += ["response_type=code", "scope=openid+profile+email+ak_proxy"]
    if state:
        query.append(f"state={state}")
    return f"https://{AUTHENTIK}/application/o/authorize/?" + "&".join(query)


def chain(*hops: Hop, family: str = "ipv6", truncated: bool = False) -> Chain:
    return Chain(hops[0].url, family, hops, truncated)


def unauthenticated_chain(authorize: str | None = None, authorize_status: int = 302) -> Chain:
    """What the outpost does for a visitor without a session: start, authorize, Authentik's login flow."""
    auth = authorize or authorize_url()
    return chain(
        Hop("GET", f"https://{HOST}/", 302, START, peer=V6),
        Hop("GET", START, 302, auth, set_cookies=("authentik_proxy_Yx3kP0",), peer=V6),
        Hop("GET", auth, authorize_status, f"https://{AUTHENTIK}/flows/-/default/authentication/?next=%2F",
            peer=V6),
        Hop("GET", f"https://{AUTHENTIK}/flows/-/default/authentication/?next=%2F", 302,
            f"https://{AUTHENTIK}/if/flow/default-authentication-flow/?next=%2F", peer=V6),
        Hop("GET", f"https://{AUTHENTIK}/if/flow/default-authentication-flow/?next=%2F", 200, peer=V6),
    )


# -- authorize_problem ----------------------------------------------------------------------------

def test_chain_reaching_authorize_conforms() -> None:
    assert edge.authorize_problem(unauthenticated_chain(), HOST, AUTHENTIK) is None


def test_what_authentik_does_after_authorize_is_not_judged() -> None:
    full = unauthenticated_chain()
    broken_flow = chain(*full.hops[:3], Hop("GET", full.hops[3].url, peer=V6, error="ReadTimeout: timed out"))
    assert edge.authorize_problem(broken_flow, HOST, AUTHENTIK) is None


def test_error_before_authorize_names_the_hop_and_address() -> None:
    broken = chain(Hop("GET", f"https://{HOST}/", 302, START, peer=V6),
                   Hop("GET", START, peer=V6, error="ConnectError: [Errno 111] Connection refused"))
    assert edge.authorize_problem(broken, HOST, AUTHENTIK) == (
        f"{HOST}: hop 2 (GET {START} via {V6}) failed: ConnectError: [Errno 111] Connection refused")


def test_error_on_the_first_hop_without_a_peer() -> None:
    broken = chain(Hop("GET", f"https://{HOST}/", error="ConnectTimeout: timed out"), family="ipv4")
    assert edge.authorize_problem(broken, HOST, AUTHENTIK) == (
        f"{HOST}: hop 1 (GET https://{HOST}/) failed: ConnectTimeout: timed out")


def test_served_without_authentication() -> None:
    open_app = chain(Hop("GET", f"https://{HOST}/", 200, peer=V4), family="ipv4")
    assert edge.authorize_problem(open_app, HOST, AUTHENTIK) == (
        f"{HOST}: served 200 without authentication at hop 1 (GET https://{HOST}/ via {V4}); "
        f"expected a redirect into Authentik ({AUTHENTIK})")


def test_chain_that_never_reaches_authorize() -> None:
    elsewhere = chain(Hop("GET", f"https://{HOST}/", 302, "https://login.example.com/", peer=V6),
                      Hop("GET", "https://login.example.com/", 200, peer="[2001:db8::10]:443"))
    assert edge.authorize_problem(elsewhere, HOST, AUTHENTIK) == (
        f"{HOST}: the redirect chain never reached https://{AUTHENTIK}/application/o/authorize/; "
        "it ended at hop 2 (GET https://login.example.com/ via [2001:db8::10]:443) with 200")


def test_error_status_on_the_host_never_reaches_authorize() -> None:
    not_found = chain(Hop("GET", f"https://{HOST}/", 503, peer=V6))
    assert edge.authorize_problem(not_found, HOST, AUTHENTIK) == (
        f"{HOST}: the redirect chain never reached https://{AUTHENTIK}/application/o/authorize/; "
        f"it ended at hop 1 (GET https://{HOST}/ via {V6}) with 503")


def test_authentik_host_with_another_path_is_not_authorize() -> None:
    login = f"https://{AUTHENTIK}/if/flow/default-authentication-flow/"
    direct = chain(Hop("GET", f"https://{HOST}/", 302, login, peer=V6), Hop("GET", login, 200, peer=V6))
    problem = edge.authorize_problem(direct, HOST, AUTHENTIK)
    assert problem == (f"{HOST}: the redirect chain never reached https://{AUTHENTIK}/application/o/authorize/; "
                       f"it ended at hop 2 (GET {login} via {V6}) with 200")


@pytest.mark.parametrize(("kwargs", "missing"), [
    ({"state": ""}, "state"),
    ({"client_id": ""}, "client_id"),
    ({"redirect_uri": None}, "redirect_uri"),
    ({"client_id": "", "state": ""}, "client_id, state"),
])
def test_authorize_request_lacking_parameters(kwargs: dict[str, Any], missing: str) -> None:
    url = authorize_url(**kwargs)
    assert edge.authorize_problem(unauthenticated_chain(url), HOST, AUTHENTIK) == (
        f"{HOST}: hop 3 (GET {url} via {V6}) lacks {missing}")


@pytest.mark.parametrize("redirect_uri", [
    "https://hubble.k8s.home.geoffdavis.com/outpost.goauthentik.io/callback",
    f"http://{HOST}/outpost.goauthentik.io/callback",
])
def test_redirect_uri_must_come_back_to_the_host_over_https(redirect_uri: str) -> None:
    url = authorize_url(redirect_uri=redirect_uri)
    assert edge.authorize_problem(unauthenticated_chain(url), HOST, AUTHENTIK) == (
        f"{HOST}: hop 3 (GET {url} via {V6}) has redirect_uri {redirect_uri!r}, expected https://{HOST}/...")


def test_authentik_refusing_authorize() -> None:
    assert edge.authorize_problem(unauthenticated_chain(authorize_status=400), HOST, AUTHENTIK) == (
        f"{HOST}: Authentik refused the authorize request at hop 3 (GET {authorize_url()} via {V6}) with 400")


def test_authorize_answering_200_is_accepted() -> None:
    """Authentik may render the flow at authorize itself instead of redirecting."""
    full = unauthenticated_chain(authorize_status=200)
    assert edge.authorize_problem(chain(*full.hops[:3]), HOST, AUTHENTIK) is None


def test_redirect_loop_names_the_last_hop() -> None:
    loop = [Hop("GET", f"https://{HOST}/", 302, f"https://{HOST}/login", peer=V6),
            Hop("GET", f"https://{HOST}/login", 302, f"https://{HOST}/", peer=V6)]
    looping = chain(*loop, *loop, truncated=True)
    problem = edge.authorize_problem(looping, HOST, AUTHENTIK)
    assert problem is not None and f"it ended at hop 4 (GET https://{HOST}/login" in problem


# -- https_redirect_problem -----------------------------------------------------------------------

@pytest.mark.parametrize("location", [f"https://{HOST}/", f"https://{HOST}/some/path", f"https://{HOST}:443/"])
def test_plain_http_redirects_to_https_on_the_same_host(location: str) -> None:
    redirect = chain(Hop("GET", f"http://{HOST}/", 308, location, peer="[fd47:25e1:2f96:51:100::c8]:80"))
    assert edge.https_redirect_problem(redirect, HOST) is None


def test_plain_http_failing() -> None:
    failed = chain(Hop("GET", f"http://{HOST}/", peer="172.29.52.200:80", error="ConnectError: refused"))
    assert edge.https_redirect_problem(failed, HOST) == (
        f"{HOST}: plain HTTP hop 1 (GET http://{HOST}/ via 172.29.52.200:80) failed: ConnectError: refused")


@pytest.mark.parametrize(("status", "location"), [
    (200, None),
    (302, f"http://{HOST}/"),
    (301, "https://other.k8s.home.geoffdavis.com/"),
    (404, f"https://{HOST}/"),
])
def test_plain_http_not_redirecting_to_https(status: int, location: str | None) -> None:
    answer = chain(Hop("GET", f"http://{HOST}/", status, location, peer="172.29.52.200:80"))
    assert edge.https_redirect_problem(answer, HOST) == (
        f"{HOST}: plain HTTP answered {status} with Location {location!r}; expected a redirect to https://{HOST}/")


# -- certificate_problem --------------------------------------------------------------------------

def test_certificate_naming_the_host() -> None:
    tls = chain(Hop("GET", f"https://{HOST}/", 302, START, peer=V4, tls_subject=f"CN={HOST}",
                    tls_sans=(HOST, "hubble.k8s.home.geoffdavis.com")))
    assert edge.certificate_problem(tls, HOST) is None


def test_certificate_for_other_names() -> None:
    tls = chain(Hop("GET", f"https://{HOST}/", 404, peer=V6, tls_subject="CN=Kubernetes Ingress Controller Fake "
                    "Certificate,O=Acme Co", tls_sans=("ingress.local",)))
    assert edge.certificate_problem(tls, HOST) == f"{HOST}: certificate at {V6} is for ingress.local, not {HOST}"


def test_certificate_without_sans_names_its_subject() -> None:
    tls = chain(Hop("GET", f"https://{HOST}/", 200, peer=V4, tls_subject="CN=localhost"))
    assert edge.certificate_problem(tls, HOST) == f"{HOST}: certificate at {V4} is for CN=localhost, not {HOST}"


def test_tls_failure_names_the_peer() -> None:
    err = "ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate"
    failed = chain(Hop("GET", f"https://{HOST}/", peer=V6, tls_subject="CN=example", tls_sans=("example",),
                       error=err))
    assert edge.certificate_problem(failed, HOST) == f"{HOST}: TLS at {V6} failed: {err}"
    no_peer = chain(Hop("GET", f"https://{HOST}/", error="ConnectTimeout: timed out"))
    assert edge.certificate_problem(no_peer, HOST) == f"{HOST}: TLS at the ingress failed: ConnectTimeout: timed out"


def test_wildcard_certificate_covers_the_host() -> None:
    tls = chain(Hop("GET", f"https://{HOST}/", 302, START, peer=V4, tls_subject=f"CN=*.{DOMAIN}",
                    tls_sans=(f"*.{DOMAIN}", DOMAIN)))
    assert edge.certificate_problem(tls, HOST) is None


@pytest.mark.parametrize(("san", "host", "covered"), [
    ("*.k8s.example.test", "longhorn.k8s.example.test", True),
    ("*.K8S.example.test", "Longhorn.k8s.example.test", True),        # DNS names compare case-insensitively
    ("*.k8s.example.test", "a.longhorn.k8s.example.test", False),     # one label only
    ("*.k8s.example.test", "k8s.example.test", False),                # not the parent itself
    ("long*.k8s.example.test", "longhorn.k8s.example.test", False),   # partial-label wildcards are not honoured
    ("*.*.example.test", "a.b.example.test", False),
])
def test_certificate_name_matching(san: str, host: str, covered: bool) -> None:
    assert edge.name_matches(san, host) is covered


# -- app_problem ----------------------------------------------------------------------------------

def test_authenticated_request_reaches_the_app() -> None:
    ok = chain(Hop("GET", f"https://{HOST}/", 302, f"https://{HOST}/dashboard", peer=V6),
               Hop("GET", f"https://{HOST}/dashboard", 200, peer=V6))
    assert edge.app_problem(ok, HOST, AUTHENTIK) is None


def test_authenticated_request_failing() -> None:
    failed = chain(Hop("GET", f"https://{HOST}/", peer=V6, error="ReadTimeout: timed out"))
    assert edge.app_problem(failed, HOST, AUTHENTIK) == (
        f"{HOST}: authenticated request failed at hop 1 (GET https://{HOST}/ via {V6}): ReadTimeout: timed out")


def test_session_not_accepted_goes_back_to_authentik() -> None:
    back = unauthenticated_chain()
    problem = edge.app_problem(back, HOST, AUTHENTIK)
    assert problem is not None
    first, _, rest = problem.partition("\n")
    assert first == f"{HOST}: the session was not accepted: the chain went back to Authentik"
    assert rest == back.describe()
    assert rest.startswith(f"5 hop(s) from https://{HOST}/ over ipv6:")


@pytest.mark.parametrize("final", [
    Hop("GET", f"https://{HOST}/", 502, peer=V4),
    Hop("GET", "https://elsewhere.example.com/", 200, peer="198.51.100.7:443"),
])
def test_authenticated_request_ending_without_content(final: Hop) -> None:
    ended = chain(final, family="ipv4")
    assert edge.app_problem(ended, HOST, AUTHENTIK) == (
        f"{HOST}: authenticated request ended at hop 1 (GET {final.url} via {final.peer}) with {final.status}, "
        "expected 200")


# -- unknown_host_problem -------------------------------------------------------------------------

UNKNOWN = "nosuchservice.k8s.home.geoffdavis.com"


@pytest.mark.parametrize("hop", [
    Hop("GET", f"https://{UNKNOWN}/", 404, peer=V4),
    Hop("GET", f"https://{UNKNOWN}/", 302, START, peer=V4),
    Hop("GET", f"https://{UNKNOWN}/", peer=V4, error="ConnectError: [SSL: TLSV1_UNRECOGNIZED_NAME]"),
])
def test_unknown_host_gets_no_content(hop: Hop) -> None:
    assert edge.unknown_host_problem(chain(hop), UNKNOWN) is None


def test_unknown_host_served_content() -> None:
    served = chain(Hop("GET", f"https://{UNKNOWN}/", 200, peer=V4))
    assert edge.unknown_host_problem(served, UNKNOWN) == (
        f"{UNKNOWN} (no such service) got 200 with content at hop 1 (GET https://{UNKNOWN}/ via {V4})")


# -- claim_problems -------------------------------------------------------------------------------

def ingress(namespace: str, name: str, hosts: tuple[str, ...] = (), tls: tuple[str, ...] = ()) -> IngressObject:
    return IngressObject(namespace, name, "nginx-internal", hosts, tls)


def test_only_the_outpost_claims_protected_hosts() -> None:
    ingresses = [
        ingress("authentik-proxy", "authentik-proxy", (HOST, "hubble.k8s.home.geoffdavis.com"), (HOST,)),
        ingress("authentik", "authentik", (AUTHENTIK,), (AUTHENTIK,)),
        ingress("media", "jellyfin", ("jellyfin.home.geoffdavis.com",)),
        ingress("misc", "lookalike", ("evilk8s.home.geoffdavis.com",)),
    ]
    assert edge.claim_problems(ingresses, DOMAIN, OUTPOST, WHERE, AUTHENTIK) == []


def test_another_ingress_claiming_a_protected_host() -> None:
    ingresses = [ingress("authentik-proxy", "authentik-proxy", (HOST,)),
                 ingress("longhorn-system", "longhorn", (HOST,), (HOST, "hubble.k8s.home.geoffdavis.com"))]
    assert edge.claim_problems(ingresses, DOMAIN, OUTPOST, WHERE, AUTHENTIK) == [
        f"Ingress longhorn-system/longhorn at {WHERE} claims hubble.k8s.home.geoffdavis.com, {HOST} under the "
        f"protected domain {DOMAIN}; only {OUTPOST} (the Authentik outpost) may"]


def test_claiming_the_bare_domain_or_a_tls_host_only() -> None:
    ingresses = [ingress("web", "apex", (DOMAIN,)), ingress("web", "tls-only", (), ("grafana." + DOMAIN,))]
    problems = edge.claim_problems(ingresses, DOMAIN, OUTPOST, WHERE, AUTHENTIK)
    assert [p.split(" claims ")[1].split(" under ")[0] for p in problems] == [DOMAIN, "grafana." + DOMAIN]
    assert problems[0].startswith(f"Ingress web/apex at {WHERE}")


def test_authentik_host_is_exempt_only_when_named() -> None:
    ingresses = [ingress("authentik", "authentik", (AUTHENTIK,))]
    assert edge.claim_problems(ingresses, DOMAIN, OUTPOST, WHERE, AUTHENTIK) == []
    assert edge.claim_problems(ingresses, DOMAIN, OUTPOST, WHERE) == [
        f"Ingress authentik/authentik at {WHERE} claims {AUTHENTIK} under the protected domain {DOMAIN}; "
        f"only {OUTPOST} (the Authentik outpost) may"]
