"""Cilium evidence in a repo: BGP peering policies (v2alpha1), BGP v2 resources, Helm values intent, and
the Cilium release the repo installs.

    policy = BgpPeeringPolicy.parse(obj); policy.virtual_routers[0].service_advertisements  # ("LoadBalancerIP",)
    intent = CiliumValues.parse(values); intent.pod_cidrs("ipv6"), intent.mask_size("ipv6")
    installed = InstalledCilium.of("1.19.1", "infrastructure/cilium/helmrelease.yaml"); installed.version

The release is the chart version of what installs Cilium (a HelmRelease's ``spec.chart.spec.version``,
which Flux keeps installed, or a Taskfile's ``helm install ... --version``): an exact ``X.Y.Z``, or
``X.Y.x`` for any patch of a minor. A range, or no version (the newest chart), names no single release,
so nothing that depends on the release can be judged from it.

Defaults are the API's: v2alpha1 ``serviceAdvertisements`` defaults to ``[LoadBalancerIP]`` only when
absent (an explicit empty list stays empty), ``exportPodCIDR`` to false, neighbor families to IPv4 and
IPv6 unicast (cilium/cilium pkg/k8s/apis/cilium.io/v2alpha1/bgp_types.go SetDefaults). Helm defaults
are the cilium chart's values.yaml (cluster-pool 10.0.0.0/8 by /24, fd00::/104 by /120;
kubeProxyReplacement "false"; bgpControlPlane.enabled false).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from harness.core.errors import UnknownCiliumVersion
from harness.core.netaddr import Family, IPNetwork
from harness.model.cilium_versions import CiliumVersion

Obj = dict[str, Any]
DEFAULT_ADVERTISEMENTS = ("LoadBalancerIP",)
CHART_POD_CIDRS = {"ipv4": ("10.0.0.0/8",), "ipv6": ("fd00::/104",)}
CHART_MASKS = {"ipv4": 24, "ipv6": 120}


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


@dataclass(frozen=True)
class BgpNeighbor:
    peer_address: str            # as written, e.g. "172.29.51.1/32"
    peer_asn: int | None
    families: tuple[str, ...]    # "ipv4/unicast", ...

    @property
    def address(self) -> str:
        return self.peer_address.split("/")[0]


@dataclass(frozen=True)
class VirtualRouter:
    local_asn: int | None
    export_pod_cidr: bool
    service_selector: dict[str, Any] | None     # None: absent, and Cilium then announces no service
    service_advertisements: tuple[str, ...]
    neighbors: tuple[BgpNeighbor, ...]


@dataclass(frozen=True)
class BgpPeeringPolicy:
    name: str
    node_selector: dict[str, Any]
    virtual_routers: tuple[VirtualRouter, ...]

    @classmethod
    def parse(cls, obj: Obj) -> BgpPeeringPolicy:
        spec = obj.get("spec") or {}
        return cls(_name(obj), dict(spec.get("nodeSelector") or {}),
                   tuple(_router(r) for r in spec.get("virtualRouters") or []))


def _router(raw: Obj) -> VirtualRouter:
    ads = raw.get("serviceAdvertisements")
    selector = raw.get("serviceSelector")
    return VirtualRouter(
        _opt_int(raw.get("localASN")), bool(raw.get("exportPodCIDR", False)),
        dict(selector) if isinstance(selector, dict) else None,
        DEFAULT_ADVERTISEMENTS if ads is None else tuple(str(a) for a in ads),
        tuple(_neighbor(n) for n in raw.get("neighbors") or []))


def _neighbor(raw: Obj) -> BgpNeighbor:
    families = tuple(f"{f.get('afi')}/{f.get('safi')}" for f in raw.get("families") or []) or \
        ("ipv4/unicast", "ipv6/unicast")
    return BgpNeighbor(str(raw.get("peerAddress", "")), _opt_int(raw.get("peerASN")), families)


def _opt_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


@dataclass(frozen=True)
class BgpInstance:
    """One ``bgpInstances`` entry of a v2 CiliumBGPClusterConfig."""

    config: str
    name: str
    local_asn: int | None
    peers: tuple[tuple[str, int | None, str], ...]     # (peerAddress, peerASN, peerConfigRef.name)

    @classmethod
    def parse_all(cls, obj: Obj) -> tuple[BgpInstance, ...]:
        spec = obj.get("spec") or {}
        return tuple(cls(_name(obj), str(i.get("name", "")), _opt_int(i.get("localASN")),
                         tuple((str(p.get("peerAddress", "")), _opt_int(p.get("peerASN")),
                                str((p.get("peerConfigRef") or {}).get("name", ""))) for p in i.get("peers") or []))
                     for i in spec.get("bgpInstances") or [])


@dataclass(frozen=True)
class BgpAdvertisement:
    """One entry of a v2 CiliumBGPAdvertisement (labels let peer configs select it)."""

    name: str
    labels: dict[str, str]
    type: str
    service_addresses: tuple[str, ...]
    selector: dict[str, Any] | None

    @classmethod
    def parse_all(cls, obj: Obj) -> tuple[BgpAdvertisement, ...]:
        labels = dict((obj.get("metadata") or {}).get("labels") or {})
        return tuple(cls(_name(obj), labels, str(a.get("advertisementType", "")),
                         tuple((a.get("service") or {}).get("addresses") or ()), a.get("selector"))
                     for a in (obj.get("spec") or {}).get("advertisements") or [])


@dataclass(frozen=True)
class BgpPeerConfig:
    name: str
    families: tuple[tuple[str, dict[str, Any]], ...]    # ("ipv4/unicast", advertisements selector)

    @classmethod
    def parse(cls, obj: Obj) -> BgpPeerConfig:
        fams = (obj.get("spec") or {}).get("families") or []
        return cls(_name(obj), tuple((f"{f.get('afi')}/{f.get('safi')}", dict(f.get("advertisements") or {}))
                                     for f in fams))


@dataclass(frozen=True)
class CiliumValues:
    """What the Cilium Helm values ask for (chart defaults where a value is absent)."""

    ipam_mode: str
    pod_cidr_lists: tuple[tuple[str, tuple[IPNetwork, ...]], ...]
    mask_sizes: tuple[tuple[str, int], ...]
    ipv4_enabled: bool
    ipv6_enabled: bool
    kube_proxy_replacement: str          # "true" | "false" (the chart also knows legacy "strict")
    bgp_control_plane: bool
    lb_acceleration: str = "disabled"    # loadBalancer.acceleration (absent: the agent's "disabled")

    @classmethod
    def parse(cls, values: Obj) -> CiliumValues:
        ipam = values.get("ipam") or {}
        op = ipam.get("operator") or {}
        key = {"ipv4": "clusterPoolIPv4", "ipv6": "clusterPoolIPv6"}
        cidrs = tuple((fam, tuple(ipaddress.ip_network(c, strict=False)
                                  for c in _as_list(op.get(f"{key[fam]}PodCIDRList"), CHART_POD_CIDRS[fam])))
                      for fam in key)
        masks = tuple((fam, int(op.get(f"{key[fam]}MaskSize", CHART_MASKS[fam]))) for fam in key)
        ipv6 = values.get("ipv6") or {}
        kpr = values.get("kubeProxyReplacement", "false")
        return cls(str(ipam.get("mode", "cluster-pool")), cidrs, masks,
                   bool((values.get("ipv4") or {}).get("enabled", True)), bool(ipv6.get("enabled", False)),
                   str(kpr).lower(),
                   bool((values.get("bgpControlPlane") or {}).get("enabled", False)), lb_acceleration(values))

    def pod_cidrs(self, family: Family) -> tuple[IPNetwork, ...]:
        return dict(self.pod_cidr_lists).get(family, ())

    def mask_size(self, family: Family) -> int:
        return dict(self.mask_sizes)[family]

    def node_capacity(self, family: Family) -> int:
        """How many nodes can get a pod CIDR: the pools cut into per-node blocks of ``mask_size``."""
        mask = self.mask_size(family)
        return sum(2 ** (mask - net.prefixlen) if mask >= net.prefixlen else 0 for net in self.pod_cidrs(family))

    @property
    def replaces_kube_proxy(self) -> bool:
        return self.kube_proxy_replacement in ("true", "strict")

    def family_enabled(self, family: Family) -> bool:
        return self.ipv4_enabled if family == "ipv4" else self.ipv6_enabled


def lb_acceleration(values: Obj) -> str:
    """The chart's ``loadBalancer.acceleration`` (rendered as cilium-config ``bpf-lb-acceleration``)."""
    lb = values.get("loadBalancer")
    value = lb.get("acceleration") if isinstance(lb, dict) else None
    return "disabled" if value is None else str(value)


def _as_list(value: Any, default: tuple[str, ...]) -> list[str]:
    if value is None:
        return list(default)
    if isinstance(value, str):
        return [v for v in value.replace(",", " ").split() if v]
    return [str(v) for v in value]


@dataclass(frozen=True)
class InstalledCilium:
    """The Cilium release a repo installs, as declared, and where."""

    declared: str                        # the chart version as written ("" when absent: the newest chart)
    version: CiliumVersion | None        # None: the declaration names no single release
    where: str

    @classmethod
    def of(cls, declared: str, where: str) -> InstalledCilium:
        try:
            version: CiliumVersion | None = CiliumVersion.parse(declared) if declared.strip() else None
        except UnknownCiliumVersion:
            version = None
        return cls(declared.strip(), version, where)

    def describe(self) -> str:
        if self.version is not None:
            return f"Cilium {self.version}"
        return f"chart version {self.declared!r}" if self.declared else "no chart version (the newest chart)"
