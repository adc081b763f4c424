"""LB IPAM semantics of lab.cilium.ipam.reconcile, one Cilium rule per test."""

from __future__ import annotations

from typing import Any

import pytest
from cilium_builders import pool, svc

from lab.cilium.ipam import IpamConfig, IpamResult, reconcile

SEL = {"matchLabels": {"io.cilium/lb-ipam-pool": "bgp-ingress"}}
INGRESS_POOL = pool("bgp-ingress", {"start": "172.29.52.200", "stop": "172.29.52.220"}, selector=SEL)
LABELLED = {"io.cilium/lb-ipam-pool": "bgp-ingress"}


def ips(result: IpamResult, name: str, ns: str = "default") -> list[str]:
    return [i["ip"] for i in result.services[(ns, name)].ingress]


def cond(result: IpamResult, name: str, ns: str = "default") -> dict[str, Any]:
    (found,) = [c for c in result.services[(ns, name)].conditions if c["type"] == "cilium.io/IPAMRequestSatisfied"]
    return found


def pool_cond(result: IpamResult, name: str, cond_type: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [c for c in result.pools[name]["conditions"] if c["type"] == cond_type]
    assert len(found) == 1, f"pool {name}: expected one {cond_type} condition, saw {found}"
    return found[0]


def test_labelled_service_gets_first_address_and_satisfied_condition() -> None:
    result = reconcile([INGRESS_POOL], [svc("web", labels=LABELLED)], now="T1")
    assert ips(result, "web") == ["172.29.52.200"]
    assert cond(result, "web") == {
        "type": "cilium.io/IPAMRequestSatisfied",
        "status": "True",
        "observedGeneration": 1,
        "reason": "satisfied",
        "message": "",
        "lastTransitionTime": "T1",
    }


def test_non_loadbalancer_services_are_not_touched() -> None:
    result = reconcile([INGRESS_POOL], [svc("cip", labels=LABELLED, type="ClusterIP")])
    assert ("default", "cip") not in result.services


@pytest.mark.parametrize(
    ("lb_class", "config", "handled"),
    [
        ("io.cilium/bgp-control-plane", IpamConfig(), True),
        ("io.cilium/l2-announcer", IpamConfig(), False),  # L2 announcements are disabled on the owner's cluster
        ("io.cilium/l2-announcer", IpamConfig(lb_classes=frozenset({"io.cilium/l2-announcer"})), True),
        ("metallb.io/metallb", IpamConfig(), False),
        (None, IpamConfig(default_ipam=False), False),
    ],
)
def test_load_balancer_class_decides_responsibility(lb_class: str | None, config: IpamConfig, handled: bool) -> None:
    extra: dict[str, Any] = {"loadBalancerClass": lb_class} if lb_class else {}
    result = reconcile([INGRESS_POOL], [svc("web", labels=LABELLED, **extra)], config=config)
    assert (("default", "web") in result.services) is handled


def test_annotation_alone_selects_nothing_and_service_stays_pending() -> None:
    result = reconcile([INGRESS_POOL], [svc("web", annotations=LABELLED)])
    assert ips(result, "web") == []
    assert (cond(result, "web")["status"], cond(result, "web")["reason"]) == ("False", "no_pool")
    assert cond(result, "web")["message"] == "There are no enabled CiliumLoadBalancerIPPools that match this service"


@pytest.mark.parametrize(
    "selector",
    [
        {"matchLabels": {"io.kubernetes.service.namespace": "ingress-nginx"}},
        {"matchExpressions": [{"key": "io.kubernetes.service.name", "operator": "In", "values": ["web"]}]},
    ],
)
def test_special_service_name_and_namespace_keys(selector: dict[str, Any]) -> None:
    p = pool("p", {"cidr": "10.0.0.0/29"}, selector=selector)
    result = reconcile([p], [svc("web", "ingress-nginx"), svc("other", "default")])
    assert ips(result, "web", "ingress-nginx") == ["10.0.0.0"]
    assert ips(result, "other") == []


@pytest.mark.parametrize("selector", [None, {}])
def test_pool_without_or_with_empty_selector_matches_every_service(selector: dict[str, Any] | None) -> None:
    result = reconcile([pool("all", {"cidr": "10.0.0.0/29"}, selector=selector)], [svc("a"), svc("b", "x")])
    assert ips(result, "a") == ["10.0.0.0"] and ips(result, "b", "x") == ["10.0.0.1"]


def test_disabled_pool_allocates_nothing_new_but_keeps_existing() -> None:
    p = pool("p", {"cidr": "10.0.0.0/29"}, disabled=True)
    result = reconcile([p], [svc("new"), svc("old", ingress=["10.0.0.5"])])
    assert ips(result, "new") == [] and cond(result, "new")["reason"] == "no_pool"
    assert ips(result, "old") == ["10.0.0.5"]


@pytest.mark.parametrize(
    ("blocks", "field", "expected"),
    [
        ([{"start": "10.0.0.5", "stop": "10.0.0.9"}], "blocks", "10.0.0.5"),
        ([{"start": "10.0.0.7"}], "blocks", "10.0.0.7"),
        ([{"cidr": "10.1.0.0/24"}], "cidrs", "10.1.0.0"),  # first v2alpha1 CRD field
        ([{"cidr": "10.1.0.9/24"}], "blocks", "10.1.0.0"),  # host bits are masked
    ],
)
def test_block_shapes(blocks: list[dict[str, str]], field: str, expected: str) -> None:
    result = reconcile([pool("p", *blocks, field=field)], [svc("web")])
    assert ips(result, "web") == [expected]


def test_allow_first_last_no_reserves_network_and_broadcast() -> None:
    result = reconcile([pool("p", {"cidr": "10.0.0.0/30"}, allow_first_last="No")], [svc("a"), svc("b"), svc("c")])
    assert [ips(result, n) for n in "abc"] == [["10.0.0.1"], ["10.0.0.2"], []]
    assert cond(result, "c")["reason"] == "out_of_ips"
    assert cond(result, "c")["message"].startswith("All enabled CiliumLoadBalancerIPPools")


def test_allow_first_last_is_ignored_for_a_slash_31() -> None:
    result = reconcile([pool("p", {"cidr": "10.0.0.0/31"}, allow_first_last="No")], [svc("a"), svc("b")])
    assert [ips(result, n) for n in "ab"] == [["10.0.0.0"], ["10.0.0.1"]]


def test_next_address_comes_from_the_smallest_free_block() -> None:
    # free blocks: .2 (size 1) and .4-.7 (size 4): ipalloc takes the smallest block first.
    p = pool("p", {"cidr": "10.0.0.0/29"})
    taken = [svc("a", ingress=["10.0.0.0"]), svc("b", ingress=["10.0.0.1"]), svc("c", ingress=["10.0.0.3"])]
    result = reconcile([p], [*taken, svc("d", created="2024-02-01T00:00:00Z")])
    assert ips(result, "d") == ["10.0.0.2"]


V4 = pool("v4", {"cidr": "172.29.52.0/24"})
V6 = pool("v6", {"cidr": "fd47:25e1:2f96:51:100::/120"})


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, ["172.29.52.0"]),
        ({"ipFamilyPolicy": "SingleStack", "ipFamilies": ["IPv6"]}, ["fd47:25e1:2f96:51:100::"]),
        (
            {"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv6", "IPv4"]},
            ["172.29.52.0", "fd47:25e1:2f96:51:100::"],
        ),
        ({"ipFamilyPolicy": "RequireDualStack"}, ["172.29.52.0", "fd47:25e1:2f96:51:100::"]),
    ],
)
def test_ip_families_decide_what_a_service_gets(spec: dict[str, Any], expected: list[str]) -> None:
    result = reconcile([V4, V6], [svc("web", **spec)])
    assert ips(result, "web") == expected


