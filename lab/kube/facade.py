"""``lab.store_api.Store`` for in-process lab controllers, on top of the API verbs.

    store.update_status("v1", "Service", "default", "web", {"loadBalancer": {"ingress": [{"ip": "10.0.0.1"}]}})
    store.compact()    # forget watch history: resuming old watches now gets 410 Expired

Writes go through the same code as HTTP writes: resourceVersion bumps, watchers see them.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from .api import Api, WriteOptions, as_version
from .resources import ResourceType
from .store import Listener

Obj = dict[str, Any]
MANAGER = "lab-controller"


class LabStore:
    def __init__(self, api: Api) -> None:
        self._api = api

    def _type(self, api_version: str, kind: str) -> ResourceType:
        rt = self._api.registry.by_kind(api_version, kind)
        if rt is None:
            raise KeyError(f"kind {kind} in {api_version} is not served by the lab API server")
        return rt

    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[Obj]:
        rt = self._type(api_version, kind)
        version = api_version.rpartition("/")[2]
        return [as_version(rt, o, version) for o in self._api.store.items((rt.group, rt.plural), namespace)]

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        rt = self._type(api_version, kind)
        obj = self._api.store.get((rt.group, rt.plural), namespace if rt.namespaced else None, name)
        return None if obj is None else as_version(rt, obj, api_version.rpartition("/")[2])

    def update_status(self, api_version: str, kind: str, namespace: str | None, name: str, status: Obj) -> Obj:
        rt = self._type(api_version, kind)
        version = api_version.rpartition("/")[2]
        ns = namespace if rt.namespaced else None
        sub = "status" if rt.has_status else ""

        def with_status(current: Obj) -> Obj:
            out = copy.deepcopy(current)
            out["status"] = copy.deepcopy(status)
            return out

        return self._api.patch(rt, version, ns, name, with_status, WriteOptions(manager=MANAGER, subresource=sub))

    def create(self, obj: Obj) -> Obj:
        """Create an object as a controller would (e.g. an Event or a Lease)."""
        rt = self._type(obj["apiVersion"], obj["kind"])
        ns = obj.get("metadata", {}).get("namespace") if rt.namespaced else None
        return self._api.create(rt, obj["apiVersion"].rpartition("/")[2], ns, obj, WriteOptions(manager=MANAGER))

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj:
        rt = self._type(api_version, kind)
        ns = namespace if rt.namespaced else None
        return self._api.delete(rt, api_version.rpartition("/")[2], ns, name, WriteOptions(manager=MANAGER))

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self._api.store.subscribe(listener)

    def compact(self) -> None:
        self._api.store.compact()

    @property
    def resource_version(self) -> int:
        return self._api.store.resource_version
