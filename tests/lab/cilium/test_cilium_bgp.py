"""BGP advertisement semantics of lab.cilium.bgp.advertisements (v1 policies and v2 resources)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from cilium_builders import node, svc

from harness.model.cilium_versions import CiliumVersion
from lab.cilium.bgp import ERR_MULTIPLE_POLICIES, Desired, Peer, advertisements
from tests.reference import owner_repo

POLICY_FILE = Path("infrastructure") / "cilium-bgp" / "bgp-policy-legacy.yaml"
CONFORMING = Path(__file__).resolve().parents[3] / "fixtures" / "repos" / "conforming"
UDM = Peer("172.29.51.1", 64513)
NODES = [node(f"mini0{i}", pod_cidrs=(f"10.244.{i}.0/24", f"fd47:25e1:2f96:520{i}::/64")) for i in (1, 2, 3)]
INGRESS = svc(
    "ingress-nginx",
    "ingress-nginx",
    labels={"io.cilium/lb-ipam-pool": "bgp-ingress"},
    ingress=["172.29.52.200", "fd47:25e1:2f96:51:100::10"],
)


def repo_policy(repo: Path) -> dict[str, Any]:
    """The CiliumBGPPeeringPolicy of a GitOps repo in the owner's layout."""
    text = (repo / POLICY_FILE).read_text()
    docs = [d for d in yaml.safe_load_all(text) if d and d["kind"] == "CiliumBGPPeeringPolicy"]
    return copy.deepcopy(docs[0])


def policy(name: str = "p", node_selector: Any = None, **router: Any) -> dict[str, Any]:
    vr = {"localASN": 64512, "neighbors": [{"peerAddress": "172.29.51.1/32", "peerASN": 64513}], **router}
    spec: dict[str, Any] = {"virtualRouters": [vr]}
    if node_selector is not None:
        spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "cilium.io/v2alpha1",
        "kind": "CiliumBGPPeeringPolicy",
        "metadata": {"name": name},
        "spec": spec,
    }


def v1(services: list[dict[str, Any]], *policies: dict[str, Any], **kw: Any) -> Desired:
    return advertisements(NODES, services, list(policies), [], [], [], **kw)


def routes(desired: Desired, node_name: str, family: str = "ipv4", peer: Peer = UDM) -> frozenset[str]:
    return desired.nodes[node_name].peers[peer].get(family, frozenset())


ALL = {"matchExpressions": [{"key": "somekey", "operator": "NotIn", "values": ["never-used-value"]}]}


def test_owner_policy_announces_ingress_vips_and_pod_cidrs_from_every_node() -> None:
    """The owner's policy sets exportPodCIDR: true, so each node announces its pod CIDRs too (which the
    architecture's "nothing outside the LB ranges" forbids: the repo gate reports it)."""
    desired = v1([INGRESS], repo_policy(owner_repo()))
    assert sorted(desired.nodes) == ["mini01", "mini02", "mini03"]
    assert routes(desired, "mini02") == {"172.29.52.200/32", "10.244.2.0/24"}
    assert routes(desired, "mini02", "ipv6") == {"fd47:25e1:2f96:51:100::10/128", "fd47:25e1:2f96:5202::/64"}
    assert desired.nodes["mini01"].local_asns == (64512,)
    assert desired.problems == ()


def test_conforming_policy_announces_only_the_ingress_vips_from_every_node() -> None:
    """The conforming fixture exports no pod CIDR (exportPodCIDR: false): only LB addresses leave."""
    desired = v1([INGRESS], repo_policy(CONFORMING))
    assert sorted(desired.nodes) == ["mini01", "mini02", "mini03"]
    assert routes(desired, "mini02") == {"172.29.52.200/32"}
    assert routes(desired, "mini02", "ipv6") == {"fd47:25e1:2f96:51:100::10/128"}
    assert desired.nodes["mini01"].local_asns == (64512,)
    assert desired.problems == ()


