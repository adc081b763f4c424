"""Steps for features/lb_pools.feature."""

from __future__ import annotations

from pytest_bdd import then

from harness.checks import lb
from harness.cluster import Cluster
from harness.errors import CheckFailed
from harness.profile import Profile


@then("every LB pool in the profile exists on the cluster with the same blocks and service selector")
def pools_as_profiled(profile: Profile, cluster: Cluster) -> None:
    problems = lb.pool_differences(profile.pools, cluster.lb_pools(), where=cluster.url)
    if problems:
        raise CheckFailed("\n".join(problems))


@then("no two LB pools on the cluster share an address and none reports a conflict")
def pools_do_not_overlap(cluster: Cluster) -> None:
    problems = lb.overlaps(cluster.lb_pools(), where=cluster.url)
    if problems:
        raise CheckFailed("\n".join(problems))


@then("the ingress controller's service holds the profile's ingress address in every family")
def ingress_addresses(profile: Profile, cluster: Cluster) -> None:
    ing = profile.ingress
    ref = f"{ing.namespace}/{ing.service}"
    svc = cluster.service(ing.namespace, ing.service)
    problems = []
    for family in ing.addresses.families:
        want = str(ing.addresses.get(family))
        if svc is None or want not in {str(ip) for ip in svc.lb_addresses}:
            holders = lb.holder_of(want, cluster.services(), exclude=ref)
            seen = ", ".join(str(ip) for ip in svc.lb_addresses) if svc else "service not found"
            problems.append(f"ingress service {ref} at {cluster.url}: expected {family} address {want}, "
                            f"seen {seen or 'none'}"
                            + (f"; {want} is held by {', '.join(holders)}" if holders else "")
                            + (f"; {svc.describe_conditions()}" if svc else ""))
    if problems:
        raise CheckFailed("\n".join(problems))
