"""The protected hosts end to end: ingress-nginx, the outpost redirect flow, the unattended login, faults."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from builders import namespace, outpost_ingress

from harness.core.wait import wait_until
from harness.probes import authn
from harness.probes.http import Chain, HttpProbe
from lab.edge import EdgeLab

pytestmark = pytest.mark.lab

APPS = ("longhorn", "hubble")


@pytest.fixture(scope="module")
def protected(edge_env: Any) -> tuple[str, ...]:
    """The owner's outpost Ingress for two hosts; waits until served with the issued cert."""
    edge, _, store = edge_env
    if store.get("v1", "Namespace", None, edge.spec.outpost_namespace) is None:
        store.create(namespace(edge.spec.outpost_namespace))
    hosts = tuple(f"{app}.{edge.spec.zone}" for app in APPS)
    store.create(outpost_ingress(edge.spec, hosts, name="authentik-proxy"))
    edge.wait_synced(5)
    return hosts


def fetch(in_client: Callable[..., Any], probe: HttpProbe, url: str, family: str = "ipv4",
          **kw: Any) -> Chain:
    return in_client(lambda: probe.fetch_chain(url, family, **kw))


def served(in_client: Callable[..., Any], probe: HttpProbe, url: str) -> None:
    def check() -> str | None:
        chain = fetch(in_client, probe, url, max_hops=1)
        return None if chain.final.status is not None else chain.describe()
    wait_until(check, timeout=5, what=f"{url} answered by nginx")


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_unauthenticated_chain_ends_at_authentik_login(
        edge: EdgeLab, protected: tuple[str, ...], http_probe: HttpProbe,
        in_client: Callable[..., Any], family: str) -> None:
    """Upstream's five hops (fixtures/upstream/authentik/chain-unauthenticated.json) through nginx."""
    host = protected[0]
    served(in_client, http_probe, f"https://{host}/")
    chain = fetch(in_client, http_probe, f"https://{host}/dashboard?x=1", family)
    first, start, authorize, default_flow, flow_page = chain.hops
    assert (first.status, urlsplit(first.location or "").path) == (302, "/outpost.goauthentik.io/start"), \
        chain.describe()
    assert parse_qs(urlsplit(first.location or "").query)["rd"] == [f"https://{host}/dashboard"]  # no query kept
    assert first.set_cookies == start.set_cookies and len(start.set_cookies) == 1
    assert start.host == host and start.status == 302
    assert start.set_cookies[0].startswith("authentik_proxy_") and len(start.set_cookies[0]) == 24
    query = parse_qs(urlsplit(start.location or "").query)
    assert urlsplit(start.location or "").netloc == edge.spec.authentik_host, chain.describe()
    assert query["redirect_uri"] == [
        f"https://{host}/outpost.goauthentik.io/callback?X-authentik-auth-callback=true"]
    assert query["response_type"] == ["code"] and "openid" in query["scope"][0]
    assert query["client_id"] and query["state"][0].count(".") == 2, chain.describe()   # a JWT
    assert authorize.host == edge.spec.authentik_host and authorize.status == 302
    assert authorize.set_cookies == ("authentik_session",)
    assert urlsplit(authorize.location or "").path == "/flows/-/default/authentication/"
    assert default_flow.status == 302 and urlsplit(default_flow.location or "").path == \
        "/if/flow/default-authentication-flow/"
    assert flow_page.status == 200 and "ak-flow-executor" in flow_page.text, chain.describe()
    assert first.peer is not None and edge.spec.ingress_address(family) in first.peer
    assert host in first.tls_sans, f"served cert must name {host}: {first.describe()}"


def test_login_then_session_reaches_the_app(edge: EdgeLab, protected: tuple[str, ...],
                                            http_probe: HttpProbe, in_client: Callable[..., Any]) -> None:
    """The harness's unattended login (flow executor API) works unchanged through nginx."""
    host = protected[1]
    served(in_client, http_probe, f"https://{host}/")
    creds = edge.login_credentials
    account = authn.Credentials(creds.username, creds.password, "the lab")
    jar = in_client(lambda: authn.login(http_probe, f"https://{host}/flows", "ipv4", account))
    assert jar.names() == [n for n in jar.names() if n.startswith("authentik_proxy_")] and jar.names()
    assert creds.password not in repr(jar)
    again = fetch(in_client, http_probe, f"https://{host}/", cookies=jar)
    assert [h.status for h in again.hops] == [200] and "<h1>hubble</h1>" in again.final.text, again.describe()


