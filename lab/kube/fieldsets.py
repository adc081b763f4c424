"""Field sets in the ``FieldsV1`` trie format used by ``metadata.managedFields``.

    paths = field_paths(obj, keys_for)   # {("f:spec", "f:type"), ("f:spec", "f:ports", 'k:{"port":80}', "."), ...}
    trie = to_fields_v1(paths)                # {"f:spec": {"f:type": {}, ...}}

Format per https://kubernetes.io/docs/reference/using-api/server-side-apply/#field-management
(sigs.k8s.io/structured-merge-diff/fieldpath): ``f:<name>`` for map fields, ``k:<json keys>``
for list-map items, ``.`` for the item itself. Atomic lists and scalars are leaves.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
FieldPath = tuple[str, ...]
KeysFor = Callable[[tuple[str, ...]], "tuple[str, ...] | None"]

#: server-owned or identity fields never tracked in managedFields
_IGNORED_META = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "managedFields",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
        "generateName",
    }
)


def item_key(item: Obj, keys: tuple[str, ...]) -> str:
    picked = {k: item[k] for k in keys if k in item}
    return "k:" + json.dumps(picked, sort_keys=True, separators=(",", ":"))


def _walk(value: Any, names: tuple[str, ...], prefix: FieldPath, keys_for: KeysFor, out: set[FieldPath]) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            _walk(v, names + (k,), prefix + (f"f:{k}",), keys_for, out)
        return
    keys = keys_for(names) if isinstance(value, list) else None
    if keys and isinstance(value, list) and all(isinstance(i, dict) for i in value):
        for item in value:
            item_prefix = prefix + (item_key(item, keys),)
            out.add(item_prefix + (".",))
            _walk(item, names, item_prefix, keys_for, out)
        if not value:
            out.add(prefix)
        return
    out.add(prefix)


def field_paths(obj: Obj, keys_for: KeysFor, include_status: bool = False) -> set[FieldPath]:
    out: set[FieldPath] = set()
    for key, value in obj.items():
        if key in ("apiVersion", "kind") or (key == "status" and not include_status):
            continue
        if key == "metadata":
            meta = {k: v for k, v in (value or {}).items() if k not in _IGNORED_META}
            for mk, mv in meta.items():
                _walk(mv, ("metadata", mk), ("f:metadata", f"f:{mk}"), keys_for, out)
            continue
        _walk(value, (key,), (f"f:{key}",), keys_for, out)
    return out


def status_paths(obj: Obj, keys_for: KeysFor) -> set[FieldPath]:
    status = obj.get("status")
    out: set[FieldPath] = set()
    if status is not None:
        _walk(status, ("status",), ("f:status",), keys_for, out)
    return out


def value_at(obj: Any, path: FieldPath) -> tuple[bool, Any]:
    """(found, value) for a field path."""
    cur = obj
    for seg in path:
        if seg == ".":
            continue
        if seg.startswith("f:") and isinstance(cur, dict) and seg[2:] in cur:
            cur = cur[seg[2:]]
        elif seg.startswith("k:") and isinstance(cur, list):
            want = json.loads(seg[2:])
            match = [i for i in cur if isinstance(i, dict) and all(i.get(k) == v for k, v in want.items())]
            if not match:
                return False, None
            cur = match[0]
        else:
            return False, None
    return True, cur


def to_fields_v1(paths: set[FieldPath]) -> Obj:
    root: Obj = {}
    for path in sorted(paths):
        node = root
        for seg in path:
            node = node.setdefault(seg, {})
    return root


def from_fields_v1(trie: Obj, prefix: FieldPath = ()) -> set[FieldPath]:
    out: set[FieldPath] = set()
    for seg, sub in trie.items():
        if isinstance(sub, dict) and sub:
            out |= from_fields_v1(sub, prefix + (seg,))
        else:
            out.add(prefix + (seg,))
    return out


def describe(path: FieldPath) -> str:
    """``.spec.ports[port=80,protocol="TCP"].port`` style, as in the real conflict messages."""
    text = ""
    for seg in path:
        if seg.startswith("f:"):
            text += "." + seg[2:]
        elif seg.startswith("k:"):
            keys = json.loads(seg[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in keys.items()) + "]"
    return text