def test_nil_node_selector_selects_all_nodes_and_selector_filters() -> None:
    assert sorted(v1([], policy()).nodes) == ["mini01", "mini02", "mini03"]
    only = policy(node_selector={"matchLabels": {"kubernetes.io/hostname": "mini03"}})
    assert sorted(v1([], only).nodes) == ["mini03"]


def test_two_policies_on_one_node_means_no_bgp_there() -> None:
    second = policy("second", node_selector={"matchLabels": {"kubernetes.io/hostname": "mini01"}}, serviceSelector=ALL)
    desired = v1([INGRESS], policy("first", serviceSelector=ALL), second)
    assert sorted(desired.nodes) == ["mini02", "mini03"]
    assert desired.problems == (
        f"node mini01: CiliumBGPPeeringPolicies first, second all select it; "
        f"no BGP is configured there: {ERR_MULTIPLE_POLICIES}",
    )


@pytest.mark.parametrize(
    ("selector", "announced"),
    [(None, False), ({}, True), (ALL, True), ({"matchLabels": {"io.cilium/lb-ipam-pool": "other"}}, False)],
)
def test_service_selector_quirks(selector: Any, announced: bool) -> None:
    router = {} if selector is None else {"serviceSelector": selector}
    desired = v1([INGRESS], policy(**router))
    assert ("172.29.52.200/32" in routes(desired, "mini01")) is announced


@pytest.mark.parametrize(
    ("adverts", "expected"),
    [
        (None, {"172.29.52.200/32"}),  # CRD default [LoadBalancerIP]
        ([], set()),  # explicit empty list: nothing
        (["ClusterIP"], {"10.96.0.10/32"}),
        (["ExternalIP"], {"192.0.2.7/32"}),
        (["LoadBalancerIP", "ClusterIP"], {"172.29.52.200/32", "10.96.0.10/32"}),
    ],
)
def test_service_advertisements_default_and_explicit(adverts: list[str] | None, expected: set[str]) -> None:
    service = svc("s", ingress=["172.29.52.200"], clusterIP="10.96.0.10", clusterIPs=["10.96.0.10"])
    service["spec"]["externalIPs"] = ["192.0.2.7"]
    router: dict[str, Any] = {"serviceSelector": ALL}
    if adverts is not None:
        router["serviceAdvertisements"] = adverts
    assert routes(v1([service], policy(**router)), "mini01") == expected


@pytest.mark.parametrize(
    ("spec", "announced"),
    [
        ({"loadBalancerClass": "io.cilium/bgp-control-plane"}, True),
        ({"loadBalancerClass": "io.cilium/l2-announcer"}, False),
        ({"type": "NodePort"}, False),
    ],
)
def test_load_balancer_class_and_type(spec: dict[str, Any], announced: bool) -> None:
    desired = v1([svc("s", ingress=["172.29.52.201"], **spec)], policy(serviceSelector=ALL))
    assert ("172.29.52.201/32" in routes(desired, "mini01")) is announced


def test_external_traffic_policy_local_announces_only_from_nodes_with_endpoints() -> None:
    local = svc("s", ingress=["172.29.52.202"], externalTrafficPolicy="Local")
    desired = v1([local], policy(serviceSelector=ALL), local_endpoints={("default", "s"): {"mini02"}})
    assert [n for n in sorted(desired.nodes) if routes(desired, n)] == ["mini02"]


def test_v1_withdraws_cluster_policy_service_without_any_endpoint() -> None:
    desired = v1(
        [svc("s", ingress=["172.29.52.203"])], policy(serviceSelector=ALL), local_endpoints={("default", "s"): set()}
    )
    assert routes(desired, "mini01") == frozenset()


def test_neighbour_families_limit_what_the_peer_gets() -> None:
    p = policy(serviceSelector=ALL)
    p["spec"]["virtualRouters"][0]["neighbors"][0]["families"] = [{"afi": "ipv4", "safi": "unicast"}]
    desired = v1([INGRESS], p)
    assert set(desired.nodes["mini01"].peers[UDM]) == {"ipv4"}


# ---- v2 -----------------------------------------------------------------------------------------


