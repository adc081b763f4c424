"""Frozen views of CiliumLoadBalancerIPPools and Services, parsed at the LB IPAM edge.

    pool = parse_pool(pool_dict)            # -> Pool (ranges, selector, flags, prior status)
    view = parse_service(svc_dict, config)  # -> ServiceView (families, requests, sharing)

The fields are the ones operator/pkg/lbipam/lbipam.go (``serviceViewFromService``,
``ipRangeFromBlock``, ``serviceIPFamilyRequest``) reads; nothing else is kept.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lab.cilium.selectors import LabelSelector, SelectorError, parse_selector, service_label_set

IPAddr = ipaddress.IPv4Address | ipaddress.IPv6Address

BGP_LB_CLASS = "io.cilium/bgp-control-plane"  # v2alpha1api.BGPLoadBalancerClass
L2_LB_CLASS = "io.cilium/l2-announcer"  # v2alpha1api.L2AnnounceLoadBalancerClass
# pkg/annotation/k8s.go: the current key first, the older io.cilium/ alias second.
IPS_ANNOTATIONS = ("lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips")
SHARING_ANNOTATIONS = ("lbipam.cilium.io/sharing-key", "io.cilium/lb-ipam-sharing-key")


@dataclass(frozen=True)
class IpamConfig:
    """Operator settings LB IPAM depends on (operator/pkg/lbipam/cell.go ``newLBIPAMCell``)."""

    #: Classes LB IPAM serves besides "no class": BGP class when bgpControlPlane is enabled,
    #: L2 class when l2announcements is enabled. The owner's Helm values enable BGP only.
    lb_classes: frozenset[str] = frozenset({BGP_LB_CLASS})
    ipv4_enabled: bool = True
    ipv6_enabled: bool = True
    #: ``defaultIPAM``: classless LoadBalancer services are ours (default-lb-service-ipam=lbipam).
    default_ipam: bool = True


DEFAULT_CONFIG = IpamConfig()


@dataclass(frozen=True)
class IpRange:
    first: IPAddr
    last: IPAddr
    from_cidr: bool

    @property
    def size(self) -> int:
        return int(self.last) - int(self.first) + 1

    @property
    def is_v6(self) -> bool:
        return self.first.version == 6

    def contains(self, ip: IPAddr) -> bool:
        return ip.version == self.first.version and self.first <= ip <= self.last  # type: ignore[operator]

    def overlaps(self, other: IpRange) -> bool:
        same = self.first.version == other.first.version
        return same and int(self.first) <= int(other.last) and int(other.first) <= int(self.last)

    @property
    def label(self) -> str:
        """The ``ipNetStr`` rendering Cilium uses in conflict messages: ``from - to``."""
        return f"{self.first} - {self.last}"


@dataclass(frozen=True)
class Pool:
    name: str
    api_version: str
    created: str
    generation: int
    ranges: tuple[IpRange, ...]
    selector: LabelSelector | None
    selector_error: str | None
    disabled: bool
    reserve_first_last: bool
    conditions: tuple[dict[str, Any], ...]
    problems: tuple[str, ...] = ()

    def selects(self, labels: Mapping[str, str]) -> bool:
        # lbipam.go allocateIPAddress: "If there is no selector, all services match".
        if self.selector_error is not None:
            return False
        return self.selector is None or self.selector.matches(labels)


@dataclass(frozen=True)
class ServiceView:
    namespace: str
    name: str
    created: str
    generation: int
    is_load_balancer: bool
    lb_class: str | None
    labels: Mapping[str, str]
    wants_v4: bool
    wants_v6: bool
    requested: tuple[IPAddr, ...]
    sharing_key: str
    external_traffic_policy: str
    ports: frozenset[int]
    pod_selector: Mapping[str, str]
    ingress: tuple[dict[str, Any], ...]
    conditions: tuple[dict[str, Any], ...]
    status: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.namespace, self.name)

    def wants_family(self, ip: IPAddr) -> bool:
        return self.wants_v6 if ip.version == 6 else self.wants_v4


def parse_pool(raw: Mapping[str, Any]) -> Pool:
    meta, spec = raw.get("metadata") or {}, raw.get("spec") or {}
    name = str(meta.get("name", ""))
    ranges, problems = _parse_blocks(spec, name)
    selector, selector_error = None, None
    try:
        selector = parse_selector(spec.get("serviceSelector"), where=f"pool {name} serviceSelector")
    except SelectorError as exc:
        selector_error = str(exc)
        problems.append(selector_error)
    return Pool(
        name=name,
        api_version=str(raw.get("apiVersion", "cilium.io/v2")),
        created=str(meta.get("creationTimestamp", "")),
        generation=int(meta.get("generation", 1) or 1),
        ranges=tuple(ranges),
        selector=selector,
        selector_error=selector_error,
        disabled=bool(spec.get("disabled", False)),
        # AllowFirstLastIPs: "Yes" or unset allocate them; only "No" reserves (lbipam.go handleNewPool).
        reserve_first_last=spec.get("allowFirstLastIPs") == "No",
        conditions=tuple((raw.get("status") or {}).get("conditions") or []),
        problems=tuple(problems),
    )


def _parse_blocks(spec: Mapping[str, Any], pool: str) -> tuple[list[IpRange], list[str]]:
    # v2 / newer v2alpha1 use ``blocks``; the first v2alpha1 CRD used ``cidrs`` (same item shape).
    items = list(spec.get("blocks") or []) + list(spec.get("cidrs") or [])
    ranges: list[IpRange] = []
    problems: list[str] = []
    for item in items:
        try:
            ranges.append(_parse_block(item))
        except ValueError as exc:
            problems.append(f"pool {pool}: block {item!r} ignored: {exc}")
    return ranges, problems


def _parse_block(block: Mapping[str, Any]) -> IpRange:
    """lbipam.go ``ipRangeFromBlock``: cidr wins; start without stop is a single address."""
    if block.get("cidr"):
        net = ipaddress.ip_network(str(block["cidr"]), strict=False)
        return IpRange(net.network_address, net.broadcast_address, from_cidr=True)
    first = ipaddress.ip_address(str(block.get("start", "")))
    last = ipaddress.ip_address(str(block["stop"])) if block.get("stop") else first
    if first.version != last.version or int(first) > int(last):
        raise ValueError(f"start {first} and stop {last} do not form a range")
    return IpRange(first, last, from_cidr=False)


def parse_service(raw: Mapping[str, Any], config: IpamConfig) -> ServiceView:
    meta, spec = raw.get("metadata") or {}, raw.get("spec") or {}
    status = raw.get("status") or {}
    wants_v4, wants_v6 = _family_request(spec, config)
    return ServiceView(
        namespace=str(meta.get("namespace", "default")),
        name=str(meta.get("name", "")),
        created=str(meta.get("creationTimestamp", "")),
        generation=int(meta.get("generation", 1) or 1),
        is_load_balancer=spec.get("type") == "LoadBalancer",
        lb_class=spec.get("loadBalancerClass"),
        labels=service_label_set(raw),
        wants_v4=wants_v4,
        wants_v6=wants_v6,
        requested=_requested_ips(spec, meta.get("annotations") or {}),
        sharing_key=_first_annotation(meta.get("annotations") or {}, SHARING_ANNOTATIONS),
        external_traffic_policy=str(spec.get("externalTrafficPolicy", "Cluster")),
        ports=frozenset(int(p.get("port", 0)) for p in spec.get("ports") or []),
        pod_selector=dict(spec.get("selector") or {}),
        ingress=tuple((status.get("loadBalancer") or {}).get("ingress") or []),
        conditions=tuple(status.get("conditions") or []),
        status=status,
    )


def _first_annotation(annotations: Mapping[str, Any], keys: tuple[str, ...]) -> str:
    return next((str(annotations[k]) for k in keys if annotations.get(k)), "")


def _requested_ips(spec: Mapping[str, Any], annotations: Mapping[str, Any]) -> tuple[IPAddr, ...]:
    """lbipam.go ``getSVCRequestedIPs``: spec.loadBalancerIP, then the comma list annotation;
    unparsable entries are logged and skipped, duplicates dropped."""
    texts = [str(spec["loadBalancerIP"])] if spec.get("loadBalancerIP") else []
    texts += [t.strip() for t in _first_annotation(annotations, IPS_ANNOTATIONS).split(",") if t.strip()]
    result: list[IPAddr] = []
    for text in texts:
        try:
            ip = ipaddress.ip_address(text)
        except ValueError:
            continue
        if ip not in result:
            result.append(ip)
    return tuple(result)


def _family_request(spec: Mapping[str, Any], config: IpamConfig) -> tuple[bool, bool]:
    """lbipam.go ``serviceIPFamilyRequest`` (returns wants_v4, wants_v6)."""
    families = [str(f) for f in spec.get("ipFamilies") or []]
    policy = spec.get("ipFamilyPolicy")
    if policy == "RequireDualStack":
        return config.ipv4_enabled, config.ipv6_enabled
    if policy == "PreferDualStack":
        if not families:
            return config.ipv4_enabled, config.ipv6_enabled
        return ("IPv4" in families and config.ipv4_enabled, "IPv6" in families and config.ipv6_enabled)
    # SingleStack or no policy: the first listed family, else the first enabled one.
    if families:
        return (families[0] == "IPv4", families[0] != "IPv4")
    return (config.ipv4_enabled, not config.ipv4_enabled and config.ipv6_enabled)
