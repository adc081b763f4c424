"""List and watch filtering: selectors, ``limit``/``continue`` pagination, watch event mapping.

    page = list_page(api, route, labels, fields, limit=2, token="")
    mapped = watch_event(event, labels, fields)     # ("ADDED", obj) or None

Continue tokens encode the last returned (namespace, name); pages are taken from the live
state rather than a snapshot at the first page's resourceVersion (a lab simplification).
Watch events move objects in/out of a selector as ADDED/DELETED, like the watch cache does.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from .api import Api, as_version
from .errors import ApiError
from .routing import Route
from .selectors import FieldSelector, LabelSelector
from .store import Event

Obj = dict[str, Any]


def _matches(obj: Obj | None, labels: LabelSelector, fields: FieldSelector) -> bool:
    return obj is not None and labels.matches_obj(obj) and fields.matches_obj(obj)


def _decode(token: str) -> tuple[str, str]:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
        return str(data["ns"]), str(data["name"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ApiError.bad_request(f"continue key is not valid: {exc}") from exc


def _encode(ns: str, name: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"ns": ns, "name": name}).encode()).decode()


def list_page(api: Api, route: Route, labels: LabelSelector, fields: FieldSelector, limit: int, token: str) -> Obj:
    rt = route.rt
    with api.store.lock:
        rv = str(api.store.resource_version)
        items = [o for o in api.store.items((rt.group, rt.plural), route.namespace) if _matches(o, labels, fields)]
    if token:
        after = _decode(token)
        items = [o for o in items if (o["metadata"].get("namespace") or "", o["metadata"]["name"]) > after]
    meta: Obj = {"resourceVersion": rv}
    if limit and len(items) > limit:
        last = items[limit - 1]["metadata"]
        meta["continue"] = _encode(last.get("namespace") or "", last["name"])
        meta["remainingItemCount"] = len(items) - limit
        items = items[:limit]
    return {
        "kind": rt.list_kind,
        "apiVersion": rt.api_version(route.version),
        "metadata": meta,
        "items": [as_version(rt, o, route.version) for o in items],
    }


def watch_event(event: Event, labels: LabelSelector, fields: FieldSelector) -> tuple[str, Obj] | None:
    now = _matches(event.obj, labels, fields)
    before = event.type == "MODIFIED" and _matches(event.prev, labels, fields)
    if event.type == "MODIFIED":
        if now and before:
            return "MODIFIED", event.obj
        if now:
            return "ADDED", event.obj
        return ("DELETED", event.obj) if before else None
    return (event.type, event.obj) if now else None
