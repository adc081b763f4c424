"""Plumbing shared by the lab's Cilium controllers: single-flight reruns and tolerant listing.

    flight = SingleFlight(self._reconcile_once)
    flight.trigger()     # runs now, or makes the running pass loop once more

    flight = SingleFlight(self._reconcile_once, background=True)
    flight.trigger()     # returns at once; a worker thread runs the pass, as a real controller does
    flight.wait_idle(5)  # every change triggered so far has been taken into account

Store listeners run on the committing thread and our own status writes come back as
MODIFIED events, so a pass can be triggered from inside itself; ``SingleFlight`` turns
that into "run again after this pass" instead of recursion, and passes never overlap.
A synchronous flight runs the pass on the writer's thread: the API answers a write only after
every controller has reacted (simple for unit tests, slow for a lab: a BGP pass talks to three
speakers). A background flight answers at once and reacts on its own thread, so a client sees
what it sees on a real cluster: the object first, its status and routes a moment later.
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from lab.store_api import Store

Obj = dict[str, Any]


class SingleFlight:
    def __init__(self, work: Callable[[], None], *, background: bool = False, name: str = "controller") -> None:
        self._work = work
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._dirty = False
        self._running = False
        self._closed = False
        self.last_error: str | None = None
        self._thread: threading.Thread | None = None
        self.background = background
        if background:
            self._thread = threading.Thread(target=self._loop, name=name, daemon=True)
            self._thread.start()

    def trigger(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._dirty = True
            if self._thread is not None:
                self._changed.notify_all()
                return
            if self._running:
                return
            self._running = True
        try:
            while self._take_dirty():
                self._work()
        finally:
            with self._lock:
                self._running = False
                self._changed.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        """True once no pass is running or pending (False when ``timeout`` passed first)."""
        with self._lock:
            return self._changed.wait_for(lambda: self._closed or not (self._dirty or self._running), timeout)

    def _loop(self) -> None:
        while True:
            with self._lock:
                self._changed.wait_for(lambda: self._dirty or self._closed)
                if self._closed:
                    return
                self._dirty, self._running = False, True
            try:
                self._work()
                self.last_error = None
            except Exception:  # a controller requeues and logs; it never dies of one bad pass
                self.last_error = traceback.format_exc(limit=3)
                print(f"{threading.current_thread().name}: pass failed:\n{self.last_error}", file=sys.stderr,
                      flush=True)
            finally:
                with self._lock:
                    self._running = False
                    self._changed.notify_all()

    def _take_dirty(self) -> bool:
        with self._lock:
            dirty, self._dirty = self._dirty and not self._closed, False
            return dirty

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._changed.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


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

    def _start(self, store: Store, *, background: bool = False) -> None:
        self._flight = SingleFlight(self._reconcile_once, background=background, name=type(self).__name__)
        self._unsubscribe = store.subscribe(self._on_event)
        self.reconcile_now()

    def reconcile_now(self, timeout: float = 10.0) -> None:
        """Run a pass now (or, if one is running on another thread, make it run again); in the
        background mode, return once it and every pass triggered before it have run."""
        self._flight.trigger()
        if self._flight.background and not self._flight.wait_idle(timeout):
            raise TimeoutError(f"{type(self).__name__}: a pass did not finish within {timeout:g}s")

    def close(self) -> None:
        self._unsubscribe()
        self._flight.close()

    def _on_event(self, event: str, obj: dict[str, Any]) -> None:
        if kind_of(obj) in self.WATCHED_KINDS:
            self._flight.trigger()

    def _reconcile_once(self) -> None:
        raise NotImplementedError
