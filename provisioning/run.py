"""One test run's footprint on a cluster: everything it creates is labelled and removed.

    with RunContext.new(api, timeouts) as run:
        ns = run.scratch_namespace()
        with run.lb_service(ns, "lb-probe", labels={"io.cilium/lb-ipam-pool": "bgp-default"}, families=("ipv4",)):
            ...                                   # the Service is deleted (and awaited) on exit

Teardown is registered *before* each create, so an interrupt between the request and the
response still removes the object. Objects are deleted in reverse order and deletion is
awaited with the cleanup budget. ``python -m harness sweep`` removes what a SIGKILL left.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field

from harness.core.errors import KubeApiError, ProvisioningError
from harness.core.netaddr import Family
from harness.core.wait import wait_until
from harness.model.profile import Timeouts
from harness.probes.kube import NAMESPACES, SERVICES, KubeApi, Obj, Resource
from provisioning import manifests

RUN_LABEL = "conformance.home-ops/run-id"


@dataclass
class RunContext:
    api: KubeApi
    timeouts: Timeouts
    run_id: str
    guard: Callable[[], None] | None = None      # raises when this run may no longer change the cluster
    _created: list[tuple[Resource, str | None, str]] = field(default_factory=list)
    _namespace: str | None = None

    @classmethod
    def new(cls, api: KubeApi, timeouts: Timeouts, run_id: str | None = None,
            guard: Callable[[], None] | None = None) -> RunContext:
        return cls(api, timeouts, run_id or f"{time.strftime('%m%d%H%M')}-{secrets.token_hex(3)}", guard)

    @property
    def labels(self) -> dict[str, str]:
        return {RUN_LABEL: self.run_id}

    def __enter__(self) -> RunContext:
        return self

    def __exit__(self, *exc: object) -> None:
        self.teardown()

    # -- creation ------------------------------------------------------------------------------
    def _create(self, res: Resource, obj: Obj) -> Obj:
        if self.guard is not None:
            self.guard()
        meta = obj["metadata"]
        meta.setdefault("labels", {}).update(self.labels)
        self._created.append((res, meta.get("namespace"), meta["name"]))
        try:
            return self.api.create(res, obj)
        except KubeApiError as exc:
            raise ProvisioningError(f"creating {obj['kind']} {meta.get('namespace', '')}/{meta['name']} "
                                    f"at {self.api.url} failed: {exc}") from exc

    def scratch_namespace(self) -> str:
        """The run's own namespace (created once, removed at teardown with everything in it)."""
        if self._namespace is None:
            name = f"conformance-{self.run_id}"
            self._create(NAMESPACES, manifests.namespace(name))
            self._namespace = name
        return self._namespace

    @contextmanager
    def service(self, obj: Obj) -> Iterator[Obj]:
        """A Service for the duration of the block (deleted, and the deletion awaited, on exit)."""
        meta = obj["metadata"]
        created = self._create(SERVICES, obj)
        try:
            yield created
        finally:
            self._remove(SERVICES, meta["namespace"], meta["name"])

    def lb_service(self, namespace: str, name: str, *, labels: dict[str, str], families: tuple[Family, ...],
                   requested: tuple[str, ...] = ()) -> AbstractContextManager[Obj]:
        return self.service(manifests.lb_service(namespace, name, labels=labels, families=families,
                                                 requested=requested))

    # -- removal -------------------------------------------------------------------------------
    def remove_service(self, namespace: str, name: str) -> None:
        """Delete a Service this run created, before its scenario ends, and await it."""
        self._remove(SERVICES, namespace, name)

    def _remove(self, res: Resource, namespace: str | None, name: str) -> None:
        entry = (res, namespace, name)
        if entry in self._created:
            self._created.remove(entry)
        self.api.delete(res, name, namespace)

        def gone() -> str | None:
            return None if self.api.get(res, name, namespace) is None else f"{res.kind} {name} still present"

        wait_until(gone, timeout=self.timeouts.cleanup, what=f"removal of {res.kind} {namespace or ''}/{name}",
                   guarded=False)  # teardown finishes even when the run lock was lost

    def teardown(self) -> None:
        """Delete everything still recorded, newest first; report all failures together."""
        problems = []
        while self._created:
            res, namespace, name = self._created[-1]
            try:
                self._remove(res, namespace, name)
            except Exception as exc:  # _remove unrecorded it already; keep removing the rest
                problems.append(f"{res.kind} {namespace or ''}/{name}: {exc}")
        self._namespace = None
        if problems:
            raise ProvisioningError("teardown left objects behind (run `python -m harness sweep`): "
                                    + "; ".join(problems))
