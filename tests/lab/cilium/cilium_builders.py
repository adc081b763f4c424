"""Builders for the API objects the Cilium lab tests feed in, plus an in-memory Store.

store = FakeStore(); store.apply(pool("blue", {"cidr": "10.0.0.0/30"}))
store.apply(svc("web", labels={"app": "web"}))
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Obj = dict[str, Any]
T0 = "2024-01-01T00:00:00Z"


def pool(
    name: str,
    *blocks: Obj,
    selector: Obj | None = None,
    created: str = T0,
    disabled: bool = False,
    allow_first_last: str | None = None,
    status: Obj | None = None,
    api: str = "cilium.io/v2alpha1",
    field: str = "blocks",
) -> Obj:
    spec: Obj = {field: list(blocks)}
    if selector is not None:
        spec["serviceSelector"] = selector
    if disabled:
        spec["disabled"] = True
    if allow_first_last is not None:
        spec["allowFirstLastIPs"] = allow_first_last
    obj: Obj = {
        "apiVersion": api,
        "kind": "CiliumLoadBalancerIPPool",
        "metadata": {"name": name, "creationTimestamp": created, "generation": 1},
        "spec": spec,
    }
    if status is not None:
        obj["status"] = status
    return obj


def svc(
    name: str,
    ns: str = "default",
    *,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
    created: str = T0,
    ingress: list[str] | None = None,
    conditions: list[Obj] | None = None,
    **spec: Any,
) -> Obj:
    spec.setdefault("type", "LoadBalancer")
    spec.setdefault("ports", [{"port": 80}])
    meta: Obj = {"name": name, "namespace": ns, "creationTimestamp": created, "generation": 1}
    if labels:
        meta["labels"] = labels
    if annotations:
        meta["annotations"] = annotations
    status: Obj = {"loadBalancer": {"ingress": [{"ip": ip} for ip in ingress]} if ingress else {}}
    if conditions:
        status["conditions"] = conditions
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec, "status": status}


def node(name: str, labels: dict[str, str] | None = None, pod_cidrs: tuple[str, ...] = ()) -> Obj:
    base = {"kubernetes.io/os": "linux", "kubernetes.io/hostname": name}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {**base, **(labels or {})}},
        "spec": {"podCIDRs": list(pod_cidrs)},
    }


def ingress_ips(obj: Obj) -> list[str]:
    return [i["ip"] for i in (obj.get("status") or {}).get("loadBalancer", {}).get("ingress", [])]


class FakeStore:
    """lab.store_api.Store in memory: one object per (kind, namespace, name) whatever the
    version asked for, listeners called after each commit, re-entrant writes queued."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str, str], Obj] = {}
        self.listeners: list[Callable[[str, Obj], None]] = []
        self.status_writes: list[tuple[str, str | None, str]] = []
        self._pending: list[tuple[str, Obj]] = []
        self._flushing = False
        self._rv = 1

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[Obj]:
        return [
            copy.deepcopy(o) for (k, ns, _), o in sorted(self.objects.items()) if k == kind and namespace in (None, ns)
        ]

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        obj = self.objects.get((kind, namespace or "", name))
        return copy.deepcopy(obj) if obj else None

    def update_status(self, api_version: str, kind: str, namespace: str | None, name: str, status: Obj) -> Obj:
        obj = copy.deepcopy(self.objects[(kind, namespace or "", name)])
        obj["status"] = copy.deepcopy(status)
        self.status_writes.append((kind, namespace, name))
        return self._commit("MODIFIED", obj)

    def subscribe(self, listener: Callable[[str, Obj], None]) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def apply(self, obj: Obj) -> Obj:
        key = _key(obj)
        event = "MODIFIED" if key in self.objects else "ADDED"
        if event == "MODIFIED":  # like the API server, a main-resource write keeps .status
            obj = {**obj, "status": self.objects[key].get("status", {})}
        return self._commit(event, copy.deepcopy(obj))

    def delete(self, kind: str, namespace: str | None, name: str) -> None:
        obj = self.objects.pop((kind, namespace or "", name))
        self._pending.append(("DELETED", obj))
        self._flush()

    def _commit(self, event: str, obj: Obj) -> Obj:
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        self.objects[_key(obj)] = obj
        self._pending.append((event, obj))
        self._flush()
        return copy.deepcopy(obj)

    def _flush(self) -> None:
        if self._flushing:
            return
        self._flushing = True
        try:
            while self._pending:
                event, obj = self._pending.pop(0)
                for listener in list(self.listeners):
                    listener(event, copy.deepcopy(obj))
        finally:
            self._flushing = False


def _key(obj: Obj) -> tuple[str, str, str]:
    meta = obj["metadata"]
    return (obj["kind"], meta.get("namespace") or "", meta["name"])
