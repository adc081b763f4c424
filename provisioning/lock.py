"""One run at a time per cluster: a coordination.k8s.io/v1 Lease held for the whole run.

    with RunLock(api, run_id, wait=60, duration=30) as lock:   # LockHeld names the holder if busy
        lock.ensure_held()                                     # LockLost once another run took it over

Semantics follow client-go's leader election (k8s.io/client-go/tools/leaderelection/
leaderelection.go, resourcelock/leaselock.go): the Lease is taken when absent, released
(empty holder) or expired, with optimistic concurrency on ``metadata.resourceVersion`` (a 409
means another run won; read again). Expired means ``renewTime + leaseDurationSeconds`` is past
by the holder's stamp, or the object has not changed for a full lease duration as *we* observed
it (client-go's skew-proof rule). On exit the Lease is deleted only while it is still ours
(a delete precondition on its resourceVersion).

The Lease is renewed every duration/3 in the background. It is *lost* when another holder
shows in it, when it is deleted, or when renewing has failed for a whole lease duration (others
may take it by then, as client-go's ``RenewDeadline`` assumes); from then on
:meth:`RunLock.ensure_held` raises :class:`LockLost`, which mutating steps and every guarded
wait of a mutating scenario check, so nothing more is created on a cluster another run holds.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from dataclasses import dataclass
from types import TracebackType

from harness.core.errors import KubeApiError, LockHeld, LockLost, ProvisioningError, WaitTimeout
from harness.core.wait import wait_until
from harness.probes.kube import LEASES, NAMESPACES, KubeApi, Obj
from provisioning import manifests

LEASE_NAME = "home-ops-conformance-run"
DEFAULT_NAMESPACE = "home-ops-conformance"


@dataclass(frozen=True)
class LeaseState:
    """The parts of a Lease the lock reads (parsed at the edge)."""

    holder: str
    duration: float
    acquired: str
    renewed: dt.datetime | None
    resource_version: str

    @classmethod
    def parse(cls, obj: Obj) -> LeaseState:
        spec = obj.get("spec") or {}
        return cls(holder=str(spec.get("holderIdentity") or ""),
                   duration=float(spec.get("leaseDurationSeconds") or 0),
                   acquired=str(spec.get("acquireTime") or "unknown time"),
                   renewed=_parse_time(spec.get("renewTime")),
                   resource_version=str(obj["metadata"].get("resourceVersion", "")))

    def is_stamped_expired(self, now: dt.datetime) -> bool:
        return self.renewed is None or self.renewed + dt.timedelta(seconds=self.duration) < now

    def describe(self) -> str:
        renewed = self.renewed.isoformat(timespec="seconds") if self.renewed else "never"
        return (f"held by {self.holder} since {self.acquired} "
                f"(last renewed {renewed}, lease {self.duration:g}s)")


class RunLock:
    """Context manager holding the run Lease; ``lost`` says why if another run took it over."""

    def __init__(self, api: KubeApi, run_id: str, namespace: str = DEFAULT_NAMESPACE, *,
                 wait: float, duration: float) -> None:
        self.api, self.namespace, self.wait, self.duration = api, namespace, wait, duration
        self.identity = f"{run_id}@{socket.gethostname()}"
        self.lost: str | None = None
        self._last_renewed = 0.0                        # monotonic time of the last successful write
        self._seen: tuple[str, float] = ("", 0.0)   # (resourceVersion, monotonic time first seen)
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

    # -- acquire -------------------------------------------------------------------------------
    def acquire(self) -> None:
        self._ensure_namespace()
        where = f"Lease {self.namespace}/{LEASE_NAME} at {self.api.url}"
        try:
            wait_until(self._try_acquire, timeout=self.wait, what=f"run lock {where}",
                       interval=0.1, max_interval=min(1.0, max(0.1, self.duration / 4)))
        except WaitTimeout as exc:
            if isinstance(exc.__cause__, KubeApiError):   # e.g. 403: not allowed to write Leases
                raise ProvisioningError(f"taking the run lock {where} failed: {exc.__cause__}") from exc.__cause__
            raise LockHeld(f"another conformance run holds the cluster: {where} {self._holder_text()}; "
                           f"gave up after waiting {self.wait:g}s") from None  # one line: the holder says it all
        self._stop.clear()
        self.lost = None
        self._last_renewed = time.monotonic()
        self._renewer = threading.Thread(target=self._renew_loop, name=f"lease {LEASE_NAME}", daemon=True)
        self._renewer.start()

    def _ensure_namespace(self) -> None:
        try:
            self.api.create(NAMESPACES, manifests.namespace(self.namespace))
        except KubeApiError as exc:
            if exc.status != 409:
                raise ProvisioningError(f"creating namespace {self.namespace} for the run lock at "
                                        f"{self.api.url} failed: {exc}") from exc

    def _try_acquire(self) -> str | None:
        """None once the Lease is ours, else what stands in the way (for wait_until)."""
        current = self.api.get(LEASES, LEASE_NAME, self.namespace)
        if current is None:
            return self._write("POST", self._lease(None, transitions=0))
        state = LeaseState.parse(current)
        if state.holder and state.holder != self.identity and not self._is_expired(state):
            return state.describe()
        transitions = int((current.get("spec") or {}).get("leaseTransitions") or 0)
        return self._write("PUT", self._lease(state.resource_version, transitions + (state.holder != self.identity)))

    def _is_expired(self, state: LeaseState) -> bool:
        now = time.monotonic()
        if self._seen[0] != state.resource_version:
            self._seen = (state.resource_version, now)
        unchanged_for = now - self._seen[1]
        return state.is_stamped_expired(_now()) or unchanged_for > state.duration

    def _write(self, method: str, body: Obj) -> str | None:
        path = LEASES.path(self.namespace, None if method == "POST" else LEASE_NAME)
        try:
            self.api.request(method, path, body=body)
        except KubeApiError as exc:
            if exc.status == 409:
                return "another run changed the Lease at the same moment; reading it again"
            raise
        return None

    def _lease(self, resource_version: str | None, transitions: int) -> Obj:
        stamp = _micro_time(_now())
        meta: Obj = {"name": LEASE_NAME, "namespace": self.namespace, "labels": dict(manifests.MANAGED_BY)}
        if resource_version:
            meta["resourceVersion"] = resource_version
        return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta,
                "spec": {"holderIdentity": self.identity, "leaseDurationSeconds": max(1, round(self.duration)),
                         "acquireTime": stamp, "renewTime": stamp, "leaseTransitions": transitions}}

    def _holder_text(self) -> str:
        current = self.api.get(LEASES, LEASE_NAME, self.namespace)
        return LeaseState.parse(current).describe() if current else "(released just now)"

    # -- renew ---------------------------------------------------------------------------------
    def ensure_held(self) -> None:
        """Raise :class:`LockLost` ("run lock lost to <holder> at <time>") once the Lease is not ours."""
        __tracebackhide__ = True
        if self.lost is not None:
            raise LockLost(f"run lock lost to {self.lost}; this run stops changing "
                           f"the cluster (Lease {self.namespace}/{LEASE_NAME} at {self.api.url})")

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.duration / 3):
            try:
                self._renew_once()
            except KubeApiError as exc:
                # transient while the lease is still valid; past its duration others may have taken it
                if time.monotonic() - self._last_renewed > self.duration:
                    self._lose(f"nobody (renewing failed for over {self.duration:g}s: {exc})")
            if self.lost is not None:
                return

    def _renew_once(self) -> None:
        current = self.api.get(LEASES, LEASE_NAME, self.namespace)
        if current is None:
            self._lose("nobody (the Lease was deleted)")
            return
        state = LeaseState.parse(current)
        if state.holder != self.identity:
            self._lose(state.holder or "nobody (the Lease was released)")
            return
        spec = dict(current["spec"], renewTime=_micro_time(_now()))
        self.api.request("PUT", LEASES.path(self.namespace, LEASE_NAME), body={**current, "spec": spec})
        self._last_renewed = time.monotonic()

    def _lose(self, holder: str) -> None:
        self.lost = f"{holder} at {_now().isoformat(timespec='seconds')}"

    # -- release -------------------------------------------------------------------------------
    def release(self) -> None:
        """Stop renewing, then delete the Lease if (and only if) it is still ours."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=max(5.0, self.duration))
            self._renewer = None
        current = self.api.get(LEASES, LEASE_NAME, self.namespace)
        if current is None or LeaseState.parse(current).holder != self.identity:
            return
        options = {"kind": "DeleteOptions", "apiVersion": "v1",
                   "preconditions": {"resourceVersion": current["metadata"]["resourceVersion"]}}
        try:
            self.api.request("DELETE", LEASES.path(self.namespace, LEASE_NAME), body=options)
        except KubeApiError as exc:
            if exc.status not in (404, 409):  # gone already, or changed hands in between: not ours to delete
                raise


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _micro_time(moment: dt.datetime) -> str:
    """metav1.MicroTime: RFC 3339 with microseconds, UTC."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_time(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
