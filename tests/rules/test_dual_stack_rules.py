"""Dual-stack rules (harness/rules/dual_stack.py): node addresses, pod CIDRs, ClusterIPs and LoadBalancer
addresses per family, judged against the home-ops profile."""

from __future__ import annotations

from dataclasses import replace as dc_replace
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest

from harness.model.objects import NodeObject, Service
from harness.model.profile import ByFamily, Profile, load_profile
from harness.rules import dual_stack as ds

ROOT = Path(__file__).resolve().parents[2]
WHERE = "https://172.29.51.10:6443"
REF = "conformance/echo"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")


def node(name: str, *addresses: str, pod_cidrs: tuple[str, ...] = ()) -> NodeObject:
    return NodeObject.parse({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}},
        "spec": {"podCIDRs": list(pod_cidrs)} if pod_cidrs else {},
        "status": {"addresses": [*({"type": "InternalIP", "address": a} for a in addresses),
                                 {"type": "Hostname", "address": name}],
                   "conditions": [{"type": "Ready", "status": "True"}]},
    })


def conforming_nodes() -> list[NodeObject]:
    return [node(f"mini0{i}", f"172.29.51.1{i}", f"fd47:25e1:2f96:51::1{i}",
                 pod_cidrs=(f"10.244.{i - 1}.0/24", f"fd47:25e1:2f96:51:200{i - 1}::/80"))
            for i in (1, 2, 3)]


def replace(nodes: list[NodeObject], new: NodeObject) -> list[NodeObject]:
    return [new if n.name == new.name else n for n in nodes]


def service(cluster_ips: list[str] | None = None, lb_ips: tuple[str, ...] = (), *, name: str = "echo",
            namespace: str = "conformance", policy: str | None = "RequireDualStack",
            labels: dict[str, str] | None = None, conditions: list[dict[str, str]] | None = None) -> Service:
    spec: dict[str, Any] = {"type": "LoadBalancer"}
    if cluster_ips is not None:
        spec["clusterIPs"] = cluster_ips
    if policy is not None:
        spec["ipFamilyPolicy"] = policy
    status: dict[str, Any] = {"loadBalancer": {"ingress": [{"ip": ip} for ip in lb_ips]}}
    if conditions is not None:
        status["conditions"] = conditions
    return Service.parse({"metadata": {"name": name, "namespace": namespace,
                                       "labels": labels if labels is not None else
                                       {"io.cilium/lb-ipam-pool": "bgp-default"}},
                          "spec": spec, "status": status})


# -- node_address_problems ------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_node_addresses_conform(profile: Profile, family: str) -> None:
    assert ds.node_address_problems(profile, conforming_nodes(), family, WHERE) == []


def test_node_not_registered(profile: Profile) -> None:
    nodes = [n for n in conforming_nodes() if n.name != "mini02"]
    assert ds.node_address_problems(profile, nodes, "ipv4", WHERE) == [f"node mini02 not registered at {WHERE}"]


def test_unprofiled_nodes_are_ignored(profile: Profile) -> None:
    nodes = [*conforming_nodes(), node("worker-extra", "192.168.1.5")]
    assert ds.node_address_problems(profile, nodes, "ipv4", WHERE) == []


