"""The two patch formats kustomize applies: RFC 6902 JSON patches and strategic merge patches.

    obj = apply_json6902(obj, [{"op": "replace", "path": "/spec/replicas", "value": 2}])
    obj = strategic_merge(obj, {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "x"}]}}}})

JSON patch follows RFC 6902 (https://datatracker.ietf.org/doc/html/rfc6902): pointer escapes ``~0``/``~1``,
``-`` appends, ``test`` compares. Strategic merge follows the Kubernetes rules
(https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md):
maps merge recursively, ``null`` deletes a key, ``$patch: delete|replace`` directives, and lists merge
by their merge key where the core API declares one (containers by name, container ports by
containerPort, service ports by port, ...); every other list is replaced. Both return new objects.
"""

from __future__ import annotations

import copy
from typing import Any

from harness.core.errors import PatchError

Obj = dict[str, Any]

# Merge keys of the core types (k8s.io/api `patchMergeKey` tags) for the lists the repos patch.
MERGE_KEYS: dict[str, tuple[str, ...]] = {
    "containers": ("name",), "initContainers": ("name",), "ephemeralContainers": ("name",),
    "env": ("name",), "volumes": ("name",), "volumeMounts": ("mountPath",),
    "imagePullSecrets": ("name",), "ports": ("containerPort", "port"), "hostAliases": ("ip",),
}


def _tokens(pointer: str) -> list[str]:
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f"path {pointer!r} does not start with '/'")
    return [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]


def _index(container: list[Any], token: str, op: str, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit():
        raise PatchError(f"{op}: {token!r} is not a list index")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise PatchError(f"{op}: index {index} is out of range (list has {len(container)} items)")
    return index


def _parent(doc: Any, pointer: str, op: str) -> tuple[Any, str]:
    tokens = _tokens(pointer)
    if not tokens:
        raise PatchError(f"{op}: cannot address the document root")
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, op, allow_end=False)]
        else:
            raise PatchError(f"{op} {pointer}: {token!r} does not exist")
    return node, tokens[-1]


def _get(doc: Any, pointer: str, op: str) -> Any:
    parent, last = _parent(doc, pointer, op)
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{op} {pointer}: {last!r} does not exist")
        return parent[last]
    if isinstance(parent, list):
        return parent[_index(parent, last, op, allow_end=False)]
    raise PatchError(f"{op} {pointer}: parent is a scalar")


def _remove(doc: Any, pointer: str, op: str) -> Any:
    parent, last = _parent(doc, pointer, op)
    if isinstance(parent, dict):
        if last not in parent:
            raise PatchError(f"{op} {pointer}: {last!r} does not exist")
        return parent.pop(last)
    if isinstance(parent, list):
        return parent.pop(_index(parent, last, op, allow_end=False))
    raise PatchError(f"{op} {pointer}: parent is a scalar")


def _add(doc: Any, pointer: str, value: Any, op: str, replace: bool) -> None:
    parent, last = _parent(doc, pointer, op)
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise PatchError(f"replace {pointer}: {last!r} does not exist")
        parent[last] = value
    elif isinstance(parent, list):
        index = _index(parent, last, op, allow_end=not replace)
        if replace:
            parent[index] = value
        else:
            parent.insert(index, value)
    else:
        raise PatchError(f"{op} {pointer}: parent is a scalar")


def apply_json6902(obj: Obj, operations: list[Any]) -> Obj:
    doc = copy.deepcopy(obj)
    for step in operations:
        if not isinstance(step, dict) or "op" not in step or "path" not in step:
            raise PatchError(f"operation {step!r} needs 'op' and 'path'")
        op, path = str(step["op"]), str(step["path"])
        if op in ("add", "replace"):
            if "value" not in step:
                raise PatchError(f"{op} {path}: missing 'value'")
            _add(doc, path, copy.deepcopy(step["value"]), op, replace=op == "replace")
        elif op == "remove":
            _remove(doc, path, op)
        elif op in ("move", "copy"):
            source = str(step.get("from", ""))
            value = _remove(doc, source, op) if op == "move" else copy.deepcopy(_get(doc, source, op))
            _add(doc, path, value, op, replace=False)
        elif op == "test":
            if _get(doc, path, op) != step.get("value"):
                raise PatchError(f"test {path}: value is {_get(doc, path, op)!r}, not {step.get('value')!r}")
        else:
            raise PatchError(f"unknown operation {op!r}")
    return doc


def strategic_merge(obj: Obj, patch: Obj) -> Obj:
    return _merge_map(copy.deepcopy(obj), patch)


def _merge_map(base: Obj, patch: Obj) -> Obj:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _merge_map(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list) and key in MERGE_KEYS:
            base[key] = _merge_list(base[key], value, MERGE_KEYS[key])
        else:
            base[key] = copy.deepcopy(value)
    return base


def _key_of(item: Any, keys: tuple[str, ...]) -> tuple[str, Any] | None:
    if not isinstance(item, dict):
        return None
    return next(((k, item[k]) for k in keys if k in item), None)


def _merge_list(base: list[Any], patch: list[Any], keys: tuple[str, ...]) -> list[Any]:
    merged = list(base)
    for item in patch:
        key = _key_of(item, keys)
        match = next((i for i, b in enumerate(merged) if key is not None and _key_of(b, keys) == key), None)
        if isinstance(item, dict) and item.get("$patch") == "delete":
            if match is not None:
                merged.pop(match)
        elif match is None:
            merged.append(copy.deepcopy(item))
        else:
            merged[match] = _merge_map(merged[match], item)
    return merged
