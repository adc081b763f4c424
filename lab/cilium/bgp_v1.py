"""Per-neighbour routes of one node under its CiliumBGPPeeringPolicy (v2alpha1, "BGPv1").

    peers = v1_node_peers(node, policy, services, endpoints)
    peers[("172.29.51.1", 64513)]["ipv4"]     # {"172.29.52.200/32", "10.244.1.0/24"}

Each virtual router holds one set of paths (pkg/bgpv1/manager/reconciler/service.go,
pod_cidr.go) that every neighbour of that router receives for the families it negotiates.
"""

from __future__ import annotations

from lab.cilium.bgp_model import BgpService, NodeView, V1Policy, V1Router
from lab.cilium.bgp_routes import Endpoints, family_of, pod_cidr_prefixes, v1_service_prefixes

PeerRoutes = dict[tuple[str, int], dict[str, set[str]]]


def router_prefixes(node: NodeView, router: V1Router, services: list[BgpService], endpoints: Endpoints) -> set[str]:
    prefixes = pod_cidr_prefixes(node) if router.export_pod_cidr else set()
    # service.go svcDesiredRoutes: "If the vRouter has no service selector, there are no
    # desired routes" (nil only; an empty selector {} matches every service).
    if router.service_selector is None:
        return prefixes
    for svc in services:
        if router.service_selector.matches(svc.labels):
            prefixes |= v1_service_prefixes(svc, router.service_advertisements, node.name, endpoints)
    return prefixes


def v1_node_peers(node: NodeView, policy: V1Policy, services: list[BgpService], endpoints: Endpoints) -> PeerRoutes:
    peers: PeerRoutes = {}
    for router in policy.routers:
        prefixes = router_prefixes(node, router, services, endpoints)
        for neighbor in router.neighbors:
            fams = peers.setdefault((neighbor.address, neighbor.asn), {})
            for family in neighbor.families:
                fams.setdefault(family, set()).update(p for p in prefixes if family_of(p) == family)
    return peers