def test_prefer_dual_stack_without_v6_pool_gets_v4_but_stays_unsatisfied() -> None:
    result = reconcile([V4], [svc("web", ipFamilyPolicy="PreferDualStack", ipFamilies=["IPv4", "IPv6"])])
    assert ips(result, "web") == ["172.29.52.0"]
    assert (cond(result, "web")["status"], cond(result, "web")["reason"]) == ("False", "no_pool")


def test_requested_addresses_from_annotation_and_legacy_field() -> None:
    services = [
        svc("a", annotations={"lbipam.cilium.io/ips": "172.29.52.10, 172.29.52.11"}),
        svc("b", loadBalancerIP="172.29.52.20"),
        svc("c", annotations={"io.cilium/lb-ipam-ips": "172.29.52.30"}),
    ]
    result = reconcile([V4], services)
    assert (ips(result, "a"), ips(result, "b"), ips(result, "c")) == (
        ["172.29.52.10", "172.29.52.11"],
        ["172.29.52.20"],
        ["172.29.52.30"],
    )


def test_requested_address_in_use_is_reported_already_allocated() -> None:
    services = [svc("a", loadBalancerIP="172.29.52.20"), svc("b", loadBalancerIP="172.29.52.20", created="2024-02-01")]
    result = reconcile([V4], services)
    assert ips(result, "a") == ["172.29.52.20"] and ips(result, "b") == []
    c = cond(result, "b")
    assert (c["status"], c["reason"]) == ("False", "already_allocated")
    assert c["message"] == "The IP '172.29.52.20' is already allocated to another service"


