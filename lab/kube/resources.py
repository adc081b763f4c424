"""The resource types the lab API server serves: built-in kinds plus CRD-registered ones.

    reg = Registry.with_builtins()
    rt = reg.by_path("apps", "v1", "deployments")      # -> ResourceType(kind="Deployment", ...)

Names, scopes, short names and subresources follow ``kubectl api-resources`` on Kubernetes 1.32.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]

ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
MUTATING_VERBS = frozenset({"create", "delete", "deletecollection", "patch", "update"})


@dataclass(frozen=True)
class ResourceType:
    """One REST resource (e.g. ``services``) in one API group, with the versions it serves."""

    group: str
    versions: tuple[str, ...]
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    has_status: bool = False
    categories: tuple[str, ...] = ()
    schemas: dict[str, Obj] = field(default_factory=dict, compare=False)  # CRDs: version -> openAPIV3Schema
    printer_columns: dict[str, list[Obj]] = field(default_factory=dict, compare=False)
    storage_version: str = ""
    is_custom: bool = False

    @property
    def storage(self) -> str:
        return self.storage_version or self.versions[0]

    def api_version(self, version: str | None = None) -> str:
        v = version or self.storage
        return f"{self.group}/{v}" if self.group else v

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def subresources(self) -> tuple[str, ...]:
        return ("status",) if self.has_status else ()


def _b(
    group: str,
    version: str,
    plural: str,
    kind: str,
    namespaced: bool = True,
    short: tuple[str, ...] = (),
    status: bool = False,
    cats: tuple[str, ...] = (),
) -> ResourceType:
    return ResourceType(group, (version,), plural, kind.lower(), kind, namespaced, short, status, cats)


BUILTINS: tuple[ResourceType, ...] = (
    _b("", "v1", "namespaces", "Namespace", False, ("ns",), True),
    _b("", "v1", "nodes", "Node", False, ("no",), True),
    _b("", "v1", "services", "Service", True, ("svc",), True, ("all",)),
    _b("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    _b("", "v1", "pods", "Pod", True, ("po",), True, ("all",)),
    _b("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    _b("", "v1", "secrets", "Secret"),
    _b("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    _b("", "v1", "events", "Event", True, ("ev",)),
    _b("apps", "v1", "deployments", "Deployment", True, ("deploy",), True, ("all",)),
    _b("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",), True, ("all",)),
    _b("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",), True),
    _b("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    _b("coordination.k8s.io", "v1", "leases", "Lease"),
    _b(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
        ("crd", "crds"),
        True,
    ),
)


class Registry:
    """Thread-safe table of served resource types, keyed by (group, plural)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._types: dict[tuple[str, str], ResourceType] = {}

    @classmethod
    def with_builtins(cls) -> Registry:
        reg = cls()
        for rt in BUILTINS:
            reg.add(rt)
        return reg

    def add(self, rt: ResourceType) -> None:
        with self._lock:
            self._types[(rt.group, rt.plural)] = rt

    def remove(self, group: str, plural: str) -> None:
        with self._lock:
            self._types.pop((group, plural), None)

    def all(self) -> list[ResourceType]:
        with self._lock:
            return list(self._types.values())

    def by_path(self, group: str, version: str, plural: str) -> ResourceType | None:
        with self._lock:
            rt = self._types.get((group, plural))
        return rt if rt is not None and version in rt.versions else None

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        with self._lock:
            found = [rt for rt in self._types.values() if rt.group == group and rt.kind == kind]
        return found[0] if found and version in found[0].versions else None

    def group_versions(self) -> dict[str, list[str]]:
        """Group name -> served versions, preferred (storage) version first."""
        out: dict[str, list[str]] = {}
        for rt in self.all():
            versions = out.setdefault(rt.group, [])
            for v in (rt.storage, *rt.versions):
                if v not in versions:
                    versions.append(v)
        return out
