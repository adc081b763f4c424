"""Per-peer routes of one node under the CiliumBGPClusterConfig that owns it ("BGPv2").

    peers = v2_node_peers(node, cluster_config, services, V2Inputs(peer_configs, adverts), endpoints, problems)

Chain: ClusterConfig instance -> peer -> ``peerConfigRef`` -> CiliumBGPPeerConfig families
-> ``advertisements`` label selector -> CiliumBGPAdvertisement items
(pkg/bgpv1/manager/reconcilerv2/peer_advertisements.go, neighbor.go, service.go,
pod_cidr.go). "Without matching advertisements, no prefix will be advertised to the
peer. Default configuration is to not advertise any prefix." (bgp-control-plane-v2.rst)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lab.cilium.bgp_model import (
    DEFAULT_FAMILIES,
    BgpService,
    NodeView,
    V2Advertisement,
    V2AdvertItem,
    V2ClusterConfig,
    V2Family,
    V2Peer,
)
from lab.cilium.bgp_routes import Endpoints, family_of, pod_cidr_prefixes, v2_service_prefixes

PeerRoutes = dict[tuple[str, int], dict[str, set[str]]]


@dataclass(frozen=True)
class V2Inputs:
    peer_configs: Mapping[str, tuple[V2Family, ...]]
    adverts: tuple[V2Advertisement, ...]


def v2_node_peers(
    node: NodeView,
    config: V2ClusterConfig,
    services: list[BgpService],
    inputs: V2Inputs,
    endpoints: Endpoints,
    problems: list[str],
) -> PeerRoutes:
    peers: PeerRoutes = {}
    for instance in config.instances:
        for peer in instance.peers:
            families = _peer_families(peer, config.name, inputs, problems)
            if families is None or peer.address is None:
                continue
            fams = peers.setdefault((peer.address, peer.asn), {})
            for family in families:
                routes = _family_prefixes(node, family, services, inputs.adverts, endpoints)
                fams.setdefault(family.family, set()).update(routes)
    return peers


def _peer_families(peer: V2Peer, config: str, inputs: V2Inputs, problems: list[str]) -> tuple[V2Family, ...] | None:
    where = f"CiliumBGPClusterConfig {config} peer {peer.name}"
    if peer.address is None:
        # neighbor.go: "Peer does not have PeerAddress configured, skipping" (auto-discovery is not modelled).
        problems.append(f"{where}: no peerAddress; peer skipped")
        return None
    if peer.peer_config is None:
        # neighbor.go getPeerConfig: no reference -> default config (both families, no adverts).
        return tuple(V2Family(f, None) for f in DEFAULT_FAMILIES)
    families = inputs.peer_configs.get(peer.peer_config)
    if families is None:
        # cluster.go updateMissingPeerConfigsCondition; neighbor.go skips the peer.
        problems.append(
            f"{where}: cilium.io/MissingPeerConfigs True: Referenced CiliumBGPPeerConfig(s) "
            f"are missing: [{peer.peer_config}]; peer skipped"
        )
    return families


def _family_prefixes(
    node: NodeView,
    family: V2Family,
    services: list[BgpService],
    adverts: tuple[V2Advertisement, ...],
    endpoints: Endpoints,
) -> set[str]:
    # A nil family selector converts to labels.Nothing() -> no advertisement is selected.
    if family.advertisements is None:
        return set()
    prefixes: set[str] = set()
    for advert in adverts:
        if family.advertisements.matches(advert.labels):
            for item in advert.items:
                prefixes |= _item_prefixes(node, item, services, endpoints)
    return {p for p in prefixes if family_of(p) == family.family}


def _item_prefixes(node: NodeView, item: V2AdvertItem, services: list[BgpService], endpoints: Endpoints) -> set[str]:
    if item.advertisement_type == "PodCIDR":
        return pod_cidr_prefixes(node)
    if item.advertisement_type != "Service":
        return set()  # CiliumPodIPPool / Interface are not modelled
    # service.go getServicePrefixes: "advertisement has no selector or no service options,
    # default behavior is not to match any service".
    if item.selector is None or item.addresses is None:
        return set()
    out: set[str] = set()
    for svc in services:
        if item.selector.matches(svc.labels):
            out |= v2_service_prefixes(svc, item.addresses, node.name, endpoints)
    return out