def test_requested_address_outside_every_pool() -> None:
    result = reconcile([V4], [svc("a", loadBalancerIP="192.0.2.1")])
    assert (cond(result, "a")["reason"], cond(result, "a")["message"]) == (
        "no_pool",
        "No pool exists with a CIDR containing '192.0.2.1'",
    )


def test_requested_address_in_pool_that_does_not_select_the_service() -> None:
    result = reconcile([INGRESS_POOL], [svc("a", loadBalancerIP="172.29.52.201")])
    assert (cond(result, "a")["reason"], cond(result, "a")["message"]) == (
        "pool_selector_mismatch",
        "The pool with the CIDR containing '172.29.52.201', doesn't select this service",
    )


SHARE = {"lbipam.cilium.io/sharing-key": "k"}


def test_sharing_key_shares_one_address_between_compatible_services() -> None:
    a = svc("a", annotations=SHARE, ports=[{"port": 80}])
    b = svc("b", annotations=SHARE, ports=[{"port": 443}], created="2024-02-01")
    result = reconcile([V4], [a, b])
    assert ips(result, "a") == ips(result, "b") == ["172.29.52.0"]


def test_sharing_key_with_overlapping_ports_gets_its_own_address() -> None:
    a = svc("a", annotations=SHARE)
    b = svc("b", annotations=SHARE, created="2024-02-01")
    result = reconcile([V4], [a, b])
    assert ips(result, "a") == ["172.29.52.0"] and ips(result, "b") == ["172.29.52.1"]


def test_requested_shared_address_with_incompatible_service() -> None:
    a = svc("a", annotations={**SHARE, "lbipam.cilium.io/ips": "172.29.52.9"})
    b = svc("b", annotations={**SHARE, "lbipam.cilium.io/ips": "172.29.52.9"}, created="2024-02-01")
    result = reconcile([V4], [a, b])
    assert cond(result, "b")["reason"] == "already_allocated_incompatible_service"
    assert cond(result, "b")["message"].startswith("The IP '172.29.52.9' is already allocated to an incompatible")


def test_allocation_is_sticky_even_when_a_lower_address_is_free() -> None:
    result = reconcile([INGRESS_POOL], [svc("web", labels=LABELLED, ingress=["172.29.52.210"])])
    assert ips(result, "web") == ["172.29.52.210"]


def test_address_is_released_when_service_stops_matching() -> None:
    catch_all = pool("catch-all", {"cidr": "10.0.0.0/29"})
    result = reconcile([INGRESS_POOL, catch_all], [svc("web", ingress=["172.29.52.210"])])
    assert ips(result, "web") == ["10.0.0.0"]  # label gone: re-allocated from the catch-all pool


def test_address_is_released_when_pool_shrinks_away_from_it() -> None:
    shrunk = pool("bgp-ingress", {"start": "172.29.52.200", "stop": "172.29.52.205"}, selector=SEL)
    result = reconcile([shrunk], [svc("web", labels=LABELLED, ingress=["172.29.52.210"])])
    assert ips(result, "web") == ["172.29.52.200"]


def test_deleted_service_frees_its_address_for_the_next_one() -> None:
    first = reconcile([INGRESS_POOL], [svc("a", labels=LABELLED)])
    assert ips(first, "a") == ["172.29.52.200"]
    second = reconcile([INGRESS_POOL], [svc("b", labels=LABELLED)])
    assert ips(second, "b") == ["172.29.52.200"]


def test_service_no_longer_ours_loses_ingress_and_condition() -> None:
    ours = reconcile([V4], [svc("web")]).services[("default", "web")]
    moved = svc("web", ingress=["172.29.52.0"], conditions=ours.conditions, type="ClusterIP")
    result = reconcile([V4], [moved])
    assert result.services[("default", "web")].ingress == []
    assert result.services[("default", "web")].conditions == []


