"""Ctrl-C and SIGTERM tear a run down completely; after SIGKILL, `python -m harness sweep` does.

    pytest features/lb_pools.feature --lab-dir D -k "stays pending"    # holds its service for pending_hold
    kill -INT <pid>   ->   nothing labelled conformance.home-ops/run-id remains, the run Lease is gone

The "stays pending" scenario is waiver-free and holds its scratch namespace and service for the
profile's ``pending_hold``; a profile copy makes that hold long enough to interrupt inside it.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest

from tests.e2e.e2e_lab import E2ELab

PENDING = "stays pending"
HOLD = 60


def _start_pending_run(lab: E2ELab, tmp_path: Path, run_id: str) -> subprocess.Popen[str]:
    profile = lab.profile_copy(tmp_path / "long-hold.yaml", pending_hold=HOLD)
    proc = lab.spawn_pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir), "--profile", str(profile),
                            "-k", PENDING, "-q", env={"HOME_OPS_RUN_ID": run_id}, output=tmp_path / "run.log")
    seen = lab.wait_for_leftover("Service")
    assert seen == [f"Namespace conformance-{run_id}", f"Service conformance-{run_id}/lb-probe-absent"], seen
    assert lab.lease_holder() is not None and lab.lease_holder().startswith(f"{run_id}@"), lab.lease_holder()  # type: ignore[union-attr]
    return proc


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["sigint", "sigterm"])
def test_interrupt_removes_everything_and_releases_the_lease(lab: E2ELab, tmp_path: Path,
                                                             signum: signal.Signals) -> None:
    run_id = f"e2e-{signum.name.lower()}"
    proc = _start_pending_run(lab, tmp_path, run_id)
    code = lab.signal_and_wait(proc, signum, timeout=HOLD / 2)   # well before the hold would end by itself
    log = (tmp_path / "run.log").read_text()
    assert code == 2, f"pytest exit {code} after {signum.name}, expected 2 (interrupted)\n{log}"
    assert "KeyboardInterrupt" in log or "Interrupted" in log, log
    assert lab.leftovers() == [], f"after {signum.name}: {lab.leftovers()}\n{log}"
    assert lab.lease_holder() is None, f"Lease still held by {lab.lease_holder()} after {signum.name}"


def test_sigkill_leaves_objects_that_sweep_removes(lab: E2ELab, tmp_path: Path) -> None:
    run_id = "e2e-sigkill"
    proc = _start_pending_run(lab, tmp_path, run_id)
    assert lab.signal_and_wait(proc, signal.SIGKILL) == -signal.SIGKILL
    left = [f"Namespace conformance-{run_id}", f"Service conformance-{run_id}/lb-probe-absent"]
    assert lab.leftovers() == left

    mark = len(lab.audit())
    dry = lab.harness("sweep", "--lab-dir", str(lab.lab_dir), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.splitlines() == ["would remove 2 object(s)", *(f"  {o}" for o in reversed(left))]
    assert lab.leftovers() == left and lab.mutations_since(mark) == []

    swept = lab.harness("sweep", "--lab-dir", str(lab.lab_dir))
    assert swept.returncode == 0, swept.stderr
    assert swept.stdout.splitlines() == ["removed 2 object(s)", *(f"  {o}" for o in reversed(left))]
    assert lab.leftovers() == []
    again = lab.harness("sweep", "--lab-dir", str(lab.lab_dir))
    assert again.stdout.strip() == "removed 0 object(s)", again.stdout