def cluster_config(name: str = "cc", peer_config: str | None = "pc", created: str = "2024-01-01", **spec: Any) -> Any:
    peer: dict[str, Any] = {"name": "udm", "peerAddress": "172.29.51.1", "peerASN": 64513}
    if peer_config:
        peer["peerConfigRef"] = {"name": peer_config}
    body = {"bgpInstances": [{"name": "i", "localASN": 64512, "peers": [peer]}], **spec}
    return {"kind": "CiliumBGPClusterConfig", "metadata": {"name": name, "creationTimestamp": created}, "spec": body}


def peer_config(selector: Any = ("advertise", "bgp"), families: tuple[str, ...] = ("ipv4", "ipv6")) -> Any:
    fams = []
    for afi in families:
        fam: dict[str, Any] = {"afi": afi, "safi": "unicast"}
        if selector is not None:
            fam["advertisements"] = {"matchLabels": {selector[0]: selector[1]}}
        fams.append(fam)
    return {"kind": "CiliumBGPPeerConfig", "metadata": {"name": "pc"}, "spec": {"families": fams}}


def advert(*items: dict[str, Any], labels: dict[str, str] | None = None) -> Any:
    meta = {"name": "ad", "labels": {"advertise": "bgp"} if labels is None else labels}
    return {"kind": "CiliumBGPAdvertisement", "metadata": meta, "spec": {"advertisements": list(items)}}


LB_ITEM = {"advertisementType": "Service", "service": {"addresses": ["LoadBalancerIP"]}, "selector": ALL}


def v2(services: list[dict[str, Any]], configs: list[Any], pcs: list[Any], ads: list[Any], **kw: Any) -> Desired:
    return advertisements(NODES, services, [], configs, pcs, ads, **kw)


def test_v2_chain_announces_lb_ips_per_family() -> None:
    desired = v2([INGRESS], [cluster_config()], [peer_config()], [advert(LB_ITEM)])
    assert routes(desired, "mini01") == {"172.29.52.200/32"}
    assert routes(desired, "mini01", "ipv6") == {"fd47:25e1:2f96:51:100::10/128"}
    assert desired.nodes["mini01"].source == "CiliumBGPClusterConfig/cc"


@pytest.mark.parametrize(
    ("pcs", "ads"),
    [
        ([peer_config(selector=None)], [advert(LB_ITEM)]),  # family without advertisements selector
        ([peer_config()], [advert(LB_ITEM, labels={})]),  # advertisement not labelled for the family
        ([peer_config()], [advert({**LB_ITEM, "selector": None})]),  # item without service selector
    ],
)
def test_v2_announces_nothing_without_matching_advertisements(pcs: list[Any], ads: list[Any]) -> None:
    desired = v2([INGRESS], [cluster_config()], pcs, ads)
    assert routes(desired, "mini01") == frozenset() and routes(desired, "mini01", "ipv6") == frozenset()


def test_v2_peer_without_peer_config_ref_is_configured_but_silent() -> None:
    desired = v2([INGRESS], [cluster_config(peer_config=None)], [], [advert(LB_ITEM)])
    assert desired.nodes["mini01"].peers[UDM] == {"ipv4": frozenset(), "ipv6": frozenset()}


def test_v2_missing_peer_config_skips_the_peer_and_reports_it() -> None:
    desired = v2([INGRESS], [cluster_config(peer_config="absent")], [], [advert(LB_ITEM)])
    assert UDM not in desired.nodes["mini01"].peers
    assert any("cilium.io/MissingPeerConfigs True" in p and "[absent]" in p for p in desired.problems)


def test_v2_pod_cidr_advertisement_and_local_traffic_policy() -> None:
    pod = {"advertisementType": "PodCIDR"}
    local = svc("s", ingress=["172.29.52.202"], externalTrafficPolicy="Local")
    empty = svc("e", ingress=["172.29.52.203"])  # no endpoints at all: v2 still announces (eTP Cluster)
    eps = {("default", "s"): {"mini03"}, ("default", "e"): set()}
    desired = v2([local, empty], [cluster_config()], [peer_config()], [advert(LB_ITEM, pod)], local_endpoints=eps)
    assert routes(desired, "mini01") == {"10.244.1.0/24", "172.29.52.203/32"}
    assert routes(desired, "mini03") == {"10.244.3.0/24", "172.29.52.202/32", "172.29.52.203/32"}


