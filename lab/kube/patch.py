"""JSON patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch.

    new = merge_patch(old, {"metadata": {"labels": {"a": None}}})
    new = strategic_merge(old, {"spec": {"ports": [{"port": 80, "$patch": "delete"}]}})

Strategic merge semantics per
https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md:
keyed lists merge by patchMergeKey, ``$patch: replace|delete`` directives,
``$deleteFromPrimitiveList/<f>``; ``$setElementOrder/<f>`` and ``$retainKeys`` are accepted and
ordering is not enforced.
"""

from __future__ import annotations

import copy
from typing import Any

from .errors import ApiError, Cause
from .listkeys import Path, smp_is_set, smp_key

Obj = dict[str, Any]


def merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _pointer(doc: Any, pointer: str) -> tuple[Any, str | int]:
    """Resolve the parent container and last token of a JSON pointer."""
    if not pointer.startswith("/"):
        raise ApiError.bad_request(f"json patch: invalid pointer {pointer!r}")
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer[1:].split("/")]
    cur = doc
    for tok in tokens[:-1]:
        cur = cur[int(tok)] if isinstance(cur, list) else cur[tok]
    last: str | int = tokens[-1]
    if isinstance(cur, list):
        last = len(cur) if last == "-" else int(last)
    return cur, last


def _get(doc: Any, pointer: str) -> Any:
    if pointer == "":
        return doc
    parent, last = _pointer(doc, pointer)
    return parent[last]


def _remove(doc: Any, pointer: str) -> Any:
    parent, last = _pointer(doc, pointer)
    return parent.pop(last)


def _add(doc: Any, pointer: str, value: Any) -> None:
    parent, last = _pointer(doc, pointer)
    if isinstance(parent, list):
        assert isinstance(last, int)
        parent.insert(last, value)
    else:
        parent[last] = value


def _apply_op(doc: Any, op: Obj) -> None:
    kind, path = op.get("op"), op.get("path", "")
    if kind == "add":
        _add(doc, path, copy.deepcopy(op["value"]))
    elif kind == "remove":
        _remove(doc, path)
    elif kind == "replace":
        _get(doc, path)
        parent, last = _pointer(doc, path)
        parent[last] = copy.deepcopy(op["value"])
    elif kind in ("move", "copy"):
        value = _get(doc, op["from"])
        if kind == "move":
            _remove(doc, op["from"])
        _add(doc, path, copy.deepcopy(value))
    elif kind == "test":
        if _get(doc, path) != op.get("value"):
            raise ValueError(f"testing value {path} failed")
    else:
        raise ApiError.bad_request(f"json patch: unknown op {kind!r}")


def json_patch(doc: Obj, ops: Any) -> Obj:
    if not isinstance(ops, list):
        raise ApiError.bad_request("json patch body must be a JSON array of operations")
    out = copy.deepcopy(doc)
    for op in ops:
        try:
            _apply_op(out, op)
        except (KeyError, IndexError, TypeError, ValueError) as exc:
            raise ApiError(
                422,
                "Invalid",
                f"the server rejected our request due to an error in our "
                f"request: json patch {op.get('op')} {op.get('path')}: {exc}",
                causes=[Cause(str(op.get("path")), str(exc))],
            ) from exc
    return out


def _merge_list(path: Path, old: Any, patch: list[Any]) -> list[Any]:
    old_list = old if isinstance(old, list) else []
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [i for i in patch if not (isinstance(i, dict) and "$patch" in i)]
    key = smp_key(path)
    if key is None:
        if smp_is_set(path):
            return old_list + [v for v in patch if v not in old_list]
        return copy.deepcopy(patch)
    out = [copy.deepcopy(i) for i in old_list]
    for item in patch:
        if not isinstance(item, dict) or key not in item:
            raise ApiError.bad_request(f"strategic merge patch: {'.'.join(path)} items need merge key {key!r}")
        idx = next((n for n, o in enumerate(out) if isinstance(o, dict) and o.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if idx is not None:
                out.pop(idx)
        elif idx is None:
            out.append(strategic_merge({}, item, path))
        else:
            out[idx] = strategic_merge(out[idx], item, path)
    return out


def strategic_merge(old: Any, patch: Obj, path: Path = ()) -> Any:
    """Apply a strategic merge patch to ``old`` (built-in kinds only)."""
    directive = patch.get("$patch")
    if directive == "delete":
        return None
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    out = copy.deepcopy(old) if isinstance(old, dict) else {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys") or key.startswith("$setElementOrder/"):
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            name = key.split("/", 1)[1]
            out[name] = [v for v in out.get(name, []) if v not in value]
            continue
        sub = path + (key,)
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict):
            merged = strategic_merge(out.get(key), value, sub)
            if merged is None:
                out.pop(key, None)
            else:
                out[key] = merged
        elif isinstance(value, list):
            out[key] = _merge_list(sub, out.get(key), value)
        else:
            out[key] = value
    return out
