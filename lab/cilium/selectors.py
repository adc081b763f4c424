"""Kubernetes label selectors as Cilium evaluates them, parsed once into frozen values.

    sel = parse_selector({"matchLabels": {"app": "web"}}, where="pool blue")
    sel.matches(service_label_set(svc))          # True / False

Semantics follow k8s.io/apimachinery ``LabelSelectorAsSelector`` (Cilium vendors it as
pkg/k8s/slim/k8s/apis/meta/v1): an *empty* selector ``{}`` matches everything, while a
*missing* selector (``None``) is left to the caller, because Cilium gives ``nil`` a
different meaning per feature (LB IPAM: all services; BGP: no services).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

OPERATORS = frozenset({"In", "NotIn", "Exists", "DoesNotExist"})

#: Special keys Cilium adds to a Service's labels before matching
#: (operator/pkg/lbipam/service_store.go ``svcLabels``;
#: pkg/bgpv1/manager/reconcilerv2/service.go ``serviceLabelSet``).
SERVICE_NAME_LABEL = "io.kubernetes.service.name"
SERVICE_NAMESPACE_LABEL = "io.kubernetes.service.namespace"


class SelectorError(ValueError):
    """A label selector that the API machinery would refuse to convert."""


@dataclass(frozen=True)
class Requirement:
    key: str
    operator: str
    values: frozenset[str]

    def matches(self, labels: Mapping[str, str]) -> bool:
        present = self.key in labels
        if self.operator == "Exists":
            return present
        if self.operator == "DoesNotExist":
            return not present
        if self.operator == "In":
            return present and labels[self.key] in self.values
        # NotIn also matches objects without the key (labels.Selector semantics).
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(req.matches(labels) for req in self.requirements)


def parse_selector(raw: Any, *, where: str) -> LabelSelector | None:
    """``None`` for a missing selector, else the parsed selector; raises SelectorError."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise SelectorError(f"{where}: selector must be an object, saw {raw!r}")
    reqs = [_label_requirement(k, v, where) for k, v in sorted((raw.get("matchLabels") or {}).items())]
    reqs += [_expression(expr, where) for expr in raw.get("matchExpressions") or []]
    return LabelSelector(tuple(reqs))


def _label_requirement(key: Any, value: Any, where: str) -> Requirement:
    if not isinstance(key, str) or not isinstance(value, str):
        raise SelectorError(f"{where}: matchLabels entry {key!r}: {value!r} must map string to string")
    return Requirement(key, "In", frozenset({value}))


def _expression(expr: Any, where: str) -> Requirement:
    if not isinstance(expr, Mapping):
        raise SelectorError(f"{where}: matchExpressions item must be an object, saw {expr!r}")
    key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
    if not isinstance(key, str) or op not in OPERATORS:
        raise SelectorError(f"{where}: expression {dict(expr)!r}: expected key and operator in {sorted(OPERATORS)}")
    # apimachinery rejects In/NotIn without values and Exists/DoesNotExist with values.
    if (op in ("In", "NotIn")) != bool(values):
        raise SelectorError(f"{where}: expression {dict(expr)!r}: values must be non-empty only for In/NotIn")
    return Requirement(key, str(op), frozenset(str(v) for v in values))


def service_label_set(service: Mapping[str, Any]) -> dict[str, str]:
    """A Service's labels plus Cilium's name/namespace pseudo-labels."""
    meta = service.get("metadata") or {}
    labels = {str(k): str(v) for k, v in (meta.get("labels") or {}).items()}
    labels[SERVICE_NAME_LABEL] = str(meta.get("name", ""))
    labels[SERVICE_NAMESPACE_LABEL] = str(meta.get("namespace", ""))
    return labels


#: A selector that matches no object; stands in for one Cilium fails to convert (it then
#: logs the error and selects nothing).
NOTHING = LabelSelector((Requirement("", "In", frozenset()),))


def parse_or_nothing(raw: Any, *, where: str, problems: list[str]) -> LabelSelector | None:
    """Like :func:`parse_selector`, but an invalid selector becomes :data:`NOTHING` + a problem."""
    try:
        return parse_selector(raw, where=where)
    except SelectorError as exc:
        problems.append(str(exc))
        return NOTHING
