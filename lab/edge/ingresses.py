"""Ingress objects as the edge controllers see them: typed, filtered by class, parsed once.

    views = [v for v in map(IngressView.parse, store.list(*INGRESS)) if v.is_class("nginx-internal")]
    views[0].dns_hosts()     # rule hosts + the external-dns hostname annotation

Class matching accepts ``spec.ingressClassName`` or the legacy ``kubernetes.io/ingress.class``
annotation, which ingress-nginx still honours (https://kubernetes.github.io/ingress-nginx/
user-guide/multiple-ingress/). Hosts for DNS follow external-dns's ingress source: every
rule host plus the comma-separated ``external-dns.alpha.kubernetes.io/hostname`` annotation
(https://kubernetes-sigs.github.io/external-dns/latest/docs/sources/ingress/).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

INGRESS = ("networking.k8s.io/v1", "Ingress")
LEGACY_CLASS = "kubernetes.io/ingress.class"
HOSTNAME_ANNOTATION = "external-dns.alpha.kubernetes.io/hostname"
TTL_ANNOTATION = "external-dns.alpha.kubernetes.io/ttl"
DEFAULT_TTL = 300


@dataclass(frozen=True)
class Backend:
    host: str
    path: str
    service: str
    port: int | str
    path_type: str = "Prefix"


@dataclass(frozen=True)
class TlsEntry:
    hosts: tuple[str, ...]
    secret_name: str


@dataclass(frozen=True)
class IngressView:
    namespace: str
    name: str
    class_name: str | None
    backends: tuple[Backend, ...]
    tls: tuple[TlsEntry, ...]
    annotation_hosts: tuple[str, ...]
    ttl: int
    status_ips: tuple[str, ...]

    @classmethod
    def parse(cls, obj: dict[str, Any]) -> IngressView:
        meta, spec = obj.get("metadata", {}), obj.get("spec", {}) or {}
        notes = meta.get("annotations", {}) or {}
        lb = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
        return cls(
            namespace=meta.get("namespace", "default"), name=meta["name"],
            class_name=spec.get("ingressClassName") or notes.get(LEGACY_CLASS),
            backends=tuple(_backends(spec)),
            tls=tuple(TlsEntry(tuple(t.get("hosts") or ()), t.get("secretName", ""))
                      for t in spec.get("tls") or ()),
            annotation_hosts=_split_hosts(notes.get(HOSTNAME_ANNOTATION, "")),
            ttl=_ttl(notes.get(TTL_ANNOTATION)),
            status_ips=tuple(i["ip"] for i in lb if i.get("ip")),
        )

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}"

    def is_class(self, class_name: str) -> bool:
        return self.class_name == class_name

    def rule_hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(b.host for b in self.backends if b.host))

    def dns_hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((*self.rule_hosts(), *self.annotation_hosts)))

    def tls_hosts(self) -> set[str]:
        return {h for t in self.tls for h in t.hosts}


def _backends(spec: dict[str, Any]) -> list[Backend]:
    found: list[Backend] = []
    for rule in spec.get("rules") or ():
        for path in ((rule.get("http") or {}).get("paths") or ()):
            svc = (path.get("backend") or {}).get("service") or {}
            port = svc.get("port") or {}
            found.append(Backend(rule.get("host", ""), path.get("path", "/"), svc.get("name", ""),
                                 port.get("number") or port.get("name", ""),
                                 path.get("pathType", "Prefix")))
    return found


def _split_hosts(text: str) -> tuple[str, ...]:
    return tuple(h.strip().rstrip(".") for h in text.split(",") if h.strip())


def _ttl(text: str | None) -> int:
    try:
        return int(text) if text else DEFAULT_TTL
    except ValueError:
        return DEFAULT_TTL
