"""LoadBalancer pool and address rules (harness/rules/lb.py) against the home-ops profile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import Unrecoverable
from harness.model.objects import LbPoolObject, Service
from harness.model.profile import Profile, load_profile
from harness.rules import lb

ROOT = Path(__file__).resolve().parents[2]
WHERE = "https://172.29.51.10:6443"
REF = "conformance/echo"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")


def pool_obj(name: str, *blocks: dict[str, str], selector: dict[str, Any] | None = None, disabled: bool = False,
             conditions: list[dict[str, str]] | None = None) -> LbPoolObject:
    spec: dict[str, Any] = {"blocks": list(blocks)}
    if selector is not None:
        spec["serviceSelector"] = selector
    if disabled:
        spec["disabled"] = True
    obj: dict[str, Any] = {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumLoadBalancerIPPool",
                           "metadata": {"name": name}, "spec": spec}
    if conditions is not None:
        obj["status"] = {"conditions": conditions}
    return LbPoolObject.parse(obj)


def live_pools() -> list[LbPoolObject]:
    """The cluster's pools exactly as the profile requires them (selectors written in another order)."""
    return [
        pool_obj("bgp-default", {"start": "172.29.52.100", "stop": "172.29.52.199"},
                 selector={"matchLabels": {"io.cilium/lb-ipam-pool": "bgp-default"}}),
        pool_obj("bgp-ingress", {"start": "172.29.52.200", "stop": "172.29.52.220"},
                 selector={"matchLabels": {"io.cilium/lb-ipam-pool": "bgp-ingress"}}),
        pool_obj("bgp-reserved", {"start": "172.29.52.221", "stop": "172.29.52.250"},
                 selector={"matchLabels": {"io.cilium/lb-ipam-pool": "bgp-reserved"}}),
        pool_obj("bgp-default-ipv6", {"cidr": "fd47:25e1:2f96:51:100::/120"},
                 selector={"matchExpressions": [{"key": "io.cilium/lb-ipam-pool", "operator": "In",
                                                 "values": ["bgp-ingress", "bgp-default", "bgp-default-ipv6"]}]}),
    ]


def svc(*lb_ips: str, name: str = "echo", namespace: str = "conformance", labels: dict[str, str] | None = None,
        conditions: list[dict[str, str]] | None = None) -> Service:
    status: dict[str, Any] = {"loadBalancer": {"ingress": [{"ip": ip} for ip in lb_ips]}}
    if conditions is not None:
        status["conditions"] = conditions
    return Service.parse({
        "metadata": {"name": name, "namespace": namespace,
                     "labels": labels if labels is not None else {"io.cilium/lb-ipam-pool": "bgp-default"}},
        "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.14.7"], "ipFamilies": ["IPv4", "IPv6"],
                 "ipFamilyPolicy": "RequireDualStack"},
        "status": status,
    })


NO_POOL = {"type": lb.IPAM_CONDITION, "status": "False", "reason": "no_pool",
           "message": "There are no enabled CiliumLoadBalancerIPPools that match this service"}
SATISFIED = {"type": lb.IPAM_CONDITION, "status": "True", "reason": "satisfied", "message": ""}


# -- pool_differences -----------------------------------------------------------------------------

def test_profiled_pools_conform(profile: Profile) -> None:
    assert lb.pool_differences(profile.pools, live_pools(), WHERE) == []


def test_extra_live_pools_are_not_a_difference(profile: Profile) -> None:
    extra = pool_obj("lab-extra", {"start": "172.29.52.10", "stop": "172.29.52.20"})
    assert lb.pool_differences(profile.pools, [*live_pools(), extra], WHERE) == []


def test_missing_pool_names_expected_blocks_and_what_is_present(profile: Profile) -> None:
    seen = [p for p in live_pools() if p.name != "bgp-ingress"]
    assert lb.pool_differences(profile.pools, seen, WHERE) == [
        f"pool bgp-ingress missing at {WHERE}: expected blocks 172.29.52.200-172.29.52.220; "
        "pools present: bgp-default, bgp-default-ipv6, bgp-reserved"]


