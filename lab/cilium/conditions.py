"""``metav1.Condition`` lists handled the way k8s.io/apimachinery/pkg/api/meta does.

    conds = set_condition(conds, {"type": "cilium.io/IPsUsed", "status": "Unknown", ...}, now=ts)
    find_condition(conds, "cilium.io/IPsUsed")

``set_condition`` mirrors ``meta.SetStatusCondition``: an existing condition keeps its
position and its ``lastTransitionTime`` unless the status flips; a new one is appended.
Inputs are never mutated.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

Condition = dict[str, Any]


def utc_now() -> str:
    """RFC 3339 timestamp with second precision, as metav1.Time serialises."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_condition(conditions: Sequence[Condition], cond_type: str) -> Condition | None:
    return next((c for c in conditions if c.get("type") == cond_type), None)


def same_condition(old: Condition | None, new: Condition) -> bool:
    """The equality Cilium checks before touching a condition (status, generation, reason, message)."""
    if old is None:
        return False
    keys = ("status", "observedGeneration", "reason", "message")
    return all(old.get(k) == new.get(k) for k in keys)


def set_condition(conditions: Sequence[Condition], new: Condition, *, now: str) -> list[Condition]:
    result = [copy.deepcopy(c) for c in conditions]
    for index, old in enumerate(result):
        if old.get("type") != new["type"]:
            continue
        merged = dict(new)
        flipped = old.get("status") != new["status"]
        merged["lastTransitionTime"] = now if flipped else old.get("lastTransitionTime", now)
        result[index] = merged
        return result
    result.append({**new, "lastTransitionTime": now})
    return result


def remove_condition(conditions: Sequence[Condition], cond_type: str) -> list[Condition]:
    return [copy.deepcopy(c) for c in conditions if c.get("type") != cond_type]
