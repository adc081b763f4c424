"""Label and field selectors, parsed once and matched against objects.

    sel = LabelSelector.parse("app=web,tier in (a,b),!legacy")
    sel.matches({"app": "web", "tier": "a"})   # True

Grammar per https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors
(equality ``=``/``==``/``!=``, set ``in``/``notin``, existence ``key``/``!key``, comma = AND).
Field selectors support ``metadata.name``/``metadata.namespace`` everywhere plus a few per-kind
fields (https://kubernetes.io/docs/concepts/overview/working-with-objects/field-selectors/).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import ApiError

Obj = dict[str, Any]

_SET_RE = re.compile(r"^\s*([^\s!=]+)\s+(in|notin)\s+\((.*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)\s*$")
_KEY_RE = re.compile(r"^\s*(!?)\s*([^\s!=(),]+)\s*$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "in" | "notin" | "exists" | "!exists"
    values: frozenset[str] = frozenset()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.op == "exists":
            return present
        if self.op == "!exists":
            return not present
        if self.op == "in":
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p.strip()]


def _parse_requirement(term: str) -> Requirement:
    if m := _SET_RE.match(term):
        values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
        return Requirement(m.group(1), m.group(2), values)
    if m := _EQ_RE.match(term):
        return Requirement(m.group(1), "notin" if m.group(2) == "!=" else "in", frozenset({m.group(3)}))
    if m := _KEY_RE.match(term):
        return Requirement(m.group(2), "!exists" if m.group(1) else "exists")
    raise ApiError.bad_request(f"unable to parse requirement: {term!r} in labelSelector")


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def parse(cls, text: str | None) -> LabelSelector:
        return cls(tuple(_parse_requirement(t) for t in _split_top(text or "")))

    def matches(self, labels: dict[str, str] | None) -> bool:
        return all(r.matches(labels or {}) for r in self.requirements)

    def matches_obj(self, obj: Obj) -> bool:
        return self.matches(obj.get("metadata", {}).get("labels"))


_COMMON_FIELDS = ("metadata.name", "metadata.namespace")
_KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "Pod": ("spec.nodeName", "status.phase", "spec.restartPolicy", "spec.serviceAccountName", "status.podIP"),
    "Service": ("spec.type", "spec.clusterIP"),
    "Namespace": ("status.phase",),
    "Secret": ("type",),
    "Node": ("spec.unschedulable",),
    "Event": ("involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "reason", "type"),
}


def _lookup(obj: Obj, path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    if isinstance(cur, bool):
        return "true" if cur else "false"
    return "" if cur is None else str(cur)


@dataclass(frozen=True)
class FieldSelector:
    terms: tuple[tuple[str, bool, str], ...] = ()  # (field, equal?, value)

    @classmethod
    def parse(cls, text: str | None, kind: str) -> FieldSelector:
        allowed = _COMMON_FIELDS + _KIND_FIELDS.get(kind, ())
        terms = []
        for term in _split_top(text or ""):
            m = _EQ_RE.match(term)
            if not m:
                raise ApiError.bad_request(f"invalid selector: {term!r}; can't understand fieldSelector")
            if m.group(1) not in allowed:
                raise ApiError.bad_request(
                    f'"{m.group(1)}" is not a known field selector: only "{", ".join(allowed)}" for {kind}'
                )
            terms.append((m.group(1), m.group(2) != "!=", m.group(3)))
        return cls(tuple(terms))

    def matches_obj(self, obj: Obj) -> bool:
        return all((_lookup(obj, f) == v) == eq for f, eq, v in self.terms)