def test_unchanged_condition_keeps_its_transition_time() -> None:
    first = reconcile([V4], [svc("web")], now="T1").services[("default", "web")]
    pending = svc("web", conditions=[{**first.conditions[0], "status": "False", "reason": "no_pool"}])
    again = reconcile([V4], [pending], now="T2").services[("default", "web")]
    assert again.conditions[0]["lastTransitionTime"] == "T2"  # status flipped False -> True
    steady = reconcile([V4], [svc("web", ingress=ips_of(again), conditions=again.conditions)], now="T3")
    assert steady.services[("default", "web")].conditions[0]["lastTransitionTime"] == "T2"


def ips_of(outcome: Any) -> list[str]:
    return [i["ip"] for i in outcome.ingress]


def test_no_pools_means_dormant_and_nothing_is_written() -> None:
    assert reconcile([], [svc("web", ingress=["10.9.9.9"])]) == IpamResult()
    stripped = reconcile([], [svc("web", ingress=["10.9.9.9"])], dormant_if_no_pools=False)
    assert ips(stripped, "web") == [] and cond(stripped, "web")["reason"] == "no_pool"


OLD = pool("old", {"cidr": "172.29.52.0/24"}, created="2024-01-01T00:00:00Z")
NEW = pool("new", {"start": "172.29.52.100", "stop": "172.29.52.199"}, created="2024-03-01T00:00:00Z")


def test_overlapping_pools_mark_the_newer_one_conflicting() -> None:
    result = reconcile([NEW, OLD], [])
    c = pool_cond(result, "new", "cilium.io/PoolConflict")
    assert (c["status"], c["reason"]) == ("True", "cidr_overlap")
    assert c["message"] == (
        "Pool conflicts since range '172.29.52.100 - 172.29.52.199' overlaps range "
        "'172.29.52.0 - 172.29.52.255' from IP Pool 'old'"
    )
    assert pool_cond(result, "old", "cilium.io/PoolConflict")["status"] == "False"


def test_conflicting_pool_allocates_nothing() -> None:
    only_new = {"matchLabels": {"pool": "new"}}
    new = pool("new", {"cidr": "172.29.52.0/25"}, selector=only_new, created="2024-03-01")
    result = reconcile([OLD, new], [svc("web", labels={"pool": "new"}, ingress=[])])
    assert ips(result, "web") == ["172.29.52.0"]  # from 'old', which selects everything
    strict_old = pool("old", {"cidr": "172.29.52.0/24"}, selector={"matchLabels": {"x": "y"}})
    result = reconcile([strict_old, new], [svc("web", labels={"pool": "new"})])
    assert ips(result, "web") == [] and cond(result, "web")["reason"] == "no_pool"


def test_conflict_resolves_when_overlap_is_gone_and_prior_mark_is_sticky() -> None:
    marked = reconcile([NEW, OLD], []).pools["new"]
    moved = pool("new", {"cidr": "10.9.0.0/24"}, created="2024-03-01T00:00:00Z", status=marked)
    c = pool_cond(reconcile([moved, OLD], []), "new", "cilium.io/PoolConflict")
    assert (c["status"], c["reason"], c["message"]) == ("False", "resolved", "")
    # A pool already marked stays marked, even against a newer overlapping pool.
    newest = pool("newest", {"cidr": "172.29.52.128/25"}, created="2024-09-01T00:00:00Z")
    result = reconcile([pool("new", {"cidr": "172.29.52.0/24"}, created="2024-03-01", status=marked), newest], [])
    assert pool_cond(result, "new", "cilium.io/PoolConflict")["status"] == "True"
    assert pool_cond(result, "newest", "cilium.io/PoolConflict")["status"] == "False"


def test_pool_counts_include_reserved_addresses_as_used() -> None:
    p = pool("p", {"cidr": "10.0.0.0/29"}, allow_first_last="No")
    result = reconcile([p], [svc("a")])
    counts = {t: pool_cond(result, "p", f"cilium.io/IPs{t}") for t in ("Total", "Available", "Used")}
    assert {t: c["message"] for t, c in counts.items()} == {"Total": "8", "Available": "5", "Used": "3"}
    assert {(c["status"], c["reason"]) for c in counts.values()} == {("Unknown", "noreason")}
