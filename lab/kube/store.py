"""In-memory object storage with one global resourceVersion counter and a bounded event history.

    with store.lock:
        store.commit("", "services", "MODIFIED", new_obj, prev=old_obj)
    store.flush()     # run subscribe() listeners outside the lock, in commit order

Stored objects are never mutated after commit (writers build new dicts), so history events
and watch queues can share them. ``compact()`` drops history, making older resourceVersions
answer 410 Expired like etcd compaction does.
"""

from __future__ import annotations

import collections
import copy
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]
Listener = Callable[[str, Obj], None]
GP = tuple[str, str]  # (group, plural)


@dataclass(frozen=True)
class Event:
    rv: int
    type: str  # ADDED | MODIFIED | DELETED
    gp: GP
    obj: Obj
    prev: Obj | None


class Watcher:
    """A live watch: events for one resource (optionally one namespace) arrive on ``events``."""

    def __init__(self, gp: GP, namespace: str | None) -> None:
        self.gp, self.namespace = gp, namespace
        self.events: queue.Queue[Event | None] = queue.Queue()

    def wants(self, event: Event) -> bool:
        ns = event.obj.get("metadata", {}).get("namespace")
        return event.gp == self.gp and (self.namespace is None or ns == self.namespace)

    def close(self) -> None:
        self.events.put(None)


class ObjectStore:
    def __init__(self, history: int = 4096) -> None:
        self.lock = threading.RLock()
        self._rv = 1
        self._objects: dict[GP, dict[tuple[str, str], Obj]] = {}
        self._history: collections.deque[Event] = collections.deque()
        self._history_max = history
        self._compacted = 0  # every rv <= this is gone from history
        self._watchers: list[Watcher] = []
        self._listeners: list[Listener] = []
        self._pending: collections.deque[Event] = collections.deque()
        self._notify = threading.RLock()
        self._local = threading.local()

    @property
    def resource_version(self) -> int:
        return self._rv

    def next_rv(self) -> int:
        with self.lock:
            self._rv += 1
            return self._rv

    def get(self, gp: GP, namespace: str | None, name: str) -> Obj | None:
        with self.lock:
            return self._objects.get(gp, {}).get((namespace or "", name))

    def items(self, gp: GP, namespace: str | None = None) -> list[Obj]:
        with self.lock:
            objs = self._objects.get(gp, {})
            keys = sorted(k for k in objs if namespace is None or k[0] == namespace)
            return [objs[k] for k in keys]

    def commit(self, gp: GP, type_: str, obj: Obj, prev: Obj | None) -> Event:
        """Store (or remove, for DELETED) ``obj`` at a fresh resourceVersion."""
        with self.lock:
            rv = self.next_rv()
            obj["metadata"]["resourceVersion"] = str(rv)
            meta = obj["metadata"]
            key = (meta.get("namespace") or "", meta["name"])
            if type_ == "DELETED":
                self._objects.get(gp, {}).pop(key, None)
            else:
                self._objects.setdefault(gp, {})[key] = obj
            event = Event(rv, type_, gp, obj, prev)
            self._record(event)
            return event

    def _record(self, event: Event) -> None:
        self._history.append(event)
        while len(self._history) > self._history_max:
            self._compacted = self._history.popleft().rv
        for w in self._watchers:
            if w.wants(event):
                w.events.put(event)
        self._pending.append(event)

    def drop_resource(self, gp: GP) -> None:
        with self.lock:
            self._objects.pop(gp, None)

    def compact(self) -> None:
        """Forget all history: watches resuming from any older resourceVersion get 410."""
        with self.lock:
            self._history.clear()
            self._compacted = self._rv

    def watch(self, gp: GP, namespace: str | None, since: int | None) -> tuple[Watcher, list[Event]] | None:
        """Register a watcher; replay events after ``since``. None when ``since`` is compacted."""
        with self.lock:
            if since is not None and since < self._compacted:
                return None
            watcher = Watcher(gp, namespace)
            replay = [e for e in self._history if since is not None and e.rv > since and watcher.wants(e)]
            self._watchers.append(watcher)
            return watcher, replay

    def unwatch(self, watcher: Watcher) -> None:
        with self.lock:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

    def close_watchers(self) -> None:
        with self.lock:
            for w in self._watchers:
                w.close()
            self._watchers.clear()

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._notify:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._notify:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def flush(self) -> None:
        """Deliver pending events to listeners in commit order; re-entrant writes queue up."""
        if getattr(self._local, "flushing", False):
            return
        with self._notify:
            self._local.flushing = True
            try:
                while True:
                    with self.lock:
                        if not self._pending:
                            return
                        event = self._pending.popleft()
                    for listener in list(self._listeners):
                        listener(event.type, copy.deepcopy(event.obj))
            finally:
                self._local.flushing = False
