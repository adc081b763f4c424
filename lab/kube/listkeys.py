"""Which lists are keyed maps, for strategic merge patch and server-side apply.

    smp_key(("spec", "containers"))            # "name"   (patchMergeKey)
    ssa_keys(("spec", "ports"), schema=None)    # ("port", "protocol")  (listMapKeys)

Built-in kinds: the ``patchMergeKey`` / ``listMapKeys`` tags of k8s.io/api/core/v1/types.go and
apps/v1 for the fields the lab serves. Custom resources: ``x-kubernetes-list-type: map`` with
``x-kubernetes-list-map-keys`` in the CRD schema
(https://kubernetes.io/docs/reference/using-api/server-side-apply/#merge-strategy).
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
Path = tuple[str, ...]  # field names only, list indices skipped

# (parent field, list field) -> strategic-merge-patch merge key
_SMP: dict[tuple[str, str], str] = {
    ("spec", "containers"): "name",
    ("spec", "initContainers"): "name",
    ("spec", "volumes"): "name",
    ("spec", "ports"): "port",
    ("containers", "ports"): "containerPort",
    ("initContainers", "ports"): "containerPort",
    ("containers", "env"): "name",
    ("initContainers", "env"): "name",
    ("containers", "volumeMounts"): "mountPath",
    ("status", "conditions"): "type",
    ("metadata", "ownerReferences"): "uid",
    ("spec", "imagePullSecrets"): "name",
    ("spec", "hostAliases"): "ip",
}
# (parent field, list field) -> server-side-apply list map keys
_SSA: dict[tuple[str, str], tuple[str, ...]] = {
    **{k: (v,) for k, v in _SMP.items()},
    ("spec", "ports"): ("port", "protocol"),
    ("containers", "ports"): ("containerPort", "protocol"),
    ("initContainers", "ports"): ("containerPort", "protocol"),
}
# primitive lists merged as sets by strategic merge patch
_SMP_SETS = {("metadata", "finalizers")}


def _tail(path: Path) -> tuple[str, str]:
    return (path[-2] if len(path) > 1 else "", path[-1] if path else "")


def smp_key(path: Path) -> str | None:
    return _SMP.get(_tail(path))


def smp_is_set(path: Path) -> bool:
    return _tail(path) in _SMP_SETS


def schema_at(schema: Obj | None, path: Path) -> Obj | None:
    """The sub-schema for a field path (list items stepped through), or None."""
    cur = schema
    for name in path:
        while cur is not None and cur.get("type") == "array":
            cur = cur.get("items")
        if cur is None:
            return None
        props = cur.get("properties")
        if props is not None and name in props:
            cur = props[name]
        elif isinstance(cur.get("additionalProperties"), dict):
            cur = cur["additionalProperties"]
        else:
            return None
    return cur


def ssa_keys(path: Path, schema: Obj | None) -> tuple[str, ...] | None:
    """Keys of a list-map at ``path``; None when the list is atomic (or a set)."""
    if schema is None:
        return _SSA.get(_tail(path))
    sub = schema_at(schema, path)
    if sub and sub.get("x-kubernetes-list-type") == "map":
        return tuple(sub.get("x-kubernetes-list-map-keys", ()))
    if path[:1] == ("metadata",):
        return _SSA.get(_tail(path))
    return None
