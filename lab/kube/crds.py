"""CustomResourceDefinition handling: CRD object -> served ResourceType, and CRD status.

    rt = resource_type(crd_obj)         # served versions, schemas, status subresource
    crd_obj["status"] = accepted_status(crd_obj)

Per https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/ :
every ``served`` version is reachable, the ``storage`` version is what is kept, and with
conversion strategy "None" only ``apiVersion`` changes between versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import ApiError, Cause
from .resources import ResourceType

Obj = dict[str, Any]


def validate_crd(crd: Obj) -> None:
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    name = crd.get("metadata", {}).get("name", "")
    causes: list[Cause] = []
    for field in ("group", "scope"):
        if not spec.get(field):
            causes.append(Cause(f"spec.{field}", "Required value", "FieldValueRequired"))
    for field in ("plural", "kind"):
        if not names.get(field):
            causes.append(Cause(f"spec.names.{field}", "Required value", "FieldValueRequired"))
    versions = spec.get("versions") or []
    if not versions:
        causes.append(Cause("spec.versions", "Required value", "FieldValueRequired"))
    elif sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(Cause("spec.versions", "Invalid value: must have exactly one version marked as storage version"))
    if not causes and name != f"{names['plural']}.{spec['group']}":
        causes.append(Cause("metadata.name", f'Invalid value: "{name}": must be spec.names.plural+"."+spec.group'))
    if causes:
        raise ApiError.invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, causes)


def resource_type(crd: Obj) -> ResourceType:
    spec = crd["spec"]
    names = spec["names"]
    served = [v for v in spec["versions"] if v.get("served", True)]
    storage = next(v["name"] for v in spec["versions"] if v.get("storage"))
    return ResourceType(
        group=spec["group"],
        versions=tuple(v["name"] for v in served),
        plural=names["plural"],
        singular=names.get("singular") or names["kind"].lower(),
        kind=names["kind"],
        namespaced=spec["scope"] == "Namespaced",
        short_names=tuple(names.get("shortNames") or ()),
        has_status=any("status" in (v.get("subresources") or {}) for v in served),
        categories=tuple(names.get("categories") or ()),
        schemas={
            v["name"]: (v.get("schema") or {}).get("openAPIV3Schema")
            or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
            for v in served
        },
        printer_columns={v["name"]: list(v.get("additionalPrinterColumns") or []) for v in served},
        storage_version=storage,
        is_custom=True,
    )


def accepted_status(crd: Obj, now: str) -> Obj:
    names = dict(crd["spec"]["names"])
    names.setdefault("singular", names["kind"].lower())
    names.setdefault("listKind", f"{names['kind']}List")
    conds = [
        {"type": t, "status": "True", "lastTransitionTime": now, "reason": r, "message": m}
        for t, r, m in (
            ("NamesAccepted", "NoConflicts", "no conflicts found"),
            ("Established", "InitialNamesAccepted", "the initial names have been accepted"),
        )
    ]
    return {
        "conditions": conds,
        "acceptedNames": names,
        "storedVersions": [v["name"] for v in crd["spec"]["versions"] if v.get("storage")],
    }


def _served(crd: Obj) -> set[str]:
    return {v["name"] for v in crd["spec"]["versions"] if v.get("served", True)}


def choose_crds(docs: Iterable[Obj]) -> list[Obj]:
    """One definition per CRD name: when a CRD appears twice, the one serving a superset of the
    other's versions wins whatever the order (a v2 Cilium definition replaces a v2alpha1-only one)."""
    chosen: dict[str, Obj] = {}
    for doc in docs:
        if not (isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"):
            continue
        name = doc["metadata"]["name"]
        if name not in chosen or _served(doc) >= _served(chosen[name]):
            chosen[name] = doc
    return list(chosen.values())


def load_crd_files(paths: Iterable[Path]) -> list[Obj]:
    """The CRDs of YAML files, one per name as ``choose_crds`` picks."""
    return choose_crds(doc for path in paths for doc in yaml.safe_load_all(Path(path).read_text()))
