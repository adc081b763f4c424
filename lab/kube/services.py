"""Service defaulting and IP/port allocation like kube-apiserver's service registry.

    alloc = ServiceAllocator(["10.96.0.0/12", "fd00:10:96::/112"])
    spec = alloc.prepare(new_spec, old_spec, in_use=alloc.scan(all_services))

Semantics per https://kubernetes.io/docs/concepts/services-networking/dual-stack/ and
pkg/registry/core/service/storage (defaults in pkg/apis/core/v1/defaults.go). Allocation state
is derived from the stored services on every write, so a failed or dry-run write leaks nothing
and deleting a service releases its IPs and node ports.
"""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import Cause

Obj = dict[str, Any]
IPNet = ipaddress.IPv4Network | ipaddress.IPv6Network
NODE_PORTS = range(30000, 32768)
_TYPES = ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName")


class SpecInvalid(Exception):
    def __init__(self, causes: list[Cause]) -> None:
        super().__init__("; ".join(c.message for c in causes))
        self.causes = causes


@dataclass(frozen=True)
class InUse:
    ips: frozenset[str]
    node_ports: frozenset[int]


def _family(ip: str) -> str:
    return "IPv6" if ipaddress.ip_address(ip).version == 6 else "IPv4"


class ServiceAllocator:
    def __init__(self, cidrs: Sequence[str]) -> None:
        self.nets: dict[str, IPNet] = {}
        for c in cidrs:
            net = ipaddress.ip_network(c, strict=False)
            self.nets.setdefault("IPv6" if net.version == 6 else "IPv4", net)

    @staticmethod
    def scan(services: Iterable[Obj], skip: tuple[str, str] | None = None) -> InUse:
        ips: set[str] = set()
        ports: set[int] = set()
        for svc in services:
            meta = svc["metadata"]
            if skip == (meta.get("namespace"), meta["name"]):
                continue
            spec = svc.get("spec", {})
            ips.update(i for i in spec.get("clusterIPs", []) if i != "None")
            ports.update(p["nodePort"] for p in spec.get("ports", []) if p.get("nodePort"))
        return InUse(frozenset(ips), frozenset(ports))

    def _families(self, spec: Obj) -> list[str]:
        policy = spec.setdefault("ipFamilyPolicy", "SingleStack")
        causes: list[Cause] = []
        if policy not in ("SingleStack", "PreferDualStack", "RequireDualStack"):
            causes.append(
                Cause(
                    "spec.ipFamilyPolicy",
                    f'Unsupported value: "{policy}": supported values: '
                    '"PreferDualStack", "RequireDualStack", "SingleStack"',
                    "FieldValueNotSupported",
                )
            )
        if policy == "RequireDualStack" and len(self.nets) < 2:
            causes.append(
                Cause(
                    "spec.ipFamilyPolicy",
                    'Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
                )
            )
        wanted = list(spec.get("ipFamilies") or [])
        if not wanted and spec.get("clusterIPs") and spec["clusterIPs"][0] != "None":
            wanted = [_family(ip) for ip in spec["clusterIPs"]]
        for n, fam in enumerate(wanted):
            if fam not in self.nets:
                causes.append(Cause(f"spec.ipFamilies[{n}]", f'Invalid value: "{fam}": not configured on this cluster'))
        if causes:
            raise SpecInvalid(causes)
        families = wanted or [next(iter(self.nets))]
        if policy != "SingleStack":
            families += [f for f in self.nets if f not in families]
        return families[:1] if policy == "SingleStack" else families

    def _pick(self, family: str, requested: str | None, used: set[str]) -> str:
        net = self.nets[family]
        if requested:
            path = "spec.clusterIPs"
            if ipaddress.ip_address(requested) not in net:
                raise SpecInvalid(
                    [
                        Cause(
                            path,
                            f'Invalid value: ["{requested}"]: failed to allocate IP {requested}: '
                            f"the provided IP ({requested}) is not in the valid range. "
                            f"The range of valid IPs is {net}",
                        )
                    ]
                )
            if requested in used:
                raise SpecInvalid(
                    [
                        Cause(
                            path,
                            f'Invalid value: ["{requested}"]: failed to allocate IP '
                            f"{requested}: provided IP is already allocated",
                        )
                    ]
                )
            return requested
        for offset in range(2, min(net.num_addresses - 1, 1 << 20)):
            ip = str(net.network_address + offset)
            if ip not in used:
                return ip
        raise SpecInvalid([Cause("spec.clusterIPs", f"Internal error: range {net} is full", "FieldValueForbidden")])

    def _assign_ips(self, spec: Obj, old: Obj | None, used: set[str]) -> None:
        if spec.get("type") == "ExternalName":
            return
        if old and old.get("clusterIPs"):
            requested = spec.get("clusterIPs") or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
            if requested and requested[:1] != old["clusterIPs"][:1]:
                raise SpecInvalid(
                    [Cause("spec.clusterIPs[0]", f'Invalid value: "{requested[0]}": may not change once set')]
                )
            spec["clusterIPs"] = list(old["clusterIPs"])
        elif spec.get("clusterIP") and not spec.get("clusterIPs"):
            spec["clusterIPs"] = [spec["clusterIP"]]
        families = self._families(spec)
        ips = list(spec.get("clusterIPs") or [])
        if ips[:1] == ["None"]:
            spec.update(clusterIP="None", clusterIPs=["None"], ipFamilies=families)
            return
        assigned = []
        for n, fam in enumerate(families):
            want = ips[n] if n < len(ips) else None
            if old and want in (old.get("clusterIPs") or []):
                assigned.append(want)
                continue
            ip = self._pick(fam, want, used)
            used.add(ip)
            assigned.append(ip)
        spec.update(clusterIP=assigned[0], clusterIPs=assigned, ipFamilies=families)

    def _assign_ports(self, spec: Obj, old: Obj | None, used: set[int]) -> None:
        wants_node_ports = spec["type"] in ("NodePort", "LoadBalancer")
        old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort") for p in (old or {}).get("ports", [])}
        for n, port in enumerate(spec.get("ports", [])):
            port.setdefault("protocol", "TCP")
            port.setdefault("targetPort", port.get("port"))
            if not wants_node_ports:
                port.pop("nodePort", None)
                continue
            np = port.get("nodePort") or old_ports.get((port.get("port"), port["protocol"]))
            if np and np == old_ports.get((port.get("port"), port["protocol"])):
                port["nodePort"] = np
            elif np:
                if np not in NODE_PORTS or np in used:
                    why = (
                        "provided port is already allocated"
                        if np in used
                        else "provided port is not in the valid range. The range of valid ports is 30000-32767"
                    )
                    raise SpecInvalid([Cause(f"spec.ports[{n}].nodePort", f"Invalid value: {np}: {why}")])
                port["nodePort"] = np
            else:
                port["nodePort"] = next(p for p in NODE_PORTS if p not in used)
            used.add(port["nodePort"])

    def prepare(self, spec_in: Obj, old: Obj | None, in_use: InUse) -> Obj:
        """Defaulted, validated, allocated copy of a Service ``spec``."""
        spec = copy.deepcopy(spec_in)
        spec.setdefault("type", "ClusterIP")
        validate_spec(spec)
        spec.setdefault("sessionAffinity", "None")
        if spec["type"] != "ExternalName":
            spec.setdefault("internalTrafficPolicy", "Cluster")
        if spec["type"] in ("NodePort", "LoadBalancer"):
            spec.setdefault("externalTrafficPolicy", "Cluster")
        if spec["type"] == "LoadBalancer":
            spec.setdefault("allocateLoadBalancerNodePorts", True)
        self._assign_ips(spec, old, set(in_use.ips))
        self._assign_ports(spec, old, set(in_use.node_ports))
        return spec


