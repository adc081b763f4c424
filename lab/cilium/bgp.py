"""What each node's Cilium BGP speaker announces, as a pure function of API objects.

    desired = advertisements(nodes, services, policies, cluster_configs, peer_configs, adverts)
    desired.nodes["mini01"].peers[Peer("172.29.51.1", 64513)]["ipv4"]   # frozenset of "a.b.c.d/32"

Rules (each cited where implemented):

* v1 ``CiliumBGPPeeringPolicy`` (pkg/bgpv1/agent/controller.go ``PolicySelection``): a nil
  nodeSelector selects every node; when two or more policies select a node Cilium applies
  none ("clears all BGP sessions until only one policy matches",
  Documentation/network/bgp-control-plane/bgp-control-plane-v1.rst). A v1 policy wins over
  v2 on the same node (controller.go ``Reconcile`` state table).
* v2 (operator/pkg/bgpv2/cluster.go): a nil nodeSelector selects all nodes; a node already
  owned by an older ClusterConfig is skipped and the newer one reports
  ``cilium.io/ConflictingClusterConfig``.
* Services (pkg/bgpv1/manager/reconciler/service.go, .../reconcilerv2/service.go): a nil
  selector announces nothing, ``{}`` everything; LoadBalancerIP needs ``type:
  LoadBalancer`` and no class or ``io.cilium/bgp-control-plane``; host routes /32, /128.
* Releases (``version=``; harness/model/cilium_versions.py, cited in lab/seed/SOURCE.md): from 1.19
  there is no BGPv1, so every CiliumBGPPeeringPolicy is ignored (and no longer wins over v2);
  before 1.16 there is no BGPv2, so ClusterConfigs are ignored. Each ignored object is a problem.

``local_endpoints`` maps (namespace, name) to the nodes with a ready local endpoint; a
service missing from it has endpoints on every node.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.model.cilium_versions import CiliumVersion, bgp_v2_missing, peering_policy_ignored
from lab.cilium.bgp_model import (
    BgpService,
    NodeView,
    V1Policy,
    V2ClusterConfig,
    parse_advertisement,
    parse_bgp_service,
    parse_cluster_config,
    parse_node,
    parse_peer_config,
    parse_policy,
)
from lab.cilium.bgp_v1 import v1_node_peers
from lab.cilium.bgp_v2 import V2Inputs, v2_node_peers

# pkg/bgpv1/agent/controller.go ErrMultiplePolicies (typo "then" is upstream's).
ERR_MULTIPLE_POLICIES = (
    "more then one CiliumBGPPeeringPolicy applies to this node, please ensure only a single "
    "Policy matches this node's labels"
)


@dataclass(frozen=True, order=True)
class Peer:
    address: str
    asn: int


FamilyPrefixes = Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class NodeDesired:
    source: str
    local_asns: tuple[int, ...]
    peers: Mapping[Peer, FamilyPrefixes]

    def routes(self) -> frozenset[tuple[str, str]]:
        """Every (prefix, family) the node's speaker holds, whichever peer it is for."""
        return frozenset((p, fam) for fams in self.peers.values() for fam, ps in fams.items() for p in ps)


@dataclass(frozen=True)
class Desired:
    nodes: Mapping[str, NodeDesired] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def advertisements(
    nodes: Sequence[Mapping[str, Any]],
    services: Sequence[Mapping[str, Any]],
    peering_policies: Sequence[Mapping[str, Any]],
    cluster_configs: Sequence[Mapping[str, Any]],
    peer_configs: Sequence[Mapping[str, Any]],
    bgp_advertisements: Sequence[Mapping[str, Any]],
    *,
    local_endpoints: Mapping[tuple[str, str], Iterable[str]] | None = None,
    version: CiliumVersion | None = None,
) -> Desired:
    problems: list[str] = []
    if version is not None:
        peering_policies = _ignored(peering_policies, "CiliumBGPPeeringPolicy", peering_policy_ignored(version),
                                    problems)
        cluster_configs = _ignored(cluster_configs, "CiliumBGPClusterConfig", bgp_v2_missing(version), problems)
    node_views = sorted((parse_node(n) for n in nodes), key=lambda n: n.name)
    svcs = [parse_bgp_service(s) for s in services]
    policies = [parse_policy(p, problems) for p in peering_policies]
    configs = sorted((parse_cluster_config(c, problems) for c in cluster_configs), key=lambda c: (c.created, c.name))
    v2 = V2Inputs(
        peer_configs=dict(parse_peer_config(p, problems) for p in peer_configs),
        adverts=tuple(parse_advertisement(a, problems) for a in bgp_advertisements),
    )
    endpoints = {k: frozenset(v) for k, v in (local_endpoints or {}).items()}
    owners = _v2_owners(node_views, configs, problems)
    result: dict[str, NodeDesired] = {}
    for node in node_views:
        desired = _node(node, svcs, policies, owners.get(node.name), v2, endpoints, problems)
        if desired is not None:
            result[node.name] = desired
    return Desired(result, tuple(problems))


