"""Values shared by the repo readers: where a thing came from, what the checkout lacks.

    Origin("infrastructure/cilium-pools/loadbalancer-pools.yaml", "infrastructure-cilium-pools")
    RepoGap("clusters/home-ops/kustomization.yaml", "resource infrastructure/core.yaml: no such file")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Obj = dict[str, Any]

MISSING = "missing"              # a referenced file or directory is not in the checkout
UNEVALUATED = "unevaluated"      # present, but this reader cannot evaluate it (remote base, helm chart, ...)
BROKEN = "broken"                # present, but the tool that reads it stops there (a patch kustomize refuses)


@dataclass(frozen=True)
class Origin:
    """The repo file a value was read from and the Flux Kustomization that applies it (None: none does)."""

    file: str
    flux_kustomization: str | None = None

    def __str__(self) -> str:
        via = f" (Flux Kustomization {self.flux_kustomization})" if self.flux_kustomization else \
            " (applied by no Flux Kustomization)"
        return self.file + via


@dataclass(frozen=True)
class RepoGap:
    """Something a repo file refers to that is missing, or that was not evaluated."""

    file: str
    missing: str
    kind: str = MISSING
    unit: str | None = None      # what stops on it: a Flux Kustomization's name, "talconfig.yaml", a Taskfile task

    def __str__(self) -> str:
        return f"{self.file}: {self.kind}: {self.missing}"


@dataclass(frozen=True)
class RenderedObject:
    """One Kubernetes object as Flux would apply it, with its origin."""

    obj: Obj
    origin: Origin

    @property
    def kind(self) -> str:
        return str(self.obj.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.obj.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def name(self) -> str:
        return str((self.obj.get("metadata") or {}).get("name", ""))

    @property
    def namespace(self) -> str:
        return str((self.obj.get("metadata") or {}).get("namespace") or "")

    @property
    def ref(self) -> str:
        return f"{self.kind} {self.namespace + '/' if self.namespace else ''}{self.name}"


@dataclass(frozen=True)
class Sourced(Generic[T]):
    """A typed piece of evidence plus where in the repo it was declared."""

    value: T
    origin: Origin
