"""Remove what earlier runs left behind, found by the run label (e.g. after a SIGKILL).

    removed = sweep(api, timeouts)              # ["Namespace conformance-1127-ab12cd", ...]
    removed = sweep(api, timeouts, run_id="1127-ab12cd", dry_run=True)
"""

from __future__ import annotations

from collections.abc import Callable

from harness.core.wait import wait_until
from harness.model.profile import Timeouts
from harness.probes.kube import LEASES, NAMESPACES, SERVICES, KubeApi, Resource
from provisioning.lock import DEFAULT_NAMESPACE, LEASE_NAME
from provisioning.run import RUN_LABEL

SWEPT_KINDS: tuple[Resource, ...] = (SERVICES, NAMESPACES)   # namespaced kinds first, namespaces last


def sweep(api: KubeApi, timeouts: Timeouts, *, run_id: str | None = None, keep_run: str | None = None,
          dry_run: bool = False) -> list[str]:
    selector = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    found: list[tuple[Resource, str | None, str]] = []
    runs: set[str] = set()
    for res in SWEPT_KINDS:
        for obj in api.list(res, label_selector=selector):
            meta = obj["metadata"]
            owner = meta.get("labels", {}).get(RUN_LABEL, "")
            if keep_run and owner == keep_run:
                continue
            runs.add(owner)
            found.append((res, meta.get("namespace"), meta["name"]))
    found += _stale_lock(api, runs)
    names = [f"{res.kind} {ns + '/' if ns else ''}{name}" for res, ns, name in found]
    if dry_run:
        return names
    for res, ns, name in found:
        api.delete(res, name, ns)
    for res, ns, name in found:
        wait_until(_gone(api, res, ns, name), timeout=timeouts.cleanup, what=f"sweep of {res.kind} {name}")
    return names


def _stale_lock(api: KubeApi, runs: set[str]) -> list[tuple[Resource, str | None, str]]:
    """The run lock, when a run whose leftovers are swept still holds it (it was killed)."""
    lease = api.get(LEASES, LEASE_NAME, DEFAULT_NAMESPACE)
    holder = str(((lease or {}).get("spec") or {}).get("holderIdentity") or "")
    return [(LEASES, DEFAULT_NAMESPACE, LEASE_NAME)] if holder.split("@")[0] in runs else []


def _gone(api: KubeApi, res: Resource, namespace: str | None, name: str) -> Callable[[], str | None]:
    return lambda: None if api.get(res, name, namespace) is None else f"{res.kind} {name} still present"
