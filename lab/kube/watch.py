"""Watch streams: newline-delimited JSON events over chunked HTTP.

    stream_watch(api, route, query, write_chunk, stopping, bookmark_interval=1.0)

Semantics per https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes :
no/zero ``resourceVersion`` starts with synthetic ADDED events for current objects; a given
version replays newer events from history, or sends an ERROR event (Status 410 Expired) when
that version has been compacted away; ``timeoutSeconds`` ends the stream cleanly; BOOKMARK
events carry only ``metadata.resourceVersion`` when ``allowWatchBookmarks`` is set.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from .api import Api, as_version
from .errors import ApiError
from .listing import watch_event
from .routing import Route
from .selectors import FieldSelector, LabelSelector
from .store import Event, Watcher

Obj = dict[str, Any]
DEFAULT_TIMEOUT = 1800.0


def _line(type_: str, obj: Obj) -> bytes:
    return json.dumps({"type": type_, "object": obj}, separators=(",", ":")).encode() + b"\n"


def _open(
    api: Api, route: Route, rv: str, labels: LabelSelector, fields: FieldSelector
) -> tuple[Watcher, list[bytes]] | None:
    rt, gp = route.rt, (route.rt.group, route.rt.plural)
    with api.store.lock:
        if rv in ("", "0"):
            current = [
                o for o in api.store.items(gp, route.namespace) if labels.matches_obj(o) and fields.matches_obj(o)
            ]
            opened = api.store.watch(gp, route.namespace, None)
            assert opened is not None
            return opened[0], [_line("ADDED", as_version(rt, o, route.version)) for o in current]
        try:
            since = int(rv)
        except ValueError as exc:
            raise ApiError.bad_request(f"invalid resourceVersion {rv!r}") from exc
        opened = api.store.watch(gp, route.namespace, since)
    if opened is None:
        return None
    watcher, replay = opened
    return watcher, [line for e in replay if (line := _mapped(route, e, labels, fields))]


def _mapped(route: Route, event: Event, labels: LabelSelector, fields: FieldSelector) -> bytes | None:
    mapped = watch_event(event, labels, fields)
    if mapped is None:
        return None
    return _line(mapped[0], as_version(route.rt, mapped[1], route.version))


def stream_watch(
    api: Api,
    route: Route,
    query: dict[str, str],
    write: Callable[[bytes], None],
    stopping: threading.Event,
    bookmark_interval: float,
) -> None:
    labels = LabelSelector.parse(query.get("labelSelector"))
    fields = FieldSelector.parse(query.get("fieldSelector"), route.rt.kind)
    if route.name:
        fields = FieldSelector(fields.terms + (("metadata.name", True, route.name),))
    timeout = float(query.get("timeoutSeconds") or DEFAULT_TIMEOUT)
    bookmarks = query.get("allowWatchBookmarks", "").lower() in ("true", "1")
    opened = _open(api, route, query.get("resourceVersion", ""), labels, fields)
    if opened is None:
        err = ApiError.expired(
            f"too old resource version: {query.get('resourceVersion')} ({api.store.resource_version})"
        )
        write(_line("ERROR", err.status()))
        return
    watcher, initial = opened
    try:
        for line in initial:
            write(line)
        _pump(
            api,
            route,
            watcher,
            write,
            stopping,
            labels,
            fields,
            time.monotonic() + timeout,
            bookmark_interval if bookmarks else 0.0,
        )
    finally:
        api.store.unwatch(watcher)


def _pump(
    api: Api,
    route: Route,
    watcher: Watcher,
    write: Callable[[bytes], None],
    stopping: threading.Event,
    labels: LabelSelector,
    fields: FieldSelector,
    deadline: float,
    bookmark_every: float,
) -> None:
    next_bookmark = time.monotonic() + bookmark_every if bookmark_every else float("inf")
    while not stopping.is_set():
        now = time.monotonic()
        if now >= deadline:
            return
        if now >= next_bookmark:
            meta = {"resourceVersion": str(api.store.resource_version)}
            write(
                _line(
                    "BOOKMARK",
                    {"kind": route.rt.kind, "apiVersion": route.rt.api_version(route.version), "metadata": meta},
                )
            )
            next_bookmark = now + bookmark_every
        try:
            event = watcher.events.get(timeout=max(0.0, min(deadline, next_bookmark) - now))
        except queue.Empty:
            continue
        if event is None:
            return
        if line := _mapped(route, event, labels, fields):
            write(line)