def _ignored(objs: Sequence[Mapping[str, Any]], kind: str, reason: str | None,
             problems: list[str]) -> Sequence[Mapping[str, Any]]:
    """``objs`` unchanged when the release acts on them; else none, with one problem per object."""
    if reason is None:
        return objs
    problems += [f"{kind} {(o.get('metadata') or {}).get('name', '')}: ignored: {reason}" for o in objs]
    return ()


def _node(
    node: NodeView,
    svcs: list[BgpService],
    policies: list[V1Policy],
    owner: V2ClusterConfig | None,
    v2: V2Inputs,
    endpoints: Mapping[tuple[str, str], frozenset[str]],
    problems: list[str],
) -> NodeDesired | None:
    selecting = [p for p in policies if p.node_selector is None or p.node_selector.matches(node.labels)]
    if len(selecting) > 1:
        names = ", ".join(sorted(p.name for p in selecting))
        problems.append(
            f"node {node.name}: CiliumBGPPeeringPolicies {names} all select it; "
            f"no BGP is configured there: {ERR_MULTIPLE_POLICIES}"
        )
        return None
    if selecting:
        policy = selecting[0]
        if owner is not None:
            problems.append(
                f"node {node.name}: CiliumBGPPeeringPolicy {policy.name} takes precedence "
                f"over CiliumBGPClusterConfig {owner.name}"
            )
        peers = v1_node_peers(node, policy, svcs, endpoints)
        asns = tuple(r.local_asn for r in policy.routers)
        return NodeDesired(f"CiliumBGPPeeringPolicy/{policy.name}", asns, _keyed(peers))
    if owner is None:
        return None
    peers = v2_node_peers(node, owner, svcs, v2, endpoints, problems)
    asns = tuple(i.local_asn for i in owner.instances if i.local_asn is not None)
    return NodeDesired(f"CiliumBGPClusterConfig/{owner.name}", asns, _keyed(peers))


def _keyed(peers: Mapping[tuple[str, int], dict[str, set[str]]]) -> dict[Peer, FamilyPrefixes]:
    return {Peer(a, asn): {f: frozenset(ps) for f, ps in fams.items()} for (a, asn), fams in sorted(peers.items())}


def _v2_owners(
    nodes: list[NodeView], configs: list[V2ClusterConfig], problems: list[str]
) -> dict[str, V2ClusterConfig]:
    """Oldest selecting ClusterConfig owns each node's CiliumBGPNodeConfig (cluster.go ``isOwner``)."""
    owners: dict[str, V2ClusterConfig] = {}
    conflicts: dict[str, set[str]] = {}
    for cfg in configs:
        selected = [n for n in nodes if cfg.node_selector is None or cfg.node_selector.matches(n.labels)]
        if not selected:
            problems.append(
                f"CiliumBGPClusterConfig {cfg.name}: cilium.io/NoMatchingNode True: No node matches spec.nodeSelector"
            )
        for node in selected:
            owner = owners.setdefault(node.name, cfg)
            if owner is not cfg:
                conflicts.setdefault(cfg.name, set()).add(owner.name)
    for name, others in sorted(conflicts.items()):
        # cluster.go updateConflictingClusterConfigsCondition; Go prints the list as [a b].
        problems.append(
            f"CiliumBGPClusterConfig {name}: cilium.io/ConflictingClusterConfig True: "
            f"Selecting the same node(s) with ClusterConfig(s): [{' '.join(sorted(others))}]"
        )
    return owners
