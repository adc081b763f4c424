"""Steps for features/authentik.feature."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest
from pytest_bdd import given, parsers, then

from harness.core.netaddr import Family
from harness.model.profile import Profile
from harness.model.targets import Target
from harness.probes import authn
from harness.probes.dns import DnsProbe
from harness.probes.http import CookieJar, HttpProbe, RecordingHttpProbe
from harness.rules import edge, require
from harness.rules.requirements import Requirement as R
from steps.fixtures import Evidence


@pytest.fixture(scope="session")
def dns_probe(profile: Profile) -> DnsProbe:
    servers = {f: str(a) for f, a in profile.identity.dns_servers.values}
    return DnsProbe(servers, timeout=profile.timeouts.request / 3)


@pytest.fixture(scope="session")
def http_probe(target: Target, profile: Profile, dns_probe: DnsProbe) -> HttpProbe:
    ingress = {f: str(a) for f, a in profile.ingress.addresses.values}

    def resolve(host: str, family: Family) -> list[str]:
        found = list(dns_probe.addresses(host, family).addresses)
        return found or ([ingress[family]] if host.endswith(profile.identity.protected_domain) else [])

    ca = target.ca_bundle
    return RecordingHttpProbe(resolve, Path(ca) if ca else None, timeout=profile.timeouts.request / 2)


@pytest.fixture(scope="session")
def session_source(pytestconfig: pytest.Config, target: Target) -> authn.SessionSource | None:
    """The Authentik test account (or outpost cookies) the authenticated scenario uses; None: none given."""
    return authn.find_source(pytestconfig.getoption(authn.CREDENTIALS_OPTION), target.authentik_login, os.environ)


def _families(profile: Profile) -> tuple[str, ...]:
    return profile.ingress.addresses.families


@then("no Ingress other than the outpost's claims a host under the protected domain")
def only_outpost(evidence: Evidence, profile: Profile) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.OUTPOST))
    ident, cluster = profile.identity, evidence.cluster
    outpost = f"{ident.outpost_namespace}/{ident.outpost_ingress}"
    require(edge.claim_problems(cluster.ingresses(), ident.protected_domain, outpost, cluster.url,
                                ident.authentik_host))


@then(parsers.parse('the protected host "{host}" resolves to the profile\'s ingress address in A and AAAA'))
def resolves(profile: Profile, dns_probe: DnsProbe, host: str) -> None:
    problems: list[str | None] = []
    for family in _families(profile):
        answer, want = dns_probe.addresses(host, family), str(profile.ingress.addresses.get(family))
        if answer.addresses != (want,):
            problems.append(f"{answer.describe()}; expected exactly {want} (the ingress {family} address)")
    require(problems)


@then(parsers.parse('the certificate served for "{host}" is valid for that name under the profile\'s CA'))
def certificate(profile: Profile, http_probe: HttpProbe, host: str) -> None:
    require([edge.certificate_problem(http_probe.fetch_chain(f"https://{host}/", f, max_hops=1), host)
            for f in _families(profile)])


@then(parsers.parse('plain HTTP to "{host}" redirects to HTTPS on the same host'))
def http_redirects(profile: Profile, http_probe: HttpProbe, host: str) -> None:
    require([edge.https_redirect_problem(http_probe.fetch_chain(f"http://{host}/", f, max_hops=1), host)
            for f in _families(profile)])


@then(parsers.parse('an unauthenticated HTTPS request to "{host}" ends at Authentik with a redirect_uri on the '
                    'same host'))
def redirected_to_authentik(profile: Profile, http_probe: HttpProbe, host: str) -> None:
    require([edge.authorize_problem(http_probe.fetch_chain(f"https://{host}/", f), host,
                                   profile.identity.authentik_host) for f in _families(profile)])


@given(parsers.parse('an authenticated Authentik session for "{host}"'), target_fixture="session")
def session(session_source: authn.SessionSource | None, profile: Profile, http_probe: HttpProbe,
            host: str) -> CookieJar:
    if session_source is None:
        pytest.skip(authn.NO_ACCOUNT)
    return authn.open_session(session_source, http_probe, f"https://{host}/", _families(profile)[0])


@then(parsers.parse('a request to "{host}" with that session reaches the app'))
def reaches_app(profile: Profile, http_probe: HttpProbe, session: CookieJar, host: str) -> None:
    require([edge.app_problem(http_probe.fetch_chain(f"https://{host}/", f, cookies=session), host,
                             profile.identity.authentik_host) for f in _families(profile)])


@then("a request for an unknown host under the protected domain gets no app content, over HTTP or HTTPS")
def unknown_host(profile: Profile, http_probe: HttpProbe) -> None:
    host = f"conformance-unknown-{secrets.token_hex(3)}.{profile.identity.protected_domain}"
    family = _families(profile)[0]
    require([edge.unknown_host_problem(http_probe.fetch_chain(f"{scheme}://{host}/", family, max_hops=1), host)
            for scheme in ("http", "https")])
