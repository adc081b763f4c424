"""Server-side apply: merge an applied configuration and track field ownership per manager.

    merged = ssa_merge(live, applied, keys_for)
    entries = take_apply_ownership(entries, "kubectl", paths, live, applied, force=False, ...)

Semantics per https://kubernetes.io/docs/reference/using-api/server-side-apply/ : maps merge,
list-maps merge by key, other lists are atomic; a field owned by another manager with a different
value is a conflict (409) unless ``force``; fields this manager applied before but no longer
applies, and nobody else owns, are removed; non-apply writes take ownership of changed fields.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from .errors import ApiError, Cause
from .fieldsets import FieldPath, KeysFor, describe, from_fields_v1, to_fields_v1, value_at

Obj = dict[str, Any]
ManagerKey = tuple[str, str, str]  # (manager, operation, subresource)


@dataclass(frozen=True)
class Ownership:
    api_version: str
    time: str
    paths: frozenset[FieldPath]


Entries = dict[ManagerKey, Ownership]


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_entries(obj: Obj) -> Entries:
    out: Entries = {}
    for e in obj.get("metadata", {}).get("managedFields") or []:
        key = (e.get("manager", ""), e.get("operation", "Update"), e.get("subresource", ""))
        out[key] = Ownership(
            e.get("apiVersion", ""), e.get("time", ""), frozenset(from_fields_v1(e.get("fieldsV1") or {}))
        )
    return out


def dump_entries(entries: Entries) -> list[Obj]:
    out = []
    for (manager, operation, sub), own in entries.items():
        if not own.paths:
            continue
        e: Obj = {
            "manager": manager,
            "operation": operation,
            "apiVersion": own.api_version,
            "time": own.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": to_fields_v1(set(own.paths)),
        }
        if sub:
            e["subresource"] = sub
        out.append(e)
    return out


def ssa_merge(live: Any, applied: Any, keys_for: KeysFor, names: tuple[str, ...] = ()) -> Any:
    if isinstance(live, dict) and isinstance(applied, dict):
        out = dict(live)
        for k, v in applied.items():
            out[k] = ssa_merge(live.get(k), v, keys_for, names + (k,))
        return out
    keys = keys_for(names) if isinstance(applied, list) else None
    if keys and isinstance(live, list) and isinstance(applied, list):
        out_list = [copy.deepcopy(i) for i in live]
        for item in applied:
            idx = next(
                (
                    n
                    for n, o in enumerate(out_list)
                    if isinstance(o, dict) and isinstance(item, dict) and all(o.get(k) == item.get(k) for k in keys)
                ),
                None,
            )
            if idx is None:
                out_list.append(copy.deepcopy(item))
            else:
                out_list[idx] = ssa_merge(out_list[idx], item, keys_for, names)
        return out_list
    return copy.deepcopy(applied)


def remove_paths(obj: Obj, paths: set[FieldPath]) -> None:
    """Delete the fields at ``paths``: whole list-map items first (their keys are still
    intact to find them), then fields deepest first."""
    for path in sorted(paths, key=lambda p: (p[-1] != ".", -len(p))):
        trimmed = path[:-1] if path[-1] == "." else path
        found, parent = value_at(obj, trimmed[:-1])
        if not found:
            continue
        last = trimmed[-1]
        if last.startswith("f:") and isinstance(parent, dict):
            parent.pop(last[2:], None)
        elif last.startswith("k:") and isinstance(parent, list):
            _, item = value_at(parent, (last,))
            if item is not None:
                parent.remove(item)


def conflicts_for(
    entries: Entries, me: ManagerKey, paths: set[FieldPath], live: Obj, applied: Obj
) -> list[tuple[str, str, FieldPath]]:
    found = []
    for key, own in entries.items():
        if key == me:
            continue
        for path in sorted(paths & own.paths):
            if path[-1] == ".":
                continue
            if value_at(live, path) != value_at(applied, path):
                found.append((key[0], own.api_version, path))
    return found


def conflict_error(kind: str, group: str, name: str, found: list[tuple[str, str, FieldPath]]) -> ApiError:
    causes = [Cause(describe(p), f'conflict with "{m}" using {v}', "FieldManagerConflict") for m, v, p in found]
    lines = [f'conflict with "{m}" using {v}: {describe(p)}' for m, v, p in found]
    msg = f"Apply failed with {len(found)} conflict{'s' if len(found) > 1 else ''}: " + "; ".join(lines)
    return ApiError(409, "Conflict", msg, name, group, kind, causes)


def take_ownership(
    entries: Entries,
    me: ManagerKey,
    api_version: str,
    mine: set[FieldPath],
    taken: set[FieldPath],
    existing: set[FieldPath],
) -> Entries:
    """``me`` owns ``mine``; others lose ``taken``; everyone keeps only ``existing`` fields."""
    out: Entries = {}
    for key, own in entries.items():
        if key == me:
            continue
        kept = (own.paths - taken) & existing
        if kept:
            out[key] = Ownership(own.api_version, own.time, frozenset(kept))
    if mine & existing:
        paths, previous = frozenset(mine & existing), entries.get(me)
        # as the API server's managedFields updater: the time moves only when the manager's fields (or
        # its version) change, so a repeated identical apply is a no-op, resourceVersion included
        unchanged = previous is not None and previous.paths == paths and previous.api_version == api_version
        out[me] = Ownership(api_version, previous.time if unchanged and previous else now_rfc3339(), paths)
    return out


def changed_paths(old: Obj | None, new: Obj, new_paths: set[FieldPath]) -> set[FieldPath]:
    if old is None:
        return set(new_paths)
    return {p for p in new_paths if p[-1] != "." and value_at(old, p) != value_at(new, p)}
