"""The run lock against the lab API server: one holder at a time, expiry takeover, release.

def test_x(api): with RunLock(api, "run-a", wait=0, duration=5): ...
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.core.errors import LockHeld
from harness.core.wait import wait_until
from harness.probes.kube import LEASES, NAMESPACES, KubeApi
from lab.kube import KubeApiServer
from provisioning.lock import DEFAULT_NAMESPACE, LEASE_NAME, RunLock


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KubeApiServer]:
    srv = KubeApiServer(tmp_path_factory.mktemp("kube"), bookmark_interval=0.2)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def api(server: KubeApiServer) -> Iterator[KubeApi]:
    client = KubeApi.from_kubeconfig(Path(server.kubeconfig_path), None, timeout=5)
    yield client
    client.delete(LEASES, LEASE_NAME, DEFAULT_NAMESPACE)  # a test that failed half-way leaves none behind
    client.close()


def _lease(api: KubeApi) -> dict[str, object] | None:
    return api.get(LEASES, LEASE_NAME, DEFAULT_NAMESPACE)


def _spec(api: KubeApi) -> dict[str, object]:
    lease = _lease(api)
    assert lease is not None, "the run Lease is missing"
    spec: dict[str, object] = lease["spec"]
    return spec


def _stale_lease(api: KubeApi, holder: str, renewed: dt.datetime, duration: int) -> None:
    stamp = renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    api.create(LEASES, {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                        "metadata": {"name": LEASE_NAME, "namespace": DEFAULT_NAMESPACE},
                        "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration,
                                 "acquireTime": stamp, "renewTime": stamp, "leaseTransitions": 3}})


def test_acquire_creates_namespace_and_lease_release_deletes_it(api: KubeApi) -> None:
    with RunLock(api, "run-a", wait=0, duration=5) as lock:
        spec = _spec(api)
        assert spec["holderIdentity"] == lock.identity and lock.identity.startswith("run-a@")
        assert spec["leaseDurationSeconds"] == 5
        namespace = api.get(NAMESPACES, DEFAULT_NAMESPACE)
        assert namespace is not None
        assert namespace["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "home-ops-conformance"
    assert _lease(api) is None


def test_two_concurrent_runs_only_one_wins(api: KubeApi) -> None:
    barrier, results, lock = threading.Barrier(2), {}, threading.Lock()
    locks = {name: RunLock(api, name, wait=0, duration=5) for name in ("run-a", "run-b")}

    def contend(name: str) -> None:
        barrier.wait()
        try:
            locks[name].acquire()
            outcome = "held"
        except LockHeld as exc:
            outcome = str(exc)
        with lock:
            results[name] = outcome

    threads = [threading.Thread(target=contend, args=(n,)) for n in locks]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    winners = [n for n, r in results.items() if r == "held"]
    assert len(winners) == 1, results
    loser = next(n for n in locks if n not in winners)
    assert f"held by {winners[0]}@" in results[loser]
    locks[winners[0]].release()


def test_waiting_run_gets_the_lock_when_the_holder_releases(api: KubeApi) -> None:
    first = RunLock(api, "run-a", wait=0, duration=5)
    first.acquire()
    released = threading.Timer(0.5, first.release)
    released.start()
    with RunLock(api, "run-b", wait=5, duration=5) as second:
        assert _spec(api)["holderIdentity"] == second.identity
    released.join()


def test_refusal_names_holder_and_since(api: KubeApi) -> None:
    with RunLock(api, "run-a", wait=0, duration=30) as holder, \
            pytest.raises(LockHeld) as info:
        RunLock(api, "run-b", wait=0.3, duration=30).acquire()
    message = str(info.value)
    assert f"Lease {DEFAULT_NAMESPACE}/{LEASE_NAME} at {api.url}" in message
    assert f"held by {holder.identity} since {_year()}" in message and "gave up after waiting 0.3s" in message


def test_expired_lease_of_a_killed_run_is_taken_over(api: KubeApi) -> None:
    _stale_lease(api, "killed-run@nightly", dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10), duration=30)
    with RunLock(api, "run-b", wait=0, duration=5) as lock:
        spec = _spec(api)
        assert spec["holderIdentity"] == lock.identity and spec["leaseTransitions"] == 4


def test_unchanged_lease_expires_by_observation_despite_clock_skew(api: KubeApi) -> None:
    # stamped an hour in the future (a skewed clock), but never renewed: expired after one lease duration
    _stale_lease(api, "skewed-run@laptop", dt.datetime.now(dt.UTC) + dt.timedelta(hours=1), duration=1)
    with RunLock(api, "run-b", wait=4, duration=5) as lock:
        assert _spec(api)["holderIdentity"] == lock.identity


def test_renewals_keep_a_short_lease_alive(api: KubeApi) -> None:
    with RunLock(api, "run-a", wait=0, duration=1) as holder:
        first = _spec(api)["renewTime"]
        wait_until(lambda: None if _spec(api)["renewTime"] != first else "not renewed yet",
                   timeout=3, what="lease renewal")
        with pytest.raises(LockHeld):
            RunLock(api, "run-b", wait=1.5, duration=1).acquire()
        assert holder.lost is None


def test_release_leaves_a_lease_that_is_no_longer_ours(api: KubeApi) -> None:
    lock = RunLock(api, "run-a", wait=0, duration=0.9)
    lock.acquire()
    lease = _lease(api)
    assert lease is not None
    lease["spec"]["holderIdentity"] = "usurper@elsewhere"
    api.request("PUT", LEASES.path(DEFAULT_NAMESPACE, LEASE_NAME), body=lease)
    wait_until(lambda: None if lock.lost else "renewer has not noticed yet", timeout=3, what="lost lease")
    lock.release()
    assert _spec(api)["holderIdentity"] == "usurper@elsewhere"
    assert lock.lost is not None and "usurper@elsewhere" in lock.lost


def _year() -> str:
    return str(dt.datetime.now(dt.UTC).year)
