"""Which prefixes one Service or one node contributes, in the v1 and v2 reconcilers' terms.

    v2_service_prefixes(svc, ("LoadBalancerIP",), "mini01", endpoints)   # {"172.29.52.200/32"}
    family_of("fd00::1/128")                                               # "ipv6"

The v1 and v2 reconcilers differ in one observable way: v1
(pkg/bgpv1/manager/reconciler/service.go ``populateRoutableServices``) withdraws a
service that has *no endpoints at all* even with ``externalTrafficPolicy: Cluster`` and
checks eTP *or* iTP Local for every address type; v2
(pkg/bgpv1/manager/reconcilerv2/service.go) only looks at local endpoints, eTP for
LoadBalancerIP/ExternalIP and iTP for ClusterIP.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from lab.cilium.bgp_model import BgpService, NodeView
from lab.cilium.ipam_model import BGP_LB_CLASS, IPAddr

Endpoints = Mapping[tuple[str, str], frozenset[str]]


def host_prefix(ip: IPAddr) -> str:
    """Host route for one VIP: Cilium "advertises exact routes for the VIPs ( /32 or /128 )"."""
    return f"{ip}/{ip.max_prefixlen}"


def family_of(prefix: str) -> str:
    return "ipv6" if ipaddress.ip_network(prefix, strict=False).version == 6 else "ipv4"


def pod_cidr_prefixes(node: NodeView) -> set[str]:
    out = set()
    for cidr in node.pod_cidrs:
        try:
            out.add(str(ipaddress.ip_network(cidr, strict=False)))
        except ValueError:
            continue
    return out


def _lb_addresses(svc: BgpService) -> tuple[IPAddr, ...]:
    # "When the load balancer class is set to io.cilium/bgp-control-plane or unspecified,
    # Cilium will announce the ingress IPs of the Service."
    if not svc.is_load_balancer or svc.lb_class not in (None, BGP_LB_CLASS):
        return ()
    return svc.ingress_ips


def _has_local(svc: BgpService, node: str, endpoints: Endpoints) -> bool:
    nodes = endpoints.get(svc.key)
    return nodes is None or node in nodes


def _v1_routable(svc: BgpService, node: str, endpoints: Endpoints) -> bool:
    nodes = endpoints.get(svc.key)
    if nodes is None:
        return True
    if not nodes:
        return False  # "Zero endpoints mean that route should be withdrawed"
    local_policy = "Local" in (svc.external_traffic_policy, svc.internal_traffic_policy)
    return node in nodes if local_policy else True


def v1_service_prefixes(svc: BgpService, kinds: tuple[str, ...], node: str, endpoints: Endpoints) -> set[str]:
    if not _v1_routable(svc, node, endpoints):
        return set()
    ips: list[IPAddr] = []
    for kind in kinds:
        if kind == "LoadBalancerIP":
            ips += _lb_addresses(svc)
        elif kind == "ClusterIP":
            ips += svc.cluster_ips
        elif kind == "ExternalIP":
            ips += svc.external_ips
    return {host_prefix(ip) for ip in ips}


def v2_service_prefixes(svc: BgpService, kinds: tuple[str, ...], node: str, endpoints: Endpoints) -> set[str]:
    ips: list[IPAddr] = []
    external_ok = svc.external_traffic_policy != "Local" or _has_local(svc, node, endpoints)
    internal_ok = svc.internal_traffic_policy != "Local" or _has_local(svc, node, endpoints)
    for kind in kinds:
        if kind == "LoadBalancerIP" and external_ok:
            ips += _lb_addresses(svc)
        elif kind == "ExternalIP" and external_ok:
            ips += svc.external_ips
        elif kind == "ClusterIP" and internal_ok:
            ips += svc.cluster_ips
    return {host_prefix(ip) for ip in ips}
