"""Ctrl-C and SIGTERM tear a run down completely; after SIGKILL, `python -m harness sweep` does.

    pytest features/lb_pools.feature --lab-dir D -k pending     # holds its service for pending_hold
    kill -INT <pid>   ->   nothing labelled conformance.home-ops/run-id remains, the run Lease is gone

The "stays pending" scenario is waiver-free and holds its scratch namespace and service for the
profile's ``pending_hold``; a profile copy makes that hold long enough to interrupt inside it.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.e2e.e2e_lab import BackgroundRun, E2ELab

pytestmark = pytest.mark.lab

HOLD = 60


def _pending_run(lab: E2ELab, tmp_path: Path, run_id: str) -> BackgroundRun:
    """Start the "stays pending" scenario; return once its namespace and service exist and it holds the lock."""
    profile = lab.profile_copy(tmp_path / "long-hold.yaml", pending_hold=HOLD)
    run = lab.spawn_pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir), "--profile", str(profile),
                           "-k", "pending", "-q", env={"HOME_OPS_RUN_ID": run_id}, output=tmp_path / "run.log")
    try:
        seen = lab.wait_for_leftover("Service", run)
    except BaseException:
        run.__exit__(None, None, None)
        raise
    assert seen == [f"Namespace conformance-{run_id}", f"Service conformance-{run_id}/lb-probe-absent"], seen
    assert (lab.lease_holder() or "").startswith(f"{run_id}@"), f"Lease holder {lab.lease_holder()!r}"
    return run


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_interrupt_removes_everything_and_releases_the_lease(lab: E2ELab, tmp_path: Path,
                                                             signum: signal.Signals) -> None:
    with _pending_run(lab, tmp_path, f"e2e-{signum.name.lower()}") as run:
        code = run.signal_and_wait(signum, timeout=HOLD / 2)   # well before the hold would end by itself
    assert code == 2, f"pytest exit {code} after {signum.name}, expected 2 (interrupted)\n{run.output()}"
    assert "KeyboardInterrupt" in run.output(), run.output()
    assert lab.leftovers() == [], f"after {signum.name}: {lab.leftovers()}\n{run.output()}"
    assert lab.lease_holder() is None, f"Lease still held by {lab.lease_holder()} after {signum.name}"


def test_sigkill_leaves_objects_that_sweep_removes(lab: E2ELab, tmp_path: Path) -> None:
    run_id = "e2e-sigkill"
    with _pending_run(lab, tmp_path, run_id) as run:
        assert run.signal_and_wait(signal.SIGKILL) == -signal.SIGKILL
    left = [f"Namespace conformance-{run_id}", f"Service conformance-{run_id}/lb-probe-absent"]
    assert lab.leftovers() == left
    lease = "Lease home-ops-conformance/home-ops-conformance-run"   # the killed run still holds the lock
    assert lab.lease_holder() is not None and lab.lease_holder().startswith(f"{run_id}@")  # type: ignore[union-attr]
    listed = [f"  {o}" for o in [*reversed(left), lease]]   # services first, namespaces, then the lock

    mark = lab.audit_mark()
    dry = lab.harness("sweep", "--lab-dir", str(lab.lab_dir), "--dry-run")
    assert (dry.returncode, dry.stdout.splitlines()) == (0, ["would remove 3 object(s)", *listed]), dry.stderr
    assert lab.leftovers() == left and lab.mutations_since(mark) == []

    swept = lab.harness("sweep", "--lab-dir", str(lab.lab_dir))
    assert (swept.returncode, swept.stdout.splitlines()) == (0, ["removed 3 object(s)", *listed]), swept.stderr
    assert lab.leftovers() == [] and lab.lease_holder() is None
    again = lab.harness("sweep", "--lab-dir", str(lab.lab_dir))
    assert again.stdout.strip() == "removed 0 object(s)", again.stdout
