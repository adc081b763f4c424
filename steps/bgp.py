"""Steps for features/bgp.feature."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from harness.checks import bgp, require
from harness.errors import CheckFailed, ConfigError
from harness.netaddr import parse_ip
from harness.packets import tcp_syn
from harness.profile import Profile
from harness.router import RouterProbe
from harness.wait import wait_until
from steps.fixtures import Evidence

ACCEPTS = "the router accepts the service's {family} address from every node, each node its own next hop"


def _host_prefix(address: str) -> str:
    ip = parse_ip(address)
    assert ip is not None, f"not an address: {address}"
    return f"{ip}/{ip.max_prefixlen}"


@then(parsers.parse("every node has an Established {family} BGP session with the router"))
def sessions_established(profile: Profile, router: RouterProbe, family: str) -> None:
    problems = bgp.session_problems(profile, router.sessions(), router.where, family)
    if problems:
        raise CheckFailed("\n".join(problems))


@given(parsers.parse(ACCEPTS))
@then(parsers.parse(ACCEPTS))
def route_accepted(profile: Profile, router: RouterProbe, service_address: str, family: str) -> None:
    prefix = _host_prefix(service_address)

    def check() -> str | None:
        router.invalidate()
        problems = bgp.route_problems(profile, router.paths(family), prefix, family, router.where)
        return "\n".join(problems) or None

    wait_until(check, timeout=profile.timeouts.assert_, what=f"route {prefix} at {router.where}")


@then(parsers.parse("the router withdraws the service's {family} address from every node"))
def route_withdrawn(profile: Profile, router: RouterProbe, service_address: str, family: str) -> None:
    prefix = _host_prefix(service_address)

    def check() -> str | None:
        router.invalidate()
        return "\n".join(bgp.withdrawn_problems(profile, router.paths(family), prefix, family, router.where)) or None

    wait_until(check, timeout=profile.timeouts.assert_, what=f"withdrawal of {prefix} at {router.where}")


@then(parsers.parse("no node advertises, and the router accepts from no node, a {family} route outside the LB ranges"))
def nothing_outside(profile: Profile, router: RouterProbe, family: str) -> None:
    problems = bgp.outside_problems(profile, family, router.where, router.paths(family),
                                    lambda peer: router.received(peer, family))
    if problems:
        raise CheckFailed("\n".join(problems))


@then("the cluster's BGP configuration advertises every advertised pool, and the router accepts its addresses "
      "from every node")
def advertised_and_accepted(evidence: Evidence) -> None:
    if evidence.repo is None:
        raise ConfigError("this scenario reads a GitOps repo (--target repo); on a cluster the route scenarios "
                          "judge the same end to end")
    require(evidence.repo.problems("bgp"))


@then(parsers.parse("a TCP SYN to the ingress {family} address on port {port:d} is answered by the ingress, "
                    "through the router"))
def ingress_answers(profile: Profile, router: RouterProbe, family: str, port: int) -> None:
    address = str(profile.ingress.addresses.require(family, "ingress address"))
    wait_until(lambda: bgp.syn_problem(tcp_syn(address, port, timeout=1.0), address, router.where),
               timeout=profile.timeouts.assert_, what=f"TCP to the ingress at {address}:{port}")
