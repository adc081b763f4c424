"""A read view of one cluster with a snapshot cache: each kind is listed once per phase.

    cluster = Cluster(api, timeouts)
    cluster.lb_pools()            # one LIST, then served from the snapshot
    cluster.invalidate()          # after anything changed the cluster (provisioning does this)

Reads for waiting (``service(..., fresh=True)``) bypass the snapshot: they are single GETs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from harness.core.errors import CheckFailed
from harness.model.objects import IngressObject, LbPoolObject, NodeObject, Service
from harness.model.profile import Timeouts
from harness.probes.kube import DAEMONSETS, INGRESSES, NODES, PODS, SERVICES, KubeApi, Obj, Resource

T = TypeVar("T")
CILIUM_GROUP = "cilium.io"


class Cluster:
    def __init__(self, api: KubeApi, timeouts: Timeouts) -> None:
        self.api = api
        self.timeouts = timeouts
        self._lists: dict[Resource, list[Obj]] = {}
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return self.api.url

    def invalidate(self) -> None:
        with self._lock:
            self._lists.clear()

    def _list(self, res: Resource) -> list[Obj]:
        with self._lock:
            cached = self._lists.get(res)
        if cached is None:
            cached = self.api.list(res)
            with self._lock:
                self._lists[res] = cached
        return cached

    def _parse_all(self, res: Resource, parse: Callable[[Obj], T]) -> tuple[T, ...]:
        out = []
        for obj in self._list(res):
            try:
                out.append(parse(obj))
            except ValueError as exc:
                raise CheckFailed(f"unreadable {res.kind} from {self.url}: {exc}") from exc
        return tuple(out)

    def pool_resource(self) -> Resource:
        return self.api.resource_for(CILIUM_GROUP, "CiliumLoadBalancerIPPool")

    # -- kinds ---------------------------------------------------------------------------------
    def lb_pools(self) -> tuple[LbPoolObject, ...]:
        return self._parse_all(self.pool_resource(), LbPoolObject.parse)

    def services(self) -> tuple[Service, ...]:
        return self._parse_all(SERVICES, Service.parse)

    def nodes(self) -> tuple[NodeObject, ...]:
        return self._parse_all(NODES, NodeObject.parse)

    def ingresses(self) -> tuple[IngressObject, ...]:
        return self._parse_all(INGRESSES, IngressObject.parse)

    def workload_names(self, namespace: str, label_selector: str) -> tuple[str, ...]:
        """DaemonSets and Pods in ``namespace`` matching a label selector (e.g. k8s-app=kube-proxy)."""
        found = [f"DaemonSet {o['metadata']['name']}" for o in self.api.list(DAEMONSETS, namespace,
                                                                            label_selector=label_selector)]
        found += [f"Pod {o['metadata']['name']}" for o in self.api.list(PODS, namespace,
                                                                        label_selector=label_selector)]
        return tuple(found)

    def cilium_object_names(self, kind: str) -> tuple[str, ...]:
        """Names of the ``cilium.io`` objects of ``kind`` the server serves (none when it serves no such kind)."""
        if not self.api.served_versions(CILIUM_GROUP, kind):
            return ()
        return tuple(sorted(str(o["metadata"]["name"]) for o in self.api.list(self.api.resource_for(CILIUM_GROUP,
                                                                                                       kind))))

    def service(self, namespace: str, name: str, *, fresh: bool = False) -> Service | None:
        if not fresh:
            return next((s for s in self.services() if s.namespace == namespace and s.name == name), None)
        obj = self.api.get(SERVICES, name, namespace)
        return Service.parse(obj) if obj is not None else None