def test_no_pools_at_all(profile: Profile) -> None:
    problems = lb.pool_differences(profile.pools, [], WHERE)
    assert len(problems) == 4
    assert all(p.endswith("pools present: none") for p in problems)
    assert problems[3] == (f"pool bgp-default-ipv6 missing at {WHERE}: expected blocks fd47:25e1:2f96:51:100::/120; "
                           "pools present: none")


def test_blocks_differ(profile: Profile) -> None:
    seen = [p if p.name != "bgp-default" else
            pool_obj("bgp-default", {"start": "172.29.52.100", "stop": "172.29.52.150"},
                     selector={"matchLabels": {"io.cilium/lb-ipam-pool": "bgp-default"}})
            for p in live_pools()]
    assert lb.pool_differences(profile.pools, seen, WHERE) == [
        f"pool bgp-default at {WHERE}: blocks differ: expected 172.29.52.100-172.29.52.199, "
        "seen 172.29.52.100-172.29.52.150"]


def test_same_addresses_written_as_cidr_or_range_do_not_differ(profile: Profile) -> None:
    """The IPv6 pool's /120 written as a start/stop range covers the same addresses."""
    seen = [p if p.name != "bgp-default-ipv6" else
            pool_obj("bgp-default-ipv6", {"start": "fd47:25e1:2f96:51:100::", "stop": "fd47:25e1:2f96:51:100::ff"},
                     selector=p.selector)
            for p in live_pools()]
    assert lb.pool_differences(profile.pools, seen, WHERE) == []


def test_block_split_in_two_is_a_difference(profile: Profile) -> None:
    seen = [p if p.name != "bgp-ingress" else
            pool_obj("bgp-ingress", {"start": "172.29.52.200", "stop": "172.29.52.210"},
                     {"start": "172.29.52.211", "stop": "172.29.52.220"}, selector=p.selector)
            for p in live_pools()]
    problems = lb.pool_differences(profile.pools, seen, WHERE)
    assert problems == [f"pool bgp-ingress at {WHERE}: blocks differ: expected 172.29.52.200-172.29.52.220, "
                        "seen 172.29.52.200-172.29.52.210, 172.29.52.211-172.29.52.220"]


def test_selector_differs(profile: Profile) -> None:
    seen = [p if p.name != "bgp-reserved" else
            pool_obj("bgp-reserved", {"start": "172.29.52.221", "stop": "172.29.52.250"},
                     selector={"matchLabels": {"io.cilium/lb-ipam-pool": "reserved"}})
            for p in live_pools()]
    assert lb.pool_differences(profile.pools, seen, WHERE) == [
        f"pool bgp-reserved at {WHERE}: serviceSelector differs: expected io.cilium/lb-ipam-pool=bgp-reserved, "
        "seen io.cilium/lb-ipam-pool=reserved"]


def test_absent_selector_is_described_as_selecting_everything(profile: Profile) -> None:
    seen = [p if p.name != "bgp-default" else pool_obj("bgp-default", {"start": "172.29.52.100",
                                                                       "stop": "172.29.52.199"})
            for p in live_pools()]
    assert lb.pool_differences(profile.pools, seen, WHERE) == [
        f"pool bgp-default at {WHERE}: serviceSelector differs: expected io.cilium/lb-ipam-pool=bgp-default, "
        "seen <selects everything>"]


def test_disabled_pool(profile: Profile) -> None:
    seen = [p if p.name != "bgp-ingress" else
            pool_obj("bgp-ingress", {"start": "172.29.52.200", "stop": "172.29.52.220"}, selector=p.selector,
                     disabled=True)
            for p in live_pools()]
    assert lb.pool_differences(profile.pools, seen, WHERE) == [
        f"pool bgp-ingress at {WHERE}: disabled (spec.disabled: true)"]


