"""Plumbing shared by the lab's Cilium controllers: single-flight reruns and tolerant listing.

    flight = SingleFlight(self._reconcile_once)
    flight.trigger()     # runs now, or makes the running pass loop once more

Store listeners run on the committing thread and our own status writes come back as
MODIFIED events, so a pass can be triggered from inside itself; ``SingleFlight`` turns
that into "run again after this pass" instead of recursion, and passes never overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from lab.store_api import Store

Obj = dict[str, Any]


class SingleFlight:
    def __init__(self, work: Callable[[], None]) -> None:
        self._work = work
        self._lock = threading.Lock()
        self._dirty = False
        self._running = False
        self._closed = False

    def trigger(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._dirty = True
            if self._running:
                return
            self._running = True
        try:
            while self._take_dirty():
                self._work()
        finally:
            with self._lock:
                self._running = False

    def _take_dirty(self) -> bool:
        with self._lock:
            dirty, self._dirty = self._dirty and not self._closed, False
            return dirty

    def close(self) -> None:
        with self._lock:
            self._closed = True


def list_versions(store: Store, api_versions: Sequence[str], kind: str) -> list[Obj]:
    """Objects of ``kind`` under any of ``api_versions``, one per (namespace, name).

    A CRD served under several versions lists the same objects under each; a version
    (or a whole kind, e.g. when the CRD is not installed) the store does not know is
    skipped, the way an informer for an absent CRD simply sees nothing.
    """
    seen: dict[tuple[str, str], Obj] = {}
    for api_version in api_versions:
        try:
            objs = store.list(api_version, kind)
        except (LookupError, ValueError):
            continue
        for obj in objs:
            meta = obj.get("metadata") or {}
            seen.setdefault((str(meta.get("namespace") or ""), str(meta.get("name", ""))), obj)
    return list(seen.values())


def kind_of(obj: Obj) -> str:
    return str(obj.get("kind", ""))


class Controller:
    """Reconciles on every change to a ``WATCHED_KINDS`` object; one pass at a time, reruns coalesced.

    Subclasses set ``WATCHED_KINDS``, implement ``_reconcile_once`` and call ``_start(store)`` last
    in their ``__init__`` (it runs the first pass).
    """

    WATCHED_KINDS: frozenset[str] = frozenset()

    def _start(self, store: Store) -> None:
        self._flight = SingleFlight(self._reconcile_once)
        self._unsubscribe = store.subscribe(self._on_event)
        self.reconcile_now()

    def reconcile_now(self) -> None:
        """Run a pass now (or, if one is running on another thread, make it run again)."""
        self._flight.trigger()

    def close(self) -> None:
        self._unsubscribe()
        self._flight.close()

    def _on_event(self, event: str, obj: dict[str, Any]) -> None:
        if kind_of(obj) in self.WATCHED_KINDS:
            self._flight.trigger()

    def _reconcile_once(self) -> None:
        raise NotImplementedError
