"""The Ready condition every controller of the platform writes (Flux, External Secrets, cert-manager),
read one way: the object named, where it was read, and its status, reason and message.

    why = not_ready(obj, url)      # None when Ready is True; else "Kind ns/name at URL is not Ready (False): ..."
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


def object_ref(obj: Mapping[str, Any]) -> str:
    """``Kind namespace/name`` (``Kind name`` when cluster-scoped), for messages."""
    meta = _meta(obj)
    namespace = meta.get("namespace")
    return f"{obj.get('kind', '?')} {namespace + '/' if namespace else ''}{meta.get('name', '?')}"


def ready_condition(obj: Mapping[str, Any]) -> Mapping[str, Any] | None:
    conditions = (obj.get("status") or {}).get("conditions") or []
    return next((c for c in conditions if isinstance(c, Mapping) and c.get("type") == "Ready"), None)


def not_ready(obj: Mapping[str, Any], url: str) -> str | None:
    """Why ``obj`` is not Ready at ``url`` (None when its Ready condition is True)."""
    ready = ready_condition(obj)
    if ready is None:
        return f"{object_ref(obj)} at {url} has no Ready condition: its controller has not reconciled it"
    if ready.get("status") != "True":
        return (f"{object_ref(obj)} at {url} is not Ready ({ready.get('status')}): {ready.get('reason', '')}: "
                f"{ready.get('message', '')}".rstrip(": "))
    return None
