"""Kubernetes label selectors, evaluated the way the API server and Cilium evaluate them.

    >>> matches({"matchLabels": {"app": "x"}}, {"app": "x"})
    True
    >>> labels_selecting({"matchExpressions": [{"key": "k", "operator": "In", "values": ["a"]}]})
    {'k': 'a'}
    >>> describe(normalise({"matchExpressions": [{"key": "io.cilium/lb-ipam-pool", "operator": "In",
    ...                                            "values": ["bgp-ingress", "bgp-default"]}]}))
    'io.cilium/lb-ipam-pool In (bgp-default,bgp-ingress)'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.core.errors import SelectorError

Selector = Mapping[str, Any]


def matches(selector: Selector | None, labels: Mapping[str, str]) -> bool:
    """True when every matchLabels pair and every matchExpression holds (empty selects all)."""
    if not selector:
        return True
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    return all(_expression(e, labels) for e in selector.get("matchExpressions") or [])


def _expression(expr: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    key, op, values = expr["key"], expr["operator"], list(expr.get("values") or [])
    if op == "In":
        return key in labels and labels[key] in values
    if op == "NotIn":
        return key not in labels or labels[key] not in values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    raise SelectorError(f"unknown selector operator {op!r}")


def labels_selecting(selector: Selector) -> dict[str, str]:
    """A minimal label set the selector matches (first value for In; 'true' for Exists)."""
    labels = dict(selector.get("matchLabels") or {})
    for expr in selector.get("matchExpressions") or []:
        if expr["operator"] == "In" and expr["key"] not in labels:
            labels[expr["key"]] = expr["values"][0]
        elif expr["operator"] == "Exists" and expr["key"] not in labels:
            labels[expr["key"]] = "true"
    if not matches(selector, labels):
        raise SelectorError(f"no simple label set satisfies selector {dict(selector)}")
    return labels


def normalise(selector: Selector | None) -> dict[str, Any]:
    """A canonical form for comparing selectors (sorted expressions and values, no empties)."""
    if not selector:
        return {}
    out: dict[str, Any] = {}
    if selector.get("matchLabels"):
        out["matchLabels"] = dict(sorted(selector["matchLabels"].items()))
    exprs = [{"key": e["key"], "operator": e["operator"], "values": sorted(e.get("values") or [])}
             for e in selector.get("matchExpressions") or []]
    if exprs:
        out["matchExpressions"] = sorted(exprs, key=lambda e: (e["key"], e["operator"]))
    return out


def describe(selector: Selector | None) -> str:
    if not selector:
        return "<selects everything>"
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    parts += [f"{e['key']} {e['operator']} ({','.join(e.get('values') or [])})"
              for e in selector.get("matchExpressions") or []]
    return ", ".join(parts)