def validate_spec(spec: Obj) -> None:
    causes: list[Cause] = []
    if spec["type"] not in _TYPES:
        causes.append(
            Cause(
                "spec.type",
                f'Unsupported value: "{spec["type"]}": supported values: ' + ", ".join(f'"{t}"' for t in _TYPES),
                "FieldValueNotSupported",
            )
        )
    ports = spec.get("ports") or []
    if spec["type"] != "ExternalName" and not ports and spec.get("clusterIP") != "None":
        causes.append(Cause("spec.ports", "Required value", "FieldValueRequired"))
    names = [p.get("name", "") for p in ports]
    for n, port in enumerate(ports):
        if not isinstance(port.get("port"), int) or not 1 <= port["port"] <= 65535:
            causes.append(
                Cause(
                    f"spec.ports[{n}].port",
                    f"Invalid value: {port.get('port')!r}: must be between 1 and 65535, inclusive",
                )
            )
        if port.get("protocol", "TCP") not in ("TCP", "UDP", "SCTP"):
            causes.append(
                Cause(
                    f"spec.ports[{n}].protocol",
                    f'Unsupported value: "{port["protocol"]}": supported values: "SCTP", "TCP", "UDP"',
                    "FieldValueNotSupported",
                )
            )
        if len(ports) > 1 and not port.get("name"):
            causes.append(Cause(f"spec.ports[{n}].name", "Required value", "FieldValueRequired"))
        elif port.get("name") and names.count(port["name"]) > 1:
            causes.append(Cause(f"spec.ports[{n}].name", f'Duplicate value: "{port["name"]}"', "FieldValueDuplicate"))
    if causes:
        raise SpecInvalid(causes)
