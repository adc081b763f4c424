"""Frozen views of the objects the BGP control plane reads, parsed at the edge.

    problems: list[str] = []
    policy = parse_policy(policy_dict, problems)        # CiliumBGPPeeringPolicy (v2alpha1)
    cfg = parse_cluster_config(cluster_config_dict, problems)

Defaults the API server applies from the CRD schema are applied here too, so callers may
pass objects exactly as written in Git: ``exportPodCIDR: false``,
``serviceAdvertisements: [LoadBalancerIP]`` (only when the field is *absent*; Go's
``SetDefaults`` checks ``== nil`` so an explicit ``[]`` stays empty), neighbour families
ipv4+ipv6 unicast (pkg/k8s/apis/cilium.io/v2alpha1/bgp_types.go ``SetDefaults``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lab.cilium.ipam_model import IPAddr
from lab.cilium.selectors import LabelSelector, parse_or_nothing, service_label_set

DEFAULT_FAMILIES = ("ipv4", "ipv6")


@dataclass(frozen=True)
class NodeView:
    name: str
    labels: Mapping[str, str]
    pod_cidrs: tuple[str, ...]


@dataclass(frozen=True)
class BgpService:
    namespace: str
    name: str
    labels: Mapping[str, str]
    is_load_balancer: bool
    lb_class: str | None
    external_traffic_policy: str
    internal_traffic_policy: str
    ingress_ips: tuple[IPAddr, ...]
    cluster_ips: tuple[IPAddr, ...]
    external_ips: tuple[IPAddr, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)


@dataclass(frozen=True)
class V1Neighbor:
    address: str
    asn: int
    families: tuple[str, ...]


@dataclass(frozen=True)
class V1Router:
    local_asn: int
    export_pod_cidr: bool
    service_selector: LabelSelector | None
    service_advertisements: tuple[str, ...]
    neighbors: tuple[V1Neighbor, ...]


@dataclass(frozen=True)
class V1Policy:
    name: str
    created: str
    node_selector: LabelSelector | None
    routers: tuple[V1Router, ...]


@dataclass(frozen=True)
class V2Peer:
    name: str
    address: str | None
    asn: int
    peer_config: str | None


@dataclass(frozen=True)
class V2Instance:
    name: str
    local_asn: int | None
    peers: tuple[V2Peer, ...]


@dataclass(frozen=True)
class V2ClusterConfig:
    name: str
    created: str
    node_selector: LabelSelector | None
    instances: tuple[V2Instance, ...]


@dataclass(frozen=True)
class V2Family:
    family: str
    advertisements: LabelSelector | None


@dataclass(frozen=True)
class V2AdvertItem:
    advertisement_type: str
    selector: LabelSelector | None
    addresses: tuple[str, ...] | None


@dataclass(frozen=True)
class V2Advertisement:
    name: str
    labels: Mapping[str, str]
    items: tuple[V2AdvertItem, ...]


def _meta(raw: Mapping[str, Any]) -> Mapping[str, Any]:
    return raw.get("metadata") or {}


def parse_node(raw: Mapping[str, Any]) -> NodeView:
    """Node (or CiliumNode): labels, and pod CIDRs from ``spec.ipam.podCIDRs`` (CiliumNode,
    cluster-pool IPAM as the owner runs) falling back to ``spec.podCIDRs`` / ``spec.podCIDR``."""
    spec = raw.get("spec") or {}
    cidrs = (spec.get("ipam") or {}).get("podCIDRs") or spec.get("podCIDRs") or []
    if not cidrs and spec.get("podCIDR"):
        cidrs = [spec["podCIDR"]]
    labels = {str(k): str(v) for k, v in (_meta(raw).get("labels") or {}).items()}
    return NodeView(str(_meta(raw).get("name", "")), labels, tuple(str(c) for c in cidrs))


def parse_bgp_service(raw: Mapping[str, Any]) -> BgpService:
    spec, meta = raw.get("spec") or {}, _meta(raw)
    ingress = ((raw.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    cluster = [spec.get("clusterIP")] + list(spec.get("clusterIPs") or [])
    if not spec.get("clusterIP") or not spec.get("clusterIPs"):
        cluster = []  # reconciler: ClusterIP "" or no ClusterIPs -> nothing to announce
    return BgpService(
        namespace=str(meta.get("namespace", "default")),
        name=str(meta.get("name", "")),
        labels=service_label_set(raw),
        is_load_balancer=spec.get("type") == "LoadBalancer",
        lb_class=spec.get("loadBalancerClass"),
        external_traffic_policy=str(spec.get("externalTrafficPolicy", "Cluster")),
        internal_traffic_policy=str(spec.get("internalTrafficPolicy", "Cluster")),
        ingress_ips=_ips(i.get("ip") for i in ingress),
        cluster_ips=_ips(cluster),
        external_ips=_ips(spec.get("externalIPs") or []),
    )


def _ips(texts: Any) -> tuple[IPAddr, ...]:
    out: list[IPAddr] = []
    for text in texts:
        try:
            ip = ipaddress.ip_address(str(text)) if text and text != "None" else None
        except ValueError:
            ip = None  # the reconcilers skip addresses that do not parse
        if ip is not None and ip not in out:
            out.append(ip)
    return tuple(out)


def parse_policy(raw: Mapping[str, Any], problems: list[str]) -> V1Policy:
    name, spec = str(_meta(raw).get("name", "")), raw.get("spec") or {}
    where = f"CiliumBGPPeeringPolicy {name}"
    routers = tuple(_router(r, f"{where} router {i}", problems) for i, r in enumerate(spec.get("virtualRouters") or []))
    node_sel = parse_or_nothing(spec.get("nodeSelector"), where=f"{where} nodeSelector", problems=problems)
    return V1Policy(name, str(_meta(raw).get("creationTimestamp", "")), node_sel, routers)


def _router(raw: Mapping[str, Any], where: str, problems: list[str]) -> V1Router:
    adverts = raw.get("serviceAdvertisements")
    return V1Router(
        local_asn=int(raw.get("localASN", 0)),
        export_pod_cidr=bool(raw.get("exportPodCIDR", False)),
        service_selector=parse_or_nothing(
            raw.get("serviceSelector"), where=f"{where} serviceSelector", problems=problems
        ),
        service_advertisements=("LoadBalancerIP",) if adverts is None else tuple(str(a) for a in adverts),
        neighbors=tuple(n for n in (_neighbor(x, where, problems) for x in raw.get("neighbors") or []) if n),
    )


def _neighbor(raw: Mapping[str, Any], where: str, problems: list[str]) -> V1Neighbor | None:
    # v2alpha1 peerAddress is a CIDR ("172.29.51.1/32"); the session goes to its address.
    try:
        address = str(ipaddress.ip_interface(str(raw.get("peerAddress", ""))).ip)
    except ValueError:
        problems.append(f"{where}: neighbor peerAddress {raw.get('peerAddress')!r} is not an address/CIDR; skipped")
        return None
    return V1Neighbor(address, int(raw.get("peerASN", 0)), _families(raw.get("families")))


def _families(raw: Any) -> tuple[str, ...]:
    """Unicast AFIs only (the only ones Cilium supports); none given -> ipv4 + ipv6."""
    if not raw:
        return DEFAULT_FAMILIES
    return tuple(str(f.get("afi")) for f in raw if f.get("safi") == "unicast" and f.get("afi") in DEFAULT_FAMILIES)


def parse_cluster_config(raw: Mapping[str, Any], problems: list[str]) -> V2ClusterConfig:
    name, spec = str(_meta(raw).get("name", "")), raw.get("spec") or {}
    where = f"CiliumBGPClusterConfig {name}"
    instances = tuple(
        V2Instance(
            name=str(inst.get("name", "")),
            local_asn=int(inst["localASN"]) if inst.get("localASN") is not None else None,
            peers=tuple(_v2_peer(p) for p in inst.get("peers") or []),
        )
        for inst in spec.get("bgpInstances") or []
    )
    node_sel = parse_or_nothing(spec.get("nodeSelector"), where=f"{where} nodeSelector", problems=problems)
    return V2ClusterConfig(name, str(_meta(raw).get("creationTimestamp", "")), node_sel, instances)


def _v2_peer(raw: Mapping[str, Any]) -> V2Peer:
    ref = (raw.get("peerConfigRef") or {}).get("name") or None
    address = str(raw["peerAddress"]) if raw.get("peerAddress") else None
    return V2Peer(str(raw.get("name", "")), address, int(raw.get("peerASN", 0) or 0), ref)


def parse_peer_config(raw: Mapping[str, Any], problems: list[str]) -> tuple[str, tuple[V2Family, ...]]:
    name = str(_meta(raw).get("name", ""))
    where = f"CiliumBGPPeerConfig {name} family"
    families = [
        V2Family(
            str(f.get("afi")),
            parse_or_nothing(f.get("advertisements"), where=where, problems=problems),
        )
        for f in (raw.get("spec") or {}).get("families") or []
        if f.get("safi") == "unicast" and f.get("afi") in DEFAULT_FAMILIES
    ]
    # No families -> SetDefaults adds ipv4+ipv6 unicast *without* an advertisement selector.
    if not (raw.get("spec") or {}).get("families"):
        families = [V2Family(f, None) for f in DEFAULT_FAMILIES]
    return name, tuple(families)


def parse_advertisement(raw: Mapping[str, Any], problems: list[str]) -> V2Advertisement:
    name = str(_meta(raw).get("name", ""))
    items = []
    for item in (raw.get("spec") or {}).get("advertisements") or []:
        service = item.get("service")
        items.append(
            V2AdvertItem(
                advertisement_type=str(item.get("advertisementType", "")),
                selector=parse_or_nothing(
                    item.get("selector"), where=f"CiliumBGPAdvertisement {name}", problems=problems
                ),
                addresses=None if service is None else tuple(str(a) for a in service.get("addresses") or []),
            )
        )
    labels = {str(k): str(v) for k, v in (_meta(raw).get("labels") or {}).items()}
    return V2Advertisement(name, labels, tuple(items))
