"""Steps for features/bgp.feature."""

from __future__ import annotations

from pytest_bdd import given, parsers, then

from harness.core.errors import CheckFailed, ConfigError, KubeApiError, RouterError, WaitTimeout
from harness.core.netaddr import Family, parse_ip
from harness.core.wait import wait_until
from harness.model.cilium_versions import PEERING_POLICY
from harness.model.profile import Profile
from harness.probes.cilium_agent import running_version
from harness.probes.cluster import Cluster
from harness.probes.packets import tcp_syn
from harness.probes.router import NEIGHBORS, SUMMARY, RouterProbe, paths_command, received_command
from harness.rules import bgp, require
from harness.rules.requirements import Requirement as R
from steps import FAMILY
from steps.fixtures import Evidence

ACCEPTS = "the router accepts the service's {family} address from every node, each node its own next hop"


def _host_prefix(address: str) -> str:
    ip = parse_ip(address)
    assert ip is not None, f"not an address: {address}"
    return f"{ip}/{ip.max_prefixlen}"


# A route reaches the router within a few hundred milliseconds of its cause: poll every 0.05-0.3 s (one
# vtysh command over the shared SSH connection each), not back off to wait_until's 1 s default.
POLL, POLL_MAX = 0.05, 0.3


@then(parsers.parse("every node has an Established {family} BGP session with the router"), converters=FAMILY)
def sessions_established(profile: Profile, router: RouterProbe, family: Family) -> None:
    problems = bgp.session_problems(profile, router.sessions(), router.where, family)
    if problems:
        raise CheckFailed("\n".join(problems))


@given(parsers.parse(ACCEPTS))
@then(parsers.parse(ACCEPTS))
def route_accepted(profile: Profile, router: RouterProbe, cluster: Cluster, service_address: str,
                   family: Family) -> None:
    prefix = _host_prefix(service_address)

    def check() -> str | None:
        router.invalidate()
        problems = bgp.route_problems(profile, router.paths(family), prefix, family, router.where)
        return "\n".join(problems) or None

    try:
        wait_until(check, timeout=profile.timeouts.assert_, interval=POLL, max_interval=POLL_MAX,
                   what=f"route {prefix} at {router.where}")
    except WaitTimeout as exc:   # say so when the cluster's BGP configuration is one its Cilium ignores
        raise CheckFailed("\n".join([str(exc), *_ignored_bgp_config(cluster)])) from exc


def _ignored_bgp_config(cluster: Cluster) -> list[str]:
    try:
        return bgp.ignored_config_problems(*running_version(cluster.api), cluster.url,
                                           cluster.cilium_object_names(PEERING_POLICY),
                                           cluster.cilium_object_names("CiliumBGPClusterConfig"))
    except (CheckFailed, KubeApiError) as exc:
        return [f"(could not tell whether the running Cilium ignores the BGP configuration: {exc})"]


@then(parsers.parse("the router withdraws the service's {family} address from every node"), converters=FAMILY)
def route_withdrawn(profile: Profile, router: RouterProbe, service_address: str, family: Family) -> None:
    prefix = _host_prefix(service_address)

    def check() -> str | None:
        router.invalidate()
        return "\n".join(bgp.withdrawn_problems(profile, router.paths(family), prefix, family, router.where)) or None

    wait_until(check, timeout=profile.timeouts.assert_, interval=POLL, max_interval=POLL_MAX,
               what=f"withdrawal of {prefix} at {router.where}")


@then(parsers.parse("no node advertises, and the router accepts from no node, a {family} route outside the LB ranges"),
      converters=FAMILY)
def nothing_outside(profile: Profile, evidence: Evidence, family: Family) -> None:
    """A repo: what Cilium would export and the router's prefix-lists accept. A cluster: read per node by
    its session address (the IPv4 one for IPv6 too on the owner's topology); an FRR refusal or a session
    not carrying the family is retried until the deadline, then reported."""
    if evidence.repo is not None:
        require(evidence.repo.problems(R.outside(family)))
        return
    router = evidence.router
    peers = [bgp.session_address(profile, n, family) for n in profile.nodes]

    def check() -> str | None:
        router.invalidate()
        router.prefetch([paths_command(family), SUMMARY, NEIGHBORS, *(received_command(p, family) for p in peers)])
        problems = bgp.outside_problems(profile, family, router.where, router.paths(family),
                                        lambda address: router.received(address, family), router.sessions())
        return "\n".join(problems) or None

    wait_until(check, timeout=profile.timeouts.assert_, interval=POLL, max_interval=POLL_MAX,
               what=f"{family} routes outside the LB ranges at {router.where}")


@then("the cluster's BGP configuration advertises every advertised pool, and the router accepts its addresses "
      "from every node")
def advertised_and_accepted(evidence: Evidence) -> None:
    if evidence.repo is None:
        raise ConfigError("this scenario reads a GitOps repo (--target repo); on a cluster the route scenarios "
                          "judge the same end to end")
    require(evidence.repo.problems(R.BGP))


@then(parsers.parse("a TCP SYN to the ingress {family} address on port {port:d} is answered by the ingress, "
                    "through the router"), converters=FAMILY)
def ingress_answers(profile: Profile, router: RouterProbe, family: Family, port: int) -> None:
    address = str(profile.ingress.addresses.require(family, "ingress address"))

    def check() -> str | None:
        problem = bgp.syn_problem(tcp_syn(address, port, timeout=1.0), address, router.where)
        if problem is None:
            return None
        try:  # what the router holds for the address, as evidence for the failure (never instead of it)
            router.invalidate()
            note = bgp.mapped_only_note(profile, router.paths(family), _host_prefix(address), family, router.where)
        except RouterError:
            note = None
        return problem if note is None else f"{problem}\n{note}"

    wait_until(check, timeout=profile.timeouts.assert_, interval=POLL, max_interval=POLL_MAX,
               what=f"TCP to the ingress at {address}:{port}")
