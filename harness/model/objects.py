"""Typed views of the Kubernetes objects the features look at, parsed once at the adapter edge.

    svc = Service.parse(obj)
    svc.lb_addresses, svc.condition("cilium.io/IPAMRequestSatisfied")

Parsing is forgiving about absent optional fields (a live cluster omits them) and strict about
types: a malformed object raises ValueError naming the object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.core.netaddr import AddressBlock, IPAddress, parse_ip

Obj = dict[str, Any]


@dataclass(frozen=True)
class Condition:
    type: str
    status: str
    reason: str
    message: str

    @classmethod
    def parse_all(cls, raw: Any) -> tuple[Condition, ...]:
        return tuple(cls(str(c.get("type", "")), str(c.get("status", "")), str(c.get("reason", "")),
                         str(c.get("message", ""))) for c in raw or [] if isinstance(c, dict))

    def __str__(self) -> str:
        return f"{self.type}={self.status} ({self.reason}: {self.message})"


def _meta(obj: Obj) -> tuple[str, str, dict[str, str], dict[str, str]]:
    meta = obj.get("metadata") or {}
    return (str(meta.get("namespace") or ""), str(meta.get("name") or ""),
            dict(meta.get("labels") or {}), dict(meta.get("annotations") or {}))


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    labels: dict[str, str]
    annotations: dict[str, str]
    type: str
    ip_families: tuple[str, ...]               # as the API spells them: IPv4, IPv6
    ip_family_policy: str
    cluster_ips: tuple[IPAddress, ...]
    lb_addresses: tuple[IPAddress, ...]
    conditions: tuple[Condition, ...]
    load_balancer_class: str | None

    @classmethod
    def parse(cls, obj: Obj) -> Service:
        namespace, name, labels, annotations = _meta(obj)
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        families = spec.get("ipFamilies") or ()
        if not isinstance(ingress, list) or not all(isinstance(i, dict) for i in ingress) or \
                not isinstance(families, list | tuple):
            raise ValueError(f"Service {namespace}/{name}: status.loadBalancer.ingress must be a list of objects "
                             f"and spec.ipFamilies a list")
        lb = tuple(ip for ip in (parse_ip(str(i.get("ip", ""))) for i in ingress) if ip is not None)
        # clusterIPs since Kubernetes 1.20; before it (and on objects written by hand) clusterIP alone
        raw_ips = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
        cluster = tuple(ip for ip in (parse_ip(str(a)) for a in raw_ips) if ip)
        return cls(namespace, name, labels, annotations, str(spec.get("type", "ClusterIP")),
                   tuple(str(f) for f in families), str(spec.get("ipFamilyPolicy", "SingleStack")),
                   cluster, lb, Condition.parse_all(status.get("conditions")),
                   spec.get("loadBalancerClass"))

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)

    def describe_conditions(self) -> str:
        return "; ".join(str(c) for c in self.conditions) or "no status conditions"


@dataclass(frozen=True)
class LbPoolObject:
    name: str
    api_version: str
    blocks: tuple[AddressBlock, ...]
    selector: dict[str, Any]
    disabled: bool
    conditions: tuple[Condition, ...]

    @classmethod
    def parse(cls, obj: Obj) -> LbPoolObject:
        _, name, _, _ = _meta(obj)
        spec = obj.get("spec") or {}
        raw_blocks = list(spec.get("blocks") or []) + list(spec.get("cidrs") or [])
        try:
            blocks = tuple(AddressBlock.from_cilium(b) for b in raw_blocks)
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"CiliumLoadBalancerIPPool {name}: unreadable block: {exc}") from exc
        return cls(name, str(obj.get("apiVersion", "")), blocks, dict(spec.get("serviceSelector") or {}),
                   bool(spec.get("disabled", False)),
                   Condition.parse_all((obj.get("status") or {}).get("conditions")))

    def describe_blocks(self) -> str:
        return ", ".join(str(b) for b in self.blocks) or "no blocks"

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)


@dataclass(frozen=True)
class NodeObject:
    name: str
    labels: dict[str, str]
    internal_ips: tuple[IPAddress, ...]
    pod_cidrs: tuple[str, ...]
    ready: bool

    @classmethod
    def parse(cls, obj: Obj) -> NodeObject:
        _, name, labels, _ = _meta(obj)
        status, spec = obj.get("status") or {}, obj.get("spec") or {}
        ips = tuple(ip for ip in (parse_ip(str(a.get("address", ""))) for a in status.get("addresses") or []
                                  if a.get("type") == "InternalIP") if ip is not None)
        ready = any(c.get("type") == "Ready" and c.get("status") == "True"
                    for c in status.get("conditions") or [])
        return cls(name, labels, ips, tuple(spec.get("podCIDRs") or ()), ready)


@dataclass(frozen=True)
class IngressObject:
    namespace: str
    name: str
    class_name: str | None
    hosts: tuple[str, ...]
    tls_hosts: tuple[str, ...]

    @classmethod
    def parse(cls, obj: Obj) -> IngressObject:
        namespace, name, _, annotations = _meta(obj)
        spec = obj.get("spec") or {}
        hosts = tuple(str(r["host"]) for r in spec.get("rules") or [] if r.get("host"))
        tls = tuple(str(h) for t in spec.get("tls") or [] for h in t.get("hosts") or [])
        cls_name = spec.get("ingressClassName") or annotations.get("kubernetes.io/ingress.class")
        return cls(namespace, name, cls_name, hosts, tls)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"