def test_node_without_an_ipv6_internal_ip(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini03", "172.29.51.13"))
    assert ds.node_address_problems(profile, nodes, "ipv6", WHERE) == [
        f"node mini03 at {WHERE} reports no ipv6 InternalIP (has 172.29.51.13); expected fd47:25e1:2f96:51::13"]
    assert ds.node_address_problems(profile, nodes, "ipv4", WHERE) == []


def test_node_without_any_internal_ip(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini01"))
    assert ds.node_address_problems(profile, nodes, "ipv4", WHERE) == [
        f"node mini01 at {WHERE} reports no ipv4 InternalIP (has none); expected 172.29.51.11"]


def test_node_with_another_address_inside_the_management_network(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini02", "172.29.51.99", "fd47:25e1:2f96:51::12"))
    assert ds.node_address_problems(profile, nodes, "ipv4", WHERE) == [
        f"node mini02 at {WHERE}: ipv4 InternalIP 172.29.51.99, expected 172.29.51.12"]


def test_node_address_outside_the_management_network(profile: Profile) -> None:
    """The profiled address plus a stray one from another VLAN: only the stray one is reported."""
    nodes = replace(conforming_nodes(), node("mini02", "172.29.51.12", "172.29.53.12", "fd47:25e1:2f96:51::12"))
    assert ds.node_address_problems(profile, nodes, "ipv4", WHERE) == [
        f"node mini02 at {WHERE}: ipv4 InternalIP 172.29.53.12 outside the management network 172.29.51.0/24"]


def test_wrong_address_outside_the_management_network_gives_both_problems(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini01", "172.29.51.11", "fd47:25e1:2f96:53::11"))
    assert ds.node_address_problems(profile, nodes, "ipv6", WHERE) == [
        f"node mini01 at {WHERE}: ipv6 InternalIP fd47:25e1:2f96:53::11, expected fd47:25e1:2f96:51::11",
        f"node mini01 at {WHERE}: ipv6 InternalIP fd47:25e1:2f96:53::11 outside the management network "
        "fd47:25e1:2f96:51::/64",
    ]


# -- pod_cidr_problems ----------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_pod_cidrs_conform(profile: Profile, family: str) -> None:
    assert ds.pod_cidr_problems(profile, conforming_nodes(), family, WHERE) == []


def test_node_without_pod_cidrs(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini02", "172.29.51.12", "fd47:25e1:2f96:51::12"))
    assert ds.pod_cidr_problems(profile, nodes, "ipv4", WHERE) == [
        f"node mini02 at {WHERE} has 0 ipv4 pod CIDRs (none); expected exactly one inside 10.244.0.0/16"]


def test_single_stack_node_has_no_ipv6_pod_cidr(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini01", "172.29.51.11", pod_cidrs=("10.244.0.0/24",)))
    assert ds.pod_cidr_problems(profile, nodes, "ipv4", WHERE) == []
    assert ds.pod_cidr_problems(profile, nodes, "ipv6", WHERE) == [
        f"node mini01 at {WHERE} has 0 ipv6 pod CIDRs (10.244.0.0/24); expected exactly one inside "
        "fd47:25e1:2f96:51::/64"]


def test_two_pod_cidrs_of_one_family(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini03", "172.29.51.13",
                                             pod_cidrs=("10.244.2.0/24", "10.244.3.0/24")))
    assert ds.pod_cidr_problems(profile, nodes, "ipv4", WHERE) == [
        f"node mini03 at {WHERE} has 2 ipv4 pod CIDRs (10.244.2.0/24, 10.244.3.0/24); expected exactly one "
        "inside 10.244.0.0/16"]


def test_pod_cidr_outside_the_pod_network(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini02", "172.29.51.12",
                                             pod_cidrs=("10.245.1.0/24", "fd47:25e1:2f96:52::/80")))
    assert ds.pod_cidr_problems(profile, nodes, "ipv4", WHERE) == [
        f"node mini02 at {WHERE}: ipv4 pod CIDR 10.245.1.0/24 outside the pod network 10.244.0.0/16"]
    assert ds.pod_cidr_problems(profile, nodes, "ipv6", WHERE) == [
        f"node mini02 at {WHERE}: ipv6 pod CIDR fd47:25e1:2f96:52::/80 outside the pod network "
        "fd47:25e1:2f96:51::/64"]


def test_overlapping_pod_cidrs(profile: Profile) -> None:
    nodes = replace(conforming_nodes(), node("mini03", "172.29.51.13",
                                             pod_cidrs=("10.244.0.0/23", "fd47:25e1:2f96:51:2002::/80")))
    assert ds.pod_cidr_problems(profile, nodes, "ipv4", WHERE) == [
        f"nodes mini01 (10.244.0.0/24) and mini03 (10.244.0.0/23) at {WHERE} have overlapping ipv4 pod CIDRs",
        f"nodes mini02 (10.244.1.0/24) and mini03 (10.244.0.0/23) at {WHERE} have overlapping ipv4 pod CIDRs",
    ]
    assert ds.pod_cidr_problems(profile, nodes, "ipv6", WHERE) == []


def test_pod_cidrs_of_unprofiled_nodes_are_ignored(profile: Profile) -> None:
    nodes = [*conforming_nodes(), node("stray", "10.0.0.5", pod_cidrs=("10.244.0.0/24",))]
    assert ds.pod_cidr_problems(profile, nodes, "ipv4", WHERE) == []


# -- cluster_ip_problems --------------------------------------------------------------------------

def test_dual_stack_cluster_ips_conform(profile: Profile) -> None:
    svc = service(["10.96.14.7", "fd47:25e1:2f96:51:1000::a1b2"])
    assert ds.cluster_ip_problems(profile, svc, REF) == []


def test_cluster_ip_service_not_found(profile: Profile) -> None:
    assert ds.cluster_ip_problems(profile, None, REF) == [f"service {REF} not found"]


def test_single_stack_service_lacks_the_ipv6_cluster_ip(profile: Profile) -> None:
    svc = service(["10.96.14.7"], policy="SingleStack")
    assert ds.cluster_ip_problems(profile, svc, REF) == [
        f"service {REF} (SingleStack) has no ipv6 ClusterIP (clusterIPs 10.96.14.7); expected one in "
        "fd47:25e1:2f96:51:1000::/108"]


def test_headless_service_has_no_cluster_ip_of_either_family(profile: Profile) -> None:
    svc = service(["None"], policy="PreferDualStack")
    problems = ds.cluster_ip_problems(profile, svc, REF)
    assert problems == [
        f"service {REF} (PreferDualStack) has no ipv4 ClusterIP (clusterIPs none); expected one in 10.96.0.0/12",
        f"service {REF} (PreferDualStack) has no ipv6 ClusterIP (clusterIPs none); expected one in "
        "fd47:25e1:2f96:51:1000::/108",
    ]


def test_cluster_ip_outside_the_service_network(profile: Profile) -> None:
    svc = service(["10.112.0.1", "fd47:25e1:2f96:51:1000:0:10:0"])
    assert ds.cluster_ip_problems(profile, svc, REF) == [
        f"service {REF}: ipv4 ClusterIP 10.112.0.1 outside the service network 10.96.0.0/12",
        f"service {REF}: ipv6 ClusterIP fd47:25e1:2f96:51:1000:0:10:0 outside the service network "
        "fd47:25e1:2f96:51:1000::/108",
    ]


# -- service_network_problems ---------------------------------------------------------------------

def test_service_networks_conform(profile: Profile) -> None:
    services = [service(["10.96.0.1"], name="kubernetes", namespace="default", policy="SingleStack"),
                service(["10.96.0.10", "fd47:25e1:2f96:51:1000::a"], name="kube-dns", namespace="kube-system"),
                service(["None"], name="headless", namespace="db", policy="SingleStack"),
                service(None, name="external-name", namespace="db", policy=None)]
    assert ds.service_network_problems(profile, services, WHERE) == []


def test_service_network_problems_are_sorted_by_service(profile: Profile) -> None:
    services = [service(["10.97.0.1", "fd47:25e1:2f96:51:2000::1"], name="zeta", namespace="b"),
                service(["172.16.0.1"], name="alpha", namespace="a")]
    assert ds.service_network_problems(profile, services, WHERE) == [
        f"service a/alpha at {WHERE}: ipv4 ClusterIP 172.16.0.1 outside the profiled service network 10.96.0.0/12",
        f"service b/zeta at {WHERE}: ipv6 ClusterIP fd47:25e1:2f96:51:2000::1 outside the profiled service network "
        "fd47:25e1:2f96:51:1000::/108",
    ]


def test_cluster_ip_of_a_family_the_profile_lacks(profile: Profile) -> None:
    ipv4_only = dc_replace(profile, networks=dc_replace(profile.networks, services=ByFamily(
        tuple(v for v in profile.networks.services.values if v[0] == "ipv4"))))
    services = [service(["10.96.14.7", "fd47:25e1:2f96:51:1000::a1b2"])]
    assert ds.service_network_problems(ipv4_only, services, WHERE) == [
        f"service {REF} at {WHERE}: ipv6 ClusterIP fd47:25e1:2f96:51:1000::a1b2, but the profile has no ipv6 "
        "service network"]


# -- pools_for ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("label", "family", "expected"), [
    ("bgp-default", "ipv4", ["bgp-default"]),
    ("bgp-default", "ipv6", ["bgp-default-ipv6"]),
    ("bgp-ingress", "ipv4", ["bgp-ingress"]),
    ("bgp-ingress", "ipv6", ["bgp-default-ipv6"]),
    ("bgp-reserved", "ipv4", ["bgp-reserved"]),
    ("bgp-reserved", "ipv6", []),
    ("bgp-default-ipv6", "ipv4", []),
    ("nonexistent", "ipv4", []),
])
def test_pools_for_labels(profile: Profile, label: str, family: str, expected: list[str]) -> None:
    pools = ds.pools_for(profile, {"io.cilium/lb-ipam-pool": label}, family)
    assert [p.name for p in pools] == expected


def test_pools_for_unlabelled_service(profile: Profile) -> None:
    assert ds.pools_for(profile, {}, "ipv4") == ()


# -- dual_stack_lb_problem ------------------------------------------------------------------------

SATISFIED = {"type": "cilium.io/IPAMRequestSatisfied", "status": "True", "reason": "satisfied", "message": ""}


def test_dual_stack_lb_conforms(profile: Profile) -> None:
    svc = service(["10.96.14.7", "fd47:25e1:2f96:51:1000::a1b2"], ("172.29.52.100", "fd47:25e1:2f96:51:100::1"))
    assert ds.dual_stack_lb_problem(profile, svc, REF) is None


def test_dual_stack_lb_service_not_found(profile: Profile) -> None:
    assert ds.dual_stack_lb_problem(profile, None, REF) == f"service {REF} not found"


def test_dual_stack_lb_lacks_ipv6(profile: Profile) -> None:
    svc = service(["10.96.14.7"], ("172.29.52.100",), conditions=[SATISFIED])
    assert ds.dual_stack_lb_problem(profile, svc, REF) == (
        f"service {REF}: no ipv6 LoadBalancer address (pools for its labels: bgp-default-ipv6); "
        "cilium.io/IPAMRequestSatisfied=True (satisfied: )")


def test_dual_stack_lb_without_any_address_or_pool(profile: Profile) -> None:
    svc = service(["10.96.14.7"], labels={"io.cilium/lb-ipam-pool": "bgp-reserved"})
    assert ds.dual_stack_lb_problem(profile, svc, REF) == (
        f"service {REF}: no ipv4 LoadBalancer address (pools for its labels: bgp-reserved); "
        "no ipv6 LoadBalancer address (pools for its labels: none); no status conditions")


def test_dual_stack_lb_address_outside_its_pools(profile: Profile) -> None:
    """.210 is inside the LB network but in bgp-ingress, not the service's bgp-default pool."""
    svc = service(["10.96.14.7"], ("172.29.52.210", "fd47:25e1:2f96:51:100::1"))
    assert ds.dual_stack_lb_problem(profile, svc, REF) == (
        f"service {REF}: ipv4 address 172.29.52.210 is in none of its pools (bgp-default); no status conditions")


def test_dual_stack_lb_address_of_a_family_without_pools(profile: Profile) -> None:
    svc = service(["10.96.14.7"], ("172.29.52.230", "fd47:25e1:2f96:51:100::2"),
                  labels={"io.cilium/lb-ipam-pool": "bgp-reserved"})
    assert ds.dual_stack_lb_problem(profile, svc, REF) == (
        f"service {REF}: ipv6 address fd47:25e1:2f96:51:100::2 is in none of its pools (none); no status conditions")


def test_service_helper_builds_what_it_says() -> None:
    svc = service(["10.96.14.7"], ("172.29.52.100",))
    assert svc.cluster_ips == (ip_address("10.96.14.7"),)
    assert svc.lb_addresses == (ip_address("172.29.52.100"),)


def test_an_unreadable_pod_cidr_is_reported_not_raised() -> None:
    from harness.model.objects import NodeObject
    from harness.rules.dual_stack import pod_cidr_problems
    profile = load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")
    nodes = [NodeObject(n.name, {}, (), ("10.244.0.0/24" if i == 0 else f"10.244.{i}.0/24", "not-a-cidr"), True)
             for i, n in enumerate(profile.nodes)]
    problems = pod_cidr_problems(profile, nodes, "ipv4", "https://cluster.example:6443")  # type: ignore[arg-type]
    assert "node mini01 at https://cluster.example:6443: spec.podCIDRs holds 'not-a-cidr', not a network" in problems