def test_wrong_password_is_refused(edge: EdgeLab, protected: tuple[str, ...], http_probe: HttpProbe,
                                   in_client: Callable[..., Any]) -> None:
    account = authn.Credentials(edge.login_credentials.username, "wrong-password", "test")
    with pytest.raises(authn.LoginFailed, match="wrong username or password: .* asked again at ak-stage-password"):
        in_client(lambda: authn.login(http_probe, f"https://{protected[0]}/", "ipv4", account))


def test_session_cookie_hook_gives_app_content(edge: EdgeLab, protected: tuple[str, ...],
                                               http_probe: HttpProbe, in_client: Callable[..., Any]) -> None:
    host = protected[0]
    cookies = edge.session_cookie_for("akadmin", host)
    chain = fetch(in_client, http_probe, f"https://{host}/", cookies=cookies)
    assert chain.final.status == 200 and "<h1>longhorn</h1>" in chain.final.text, chain.describe()
    assert next(iter(cookies.values())) not in chain.describe()


def test_plain_http_is_redirected_with_308(edge: EdgeLab, protected: tuple[str, ...],
                                           http_probe: HttpProbe, in_client: Callable[..., Any]) -> None:
    host = protected[0]
    chain = fetch(in_client, http_probe, f"http://{host}/a?b=c", max_hops=1)
    assert (chain.final.status, chain.final.location) == (308, f"https://{host}/a?b=c"), chain.describe()


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_unknown_host_gets_default_backend_404(edge: EdgeLab, protected: tuple[str, ...],
                                               in_client: Callable[..., Any], family: str) -> None:
    probe = HttpProbe(lambda host, fam: [edge.spec.ingress_address(fam)], edge.ca_cert_path, 3.0)
    host = f"nosuchapp.{edge.spec.zone}"
    plain = fetch(in_client, probe, f"http://{host}/", family)
    assert plain.final.status == 404 and "default backend" in plain.final.text, plain.describe()
    assert "longhorn" not in plain.final.text and "authentik" not in plain.final.text
    tls = fetch(in_client, probe, f"https://{host}/", family)
    assert tls.final.error and "CERTIFICATE_VERIFY_FAILED" in tls.final.error, tls.describe()
    assert tls.final.tls_sans == ("ingress.local",), tls.describe()


def test_fault_outpost_bypass_serves_app_without_auth(edge: EdgeLab, protected: tuple[str, ...],
                                                      http_probe: HttpProbe, in_client: Callable[..., Any]) -> None:
    edge.set_fault("outpost-bypass")
    chain = fetch(in_client, http_probe, f"https://{protected[0]}/")
    assert [h.status for h in chain.hops] == [200] and "longhorn" in chain.final.text, chain.describe()


def test_fault_redirect_other_host(edge: EdgeLab, protected: tuple[str, ...], http_probe: HttpProbe,
                                   in_client: Callable[..., Any]) -> None:
    edge.set_fault("redirect-other-host")
    host = protected[0]
    chain = fetch(in_client, http_probe, f"https://{host}/")
    redirect_uri = parse_qs(urlsplit(chain.hops[1].location or "").query)["redirect_uri"][0]
    assert urlsplit(redirect_uri).hostname != host, chain.describe()
    assert chain.final.status == 400, f"authentik must refuse the unregistered URI: {chain.describe()}"


def test_fault_wrong_cert_name(edge: EdgeLab, protected: tuple[str, ...], http_probe: HttpProbe,
                               in_client: Callable[..., Any]) -> None:
    host = protected[0]
    edge.set_fault("wrong-cert-name")

    def broken() -> str | None:
        hop = fetch(in_client, http_probe, f"https://{host}/", max_hops=1).final
        return None if hop.error and host not in hop.tls_sans else hop.describe()

    wait_until(broken, timeout=5, what="nginx serving the wrong certificate")
    hop = fetch(in_client, http_probe, f"https://{host}/", max_hops=1).final
    assert "CERTIFICATE_VERIFY_FAILED" in (hop.error or "") and hop.tls_sans == (f"wrong-name.{edge.spec.zone}",)
    edge.set_fault(None)

    def healed() -> str | None:
        hop = fetch(in_client, http_probe, f"https://{host}/", max_hops=1).final
        return None if hop.error is None else hop.describe()

    wait_until(healed, timeout=5, what="nginx serving the issued certificate again")