def test_every_difference_of_one_pool_is_reported(profile: Profile) -> None:
    seen = [p if p.name != "bgp-ingress" else
            pool_obj("bgp-ingress", {"cidr": "172.29.52.192/27"}, selector={"matchLabels": {"x": "y"}}, disabled=True)
            for p in live_pools()]
    problems = lb.pool_differences(profile.pools, seen, WHERE)
    assert [p.split(": ")[1] for p in problems] == ["blocks differ", "serviceSelector differs",
                                                    "disabled (spec.disabled"]
    assert "seen 172.29.52.192/27" in problems[0]
    assert "seen x=y" in problems[1]


# -- overlaps -------------------------------------------------------------------------------------

def test_profiled_pools_do_not_overlap() -> None:
    assert lb.overlaps(live_pools(), WHERE) == []


def test_adjacent_blocks_do_not_overlap() -> None:
    pools = [pool_obj("a", {"start": "172.29.52.100", "stop": "172.29.52.199"}),
             pool_obj("b", {"start": "172.29.52.200", "stop": "172.29.52.220"})]
    assert lb.overlaps(pools, WHERE) == []


def test_overlap_names_both_pools_blocks_count_and_first_shared_address() -> None:
    pools = [pool_obj("bgp-reserved", {"start": "172.29.52.221", "stop": "172.29.52.250"}),
             pool_obj("bgp-ingress", {"start": "172.29.52.200", "stop": "172.29.52.230"})]
    assert lb.overlaps(pools, WHERE) == [
        f"pools bgp-ingress (172.29.52.200-172.29.52.230) and bgp-reserved (172.29.52.221-172.29.52.250) overlap at "
        f"{WHERE}: 10 shared address(es) from 172.29.52.221"]


def test_ipv6_overlap_counts_and_names_an_ipv6_address() -> None:
    pools = [pool_obj("v6-a", {"cidr": "fd47:25e1:2f96:51:100::/120"}),
             pool_obj("v6-b", {"start": "fd47:25e1:2f96:51:100::f0", "stop": "fd47:25e1:2f96:51:100::1ff"})]
    assert lb.overlaps(pools, WHERE) == [
        f"pools v6-a (fd47:25e1:2f96:51:100::/120) and v6-b (fd47:25e1:2f96:51:100::f0-fd47:25e1:2f96:51:100::1ff) "
        f"overlap at {WHERE}: 16 shared address(es) from fd47:25e1:2f96:51:100::f0"]


def test_families_never_overlap() -> None:
    pools = [pool_obj("v4", {"cidr": "0.0.0.0/0"}), pool_obj("v6", {"cidr": "::/0"})]
    assert lb.overlaps(pools, WHERE) == []


def test_cilium_reported_conflict() -> None:
    conflict = {"type": "cilium.io/PoolConflict", "status": "True", "reason": "cidr_overlap",
                "message": "Pool's CIDR 172.29.52.200-172.29.52.220 overlaps with CIDR of bgp-default"}
    pools = [pool_obj("bgp-ingress", {"start": "172.29.52.200", "stop": "172.29.52.220"}, conditions=[conflict]),
             pool_obj("clean", {"start": "172.29.52.10", "stop": "172.29.52.20"},
                      conditions=[{**conflict, "status": "False", "message": ""}])]
    assert lb.overlaps(pools, WHERE) == [
        f"pool bgp-ingress at {WHERE} reports a conflict: "
        "Pool's CIDR 172.29.52.200-172.29.52.220 overlaps with CIDR of bgp-default"]


def test_conflict_without_message_falls_back_to_reason() -> None:
    pools = [pool_obj("p", {"cidr": "172.29.52.0/30"},
                      conditions=[{"type": "cilium.io/PoolConflict", "status": "True", "reason": "cidr_overlap"}])]
    assert lb.overlaps(pools, WHERE) == [f"pool p at {WHERE} reports a conflict: cidr_overlap"]


# -- address_problem ------------------------------------------------------------------------------

def test_address_inside_the_pool(profile: Profile) -> None:
    service = svc("172.29.52.150", "fd47:25e1:2f96:51:100::7", conditions=[SATISFIED])
    assert lb.address_problem(service, profile.pool("bgp-default"), "ipv4", REF) is None
    assert lb.address_problem(service, profile.pool("bgp-default-ipv6"), "ipv6", REF) is None


