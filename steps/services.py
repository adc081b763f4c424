"""Steps that create LoadBalancer services and wait for their addresses (lb_pools, bgp, dual_stack)."""

from __future__ import annotations

from contextlib import ExitStack

from pytest_bdd import given, parsers, then, when

from harness.core.netaddr import Family
from harness.core.selectors import labels_selecting
from harness.core.wait import hold_for, wait_until
from harness.model.profile import Profile
from harness.probes.cluster import Cluster
from harness.rules import lb
from provisioning.run import RunContext
from steps import FAMILY

PROBE = "lb-probe"
CREATE = 'a LoadBalancer service labelled for pool "{pool}" is created for {family}'
GETS = 'the service gets an {family} address inside pool "{pool}"'


@given("a scratch namespace for this run", target_fixture="namespace")
def scratch_namespace(run: RunContext, cluster: Cluster) -> str:
    ns = run.scratch_namespace()
    cluster.invalidate()
    return ns


@given(parsers.parse(CREATE), target_fixture="created_service")
@when(parsers.parse(CREATE), target_fixture="created_service")
def create_pool_service(run: RunContext, scenario_stack: ExitStack, profile: Profile, namespace: str,
                        pool: str, family: Family) -> str:
    name = f"{PROBE}-{pool}"[:63]
    labels = labels_selecting(profile.pool(pool).selector)
    scenario_stack.enter_context(run.lb_service(namespace, name, labels=labels, families=(family,)))
    return f"{namespace}/{name}"


@when(parsers.parse('a LoadBalancer service labelled for the absent pool "{pool}" is created for {family}'),
      target_fixture="created_service", converters=FAMILY)
def create_absent_pool_service(run: RunContext, scenario_stack: ExitStack, profile: Profile,
                               namespace: str, pool: str, family: Family) -> str:
    label_key = next(iter(labels_selecting(profile.pools[0].selector)))
    name = f"{PROBE}-absent"
    scenario_stack.enter_context(run.lb_service(namespace, name, labels={label_key: pool}, families=(family,)))
    return f"{namespace}/{name}"


@given(parsers.parse(GETS), target_fixture="service_address")
@then(parsers.parse(GETS), target_fixture="service_address")
def gets_address(cluster: Cluster, profile: Profile, created_service: str, family: Family, pool: str) -> str:
    ns, name = created_service.split("/")
    wanted = profile.pool(pool)
    wait_until(lambda: lb.address_problem(cluster.service(ns, name, fresh=True), wanted, family, created_service),
               timeout=profile.timeouts.assert_, what=f"{family} address for {created_service} from pool {pool}")
    svc = cluster.service(ns, name, fresh=True)
    assert svc is not None, f"service {created_service} vanished"
    return next(str(ip) for ip in svc.lb_addresses if wanted.contains(ip))


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


@when("the service is deleted")
def delete_service(run: RunContext, cluster: Cluster, created_service: str) -> None:
    ns, name = created_service.split("/")
    run.remove_service(ns, name)
    cluster.invalidate()
