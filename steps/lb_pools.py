"""Steps for features/lb_pools.feature."""

from __future__ import annotations

from contextlib import ExitStack

from pytest_bdd import given, parsers, then, when

from harness.checks import lb
from harness.cluster import Cluster
from harness.errors import CheckFailed
from harness.profile import Profile
from harness.selectors import labels_selecting
from harness.wait import hold_for, wait_until
from provisioning.run import RunContext

POOL_LABEL_PROBE = "lb-probe"


@given("a scratch namespace for this run", target_fixture="namespace")
def scratch_namespace(run: RunContext, cluster: Cluster) -> str:
    ns = run.scratch_namespace()
    cluster.invalidate()
    return ns


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


@when(parsers.parse('a LoadBalancer service labelled for pool "{pool}" is created for {family}'),
      target_fixture="created_service")
def create_pool_service(run: RunContext, scenario_stack: ExitStack, profile: Profile, namespace: str,
                        pool: str, family: str) -> str:
    labels = labels_selecting(profile.pool(pool).selector)
    name = f"{POOL_LABEL_PROBE}-{pool}"[:63]
    scenario_stack.enter_context(run.lb_service(namespace, name, labels=labels, families=(family,)))
    return f"{namespace}/{name}"


@when(parsers.parse('a LoadBalancer service labelled for the absent pool "{pool}" is created for {family}'),
      target_fixture="created_service")
def create_absent_pool_service(run: RunContext, scenario_stack: ExitStack, profile: Profile,
                               namespace: str, pool: str, family: str) -> str:
    label_key = next(iter(labels_selecting(profile.pools[0].selector)))
    name = f"{POOL_LABEL_PROBE}-absent"
    scenario_stack.enter_context(run.lb_service(namespace, name, labels={label_key: pool}, families=(family,)))
    return f"{namespace}/{name}"


@then(parsers.parse('the service gets an {family} address inside pool "{pool}"'))
def gets_address(cluster: Cluster, profile: Profile, created_service: str, family: str, pool: str) -> None:
    ns, name = created_service.split("/")
    wanted = profile.pool(pool)
    wait_until(lambda: lb.address_problem(cluster.service(ns, name, fresh=True), wanted, family, created_service),
               timeout=profile.timeouts.assert_, what=f"{family} address for {created_service} from pool {pool}")


@then("the service stays without an address, and Cilium says why")
def stays_pending(cluster: Cluster, profile: Profile, created_service: str) -> None:
    ns, name = created_service.split("/")
    pools = cluster.lb_pools()

    def reason_given() -> str | None:
        svc = cluster.service(ns, name, fresh=True)
        return lb.pending_problem(svc, created_service, pools) or (
            None if lb.pending_reason(svc) else f"service {created_service} has no IPAM condition yet")

    def still_pending() -> str | None:
        return lb.pending_problem(cluster.service(ns, name, fresh=True), created_service, pools)

    wait_until(reason_given, timeout=profile.timeouts.assert_, what=f"pending reason for {created_service}")
    hold_for(still_pending, duration=profile.timeouts.pending_hold, what=f"{created_service} stays pending")