def test_service_not_found(profile: Profile) -> None:
    assert lb.address_problem(None, profile.pool("bgp-default"), "ipv4", REF) == f"service {REF} not found"


def test_no_address_yet_is_a_description_to_wait_on(profile: Profile) -> None:
    service = svc("fd47:25e1:2f96:51:100::7")
    assert lb.address_problem(service, profile.pool("bgp-default"), "ipv4", REF) == (
        f"service {REF} (labels {{'io.cilium/lb-ipam-pool': 'bgp-default'}}) has no ipv4 LoadBalancer address; "
        "expected one from pool bgp-default (172.29.52.100-172.29.52.199); no status conditions")


def test_no_address_while_ipam_satisfied_is_still_waited_on(profile: Profile) -> None:
    service = svc(conditions=[SATISFIED])
    problem = lb.address_problem(service, profile.pool("bgp-default"), "ipv4", REF)
    assert problem is not None
    assert "has no ipv4 LoadBalancer address" in problem
    assert problem.endswith("cilium.io/IPAMRequestSatisfied=True (satisfied: )")


def test_no_address_with_cilium_saying_why_is_unrecoverable(profile: Profile) -> None:
    service = svc(labels={"io.cilium/lb-ipam-pool": "nonexistent"}, conditions=[NO_POOL])
    with pytest.raises(Unrecoverable) as info:
        lb.address_problem(service, profile.pool("bgp-default"), "ipv4", REF)
    message = str(info.value)
    assert message.startswith(f"service {REF} (labels {{'io.cilium/lb-ipam-pool': 'nonexistent'}}) has no ipv4 "
                              "LoadBalancer address; expected one from pool bgp-default")
    assert message.endswith("cilium.io/IPAMRequestSatisfied=False (no_pool: There are no enabled "
                            "CiliumLoadBalancerIPPools that match this service)")


def test_address_outside_the_pool(profile: Profile) -> None:
    service = svc("172.29.52.205", conditions=[SATISFIED])
    assert lb.address_problem(service, profile.pool("bgp-default"), "ipv4", REF) == (
        f"service {REF} got 172.29.52.205, outside pool bgp-default (172.29.52.100-172.29.52.199)")


def test_only_the_asked_family_is_judged(profile: Profile) -> None:
    """An IPv6 address outside every pool does not matter to the IPv4 check."""
    service = svc("172.29.52.120", "2001:db8::1")
    assert lb.address_problem(service, profile.pool("bgp-default"), "ipv4", REF) is None
    assert lb.address_problem(service, profile.pool("bgp-default-ipv6"), "ipv6", REF) == (
        f"service {REF} got 2001:db8::1, outside pool bgp-default-ipv6 (fd47:25e1:2f96:51:100::/120)")


# -- pending_problem / pending_reason -------------------------------------------------------------

def test_pending_service_is_fine() -> None:
    assert lb.pending_problem(svc(conditions=[NO_POOL]), REF, live_pools()) is None


def test_pending_problem_service_not_found() -> None:
    assert lb.pending_problem(None, REF, live_pools()) == f"service {REF} not found"


def test_pending_problem_names_addresses_and_owning_pools() -> None:
    service = svc("172.29.52.230", "fd47:25e1:2f96:51:100::9", "10.0.0.1")
    assert lb.pending_problem(service, REF, live_pools()) == (
        f"service {REF} was given 172.29.52.230 (pool bgp-reserved), fd47:25e1:2f96:51:100::9 "
        "(pool bgp-default-ipv6), 10.0.0.1 (pool ?); expected it to stay pending")


def test_pending_reason() -> None:
    assert lb.pending_reason(None) is None
    assert lb.pending_reason(svc()) is None
    assert lb.pending_reason(svc(conditions=[SATISFIED])) is None
    assert lb.pending_reason(svc(conditions=[{**NO_POOL, "status": "Unknown"}])) is None
    assert lb.pending_reason(svc(conditions=[NO_POOL])) == (
        "no_pool: There are no enabled CiliumLoadBalancerIPPools that match this service")