def test_v2_oldest_cluster_config_owns_nodes_and_newer_reports_conflict() -> None:
    newer = cluster_config("newer", created="2024-06-01")
    newer["spec"]["bgpInstances"][0]["localASN"] = 65000
    desired = v2([], [newer, cluster_config("older")], [peer_config()], [])
    assert {n.source for n in desired.nodes.values()} == {"CiliumBGPClusterConfig/older"}
    assert (
        "CiliumBGPClusterConfig newer: cilium.io/ConflictingClusterConfig True: "
        "Selecting the same node(s) with ClusterConfig(s): [older]"
    ) in desired.problems


def test_v1_policy_takes_precedence_over_v2_on_the_same_node() -> None:
    v1_only_mini01 = policy(node_selector={"matchLabels": {"kubernetes.io/hostname": "mini01"}}, serviceSelector=ALL)
    desired = advertisements(NODES, [INGRESS], [v1_only_mini01], [cluster_config()], [peer_config()], [advert(LB_ITEM)])
    assert desired.nodes["mini01"].source == "CiliumBGPPeeringPolicy/p"
    assert desired.nodes["mini02"].source == "CiliumBGPClusterConfig/cc"
    assert any("takes precedence" in p for p in desired.problems)


# -- releases (harness/model/cilium_versions.py): what the agent of a given Cilium release acts on ----------------

def _release(text: str) -> CiliumVersion:
    return CiliumVersion.parse(text)


@pytest.mark.parametrize("release", ["1.15.19", "1.16.9", "1.17.6", "1.18.6"])
def test_releases_before_1_19_run_the_v1_policy(release: str) -> None:
    desired = v1([INGRESS], policy(serviceSelector=ALL), version=_release(release))
    assert routes(desired, "mini01") == {"172.29.52.200/32"} and desired.problems == ()


def test_1_19_ignores_the_v1_policy_and_says_why() -> None:
    desired = v1([INGRESS], policy(serviceSelector=ALL), version=_release("1.19.1"))
    assert desired.nodes == {}
    (problem,) = desired.problems
    assert problem.startswith("CiliumBGPPeeringPolicy p: ignored: Cilium 1.19.1 has no BGP control plane v1")


def test_1_19_runs_v2_where_a_leftover_v1_policy_used_to_win() -> None:
    v1_only_mini01 = policy(node_selector={"matchLabels": {"kubernetes.io/hostname": "mini01"}}, serviceSelector=ALL)
    args = (NODES, [INGRESS], [v1_only_mini01], [cluster_config()], [peer_config()], [advert(LB_ITEM)])
    assert advertisements(*args, version=_release("1.18.6")).nodes["mini01"].source == "CiliumBGPPeeringPolicy/p"
    on_119 = advertisements(*args, version=_release("1.19.1"))
    assert {n.source for n in on_119.nodes.values()} == {"CiliumBGPClusterConfig/cc"}
    assert routes(on_119, "mini01") == {"172.29.52.200/32"}
    assert not any("takes precedence" in p for p in on_119.problems)


def test_1_15_has_no_bgp_v2() -> None:
    desired = v2([INGRESS], [cluster_config()], [peer_config()], [advert(LB_ITEM)], version=_release("1.15.19"))
    assert desired.nodes == {}
    assert desired.problems == ("CiliumBGPClusterConfig cc: ignored: Cilium 1.15.19 has no BGP control plane v2 "
                                "(CiliumBGPClusterConfig and the other BGPv2 kinds came with 1.16): such objects "
                                "are ignored",)
    assert routes(v2([INGRESS], [cluster_config()], [peer_config()], [advert(LB_ITEM)], version=_release("1.16.0")),
                  "mini01") == {"172.29.52.200/32"}