def test_pending_reason_ignores_other_conditions() -> None:
    other = {"type": "cilium.io/SomethingElse", "status": "False", "reason": "r", "message": "m"}
    assert lb.pending_reason(svc(conditions=[other])) is None


# -- holder_of / ingress_address_problems ---------------------------------------------------------

INGRESS_REF = "ingress-nginx-internal/ingress-nginx-internal-controller"


def ingress_svc(*ips: str) -> Service:
    return svc(*ips, name="ingress-nginx-internal-controller", namespace="ingress-nginx-internal",
               labels={"io.cilium/lb-ipam-pool": "bgp-ingress"}, conditions=[SATISFIED])


def test_holder_of_excludes_the_service_itself() -> None:
    services = [ingress_svc("172.29.52.200"), svc("172.29.52.200", name="squatter", namespace="default"),
                svc("172.29.52.201", name="other", namespace="default")]
    assert lb.holder_of("172.29.52.200", services, exclude=INGRESS_REF) == ["default/squatter"]
    assert lb.holder_of("172.29.52.200", services, exclude="nobody/none") == [INGRESS_REF, "default/squatter"]
    assert lb.holder_of("172.29.52.199", services, exclude=INGRESS_REF) == []


def test_ingress_service_holds_both_addresses(profile: Profile) -> None:
    ing = ingress_svc("172.29.52.200", "fd47:25e1:2f96:51:100::c8")
    assert lb.ingress_address_problems(profile.ingress, ing, [ing], WHERE) == []


def test_ingress_service_missing_one_family(profile: Profile) -> None:
    ing = ingress_svc("172.29.52.200")
    assert lb.ingress_address_problems(profile.ingress, ing, [ing], WHERE) == [
        f"ingress service {INGRESS_REF} at {WHERE}: expected ipv6 address fd47:25e1:2f96:51:100::c8, "
        "seen 172.29.52.200; cilium.io/IPAMRequestSatisfied=True (satisfied: )"]


def test_ingress_address_held_by_another_service(profile: Profile) -> None:
    ing = ingress_svc("172.29.52.201", "fd47:25e1:2f96:51:100::c8")
    squatter = svc("172.29.52.200", name="squatter", namespace="default")
    problems = lb.ingress_address_problems(profile.ingress, ing, [ing, squatter], WHERE)
    assert problems == [
        f"ingress service {INGRESS_REF} at {WHERE}: expected ipv4 address 172.29.52.200, seen 172.29.52.201, "
        "fd47:25e1:2f96:51:100::c8; 172.29.52.200 is held by default/squatter; "
        "cilium.io/IPAMRequestSatisfied=True (satisfied: )"]


def test_ingress_service_not_found(profile: Profile) -> None:
    squatter = svc("fd47:25e1:2f96:51:100::c8", name="squatter", namespace="default")
    assert lb.ingress_address_problems(profile.ingress, None, [squatter], WHERE) == [
        f"ingress service {INGRESS_REF} at {WHERE}: expected ipv4 address 172.29.52.200, seen service not found",
        f"ingress service {INGRESS_REF} at {WHERE}: expected ipv6 address fd47:25e1:2f96:51:100::c8, "
        "seen service not found; fd47:25e1:2f96:51:100::c8 is held by default/squatter",
    ]


def test_ingress_service_without_addresses(profile: Profile) -> None:
    problems = lb.ingress_address_problems(profile.ingress, ingress_svc(), [], WHERE)
    assert [p.split(", seen ")[1] for p in problems] == ["none; cilium.io/IPAMRequestSatisfied=True (satisfied: )"] * 2


def test_conflict_is_reported_for_a_one_shot_iterable() -> None:
    pools = [pool_obj("p", {"cidr": "172.29.52.0/30"},
                      conditions=[{"type": "cilium.io/PoolConflict", "status": "True", "reason": "cidr_overlap"}])]
    assert lb.overlaps(iter(pools), WHERE) == [f"pool p at {WHERE} reports a conflict: cidr_overlap"]
