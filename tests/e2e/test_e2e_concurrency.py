"""Two runs against one cluster: the run Lease serialises mutating runs; read-only runs take no lock.

    HOME_OPS_RUN_ID=a pytest features/lb_pools.feature -k pending &   # holds the Lease
    pytest features/lb_pools.feature -m mutating --profile lock_wait=1 # refuses: "... held by a@host ..."
"""

from __future__ import annotations

import signal
import socket
import time
from pathlib import Path

import pytest

from tests.e2e.e2e_lab import BackgroundRun, E2ELab, Verdict

pytestmark = pytest.mark.lab

LEASE_PATH = "/apis/coordination.k8s.io/v1/namespaces/home-ops-conformance/leases"


def _holding_run(lab: E2ELab, tmp_path: Path, run_id: str, hold: float) -> BackgroundRun:
    """The "stays pending" scenario, returned once it holds the Lease and its service exists."""
    profile = lab.profile_copy(tmp_path / f"{run_id}.yaml", pending_hold=hold)
    run = lab.spawn_pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir), "--profile", str(profile),
                           "-k", "pending", "-q", env={"HOME_OPS_RUN_ID": run_id}, output=tmp_path / f"{run_id}.log")
    try:
        lab.wait_for_leftover("Service", run)
    except BaseException:
        run.__exit__(None, None, None)
        raise
    assert (lab.lease_holder() or "").startswith(f"{run_id}@"), lab.lease_holder()
    return run


def _second_run(lab: E2ELab, tmp_path: Path, run_id: str, lock_wait: float, *select: str) -> tuple[int, list[Verdict],
                                                                                                   str]:
    profile = lab.profile_copy(tmp_path / f"{run_id}.yaml", lock_wait=lock_wait)
    junit = tmp_path / f"{run_id}.xml"
    proc = lab.pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir), "--profile", str(profile),
                      "-q", "--tb=line", f"--junitxml={junit}", *select, env={"HOME_OPS_RUN_ID": run_id})
    return proc.returncode, Verdict.parse_all(junit), proc.stdout + proc.stderr


def test_second_mutating_run_refuses_naming_the_holder(lab: E2ELab, tmp_path: Path) -> None:
    holder = f"e2e-first@{socket.gethostname()}"
    with _holding_run(lab, tmp_path, "e2e-first", hold=60) as first:
        before = lab.leftovers()
        code, cases, output = _second_run(lab, tmp_path, "e2e-second", 1, "-m", "mutating")
        assert lab.leftovers() == before, "the refused run created objects"
        assert lab.lease_holder() == holder
        first.signal_and_wait(signal.SIGINT)
    assert code == 1, output
    assert cases and [c.name for c in cases if c.outcome != "failed"] == [], output
    expected = (f"harness.core.errors.LockHeld: another conformance run holds the cluster: Lease "
                f"home-ops-conformance/home-ops-conformance-run at {lab.api.url} held by {holder} since ")
    for case in cases:
        assert case.message.startswith(expected), case.message
        assert case.message.endswith("(last renewed " + case.message.split("(last renewed ")[1]), case.message
        assert "lease 60s); gave up after waiting 1s" in case.message, case.message
    assert "The above exception was the direct cause" not in output, output   # one line, not a chain
    report = output.split("short test summary info")[0]   # the summary repeats it, cut to the terminal width
    lines = [line for line in report.splitlines() if "LockHeld" in line]
    assert lines and all(line.endswith("gave up after waiting 1s") for line in lines), output
    assert lab.leftovers() == [] and lab.lease_holder() is None


def test_second_mutating_run_waits_and_then_proceeds(lab: E2ELab, tmp_path: Path) -> None:
    mark = lab.audit_mark()
    with _holding_run(lab, tmp_path, "e2e-early", hold=3) as first:
        code, cases, output = _second_run(lab, tmp_path, "e2e-late", 60, "-k", "bgp-default-ipv4")
        assert first.wait() == 0, first.output()
    assert code == 0 and [c.outcome for c in cases] == ["passed"], output
    log = lab.mutations_since(mark)
    order = [(e.verb, e.name) for e in log if e.name in ("conformance-e2e-early", "conformance-e2e-late")
             or e.path.startswith(LEASE_PATH)]
    early_gone = order.index(("delete", "conformance-e2e-early"))
    late_lease = order.index(("create", "home-ops-conformance-run"), early_gone)   # the second run's Lease
    assert late_lease > early_gone and order.index(("create", "conformance-e2e-late")) > late_lease, order
    assert lab.leftovers() == [] and lab.lease_holder() is None


def test_read_only_run_takes_no_lock_and_changes_nothing(lab: E2ELab, tmp_path: Path) -> None:
    mark = lab.audit_mark()
    alone = lab.pytest("features/", "--lab-dir", str(lab.lab_dir), "-m", "not mutating", "-q")
    assert alone.returncode == 0, alone.stdout
    assert lab.mutations_since(mark) == [], [str(e) for e in lab.mutations_since(mark)]
    assert lab.lease_holder() is None

    with _holding_run(lab, tmp_path, "e2e-holder", hold=60) as holder:
        code, cases, output = _second_run(lab, tmp_path, "e2e-reader", 1, "-m", "not mutating")
        assert (lab.lease_holder() or "").startswith("e2e-holder@")
        holder.signal_and_wait(signal.SIGINT)
    assert code == 0 and len(cases) == 3 and {c.outcome for c in cases} == {"passed"}, output


def test_lost_lock_stops_the_run_and_teardown_still_cleans(lab: E2ELab, tmp_path: Path) -> None:
    """Another run takes the Lease over mid-scenario: that scenario and every later mutating one fail at
    once with "run lock lost to <holder>", nothing more is created, and what the run made is removed."""
    run_id, intruder = "e2e-lost", "e2e-intruder@elsewhere"
    profile = lab.profile_copy(tmp_path / "lost.yaml", pending_hold=60, lock_lease=3)
    junit = tmp_path / "lost.xml"
    with lab.spawn_pytest("features/lb_pools.feature", "features/dual_stack.feature", "--lab-dir", str(lab.lab_dir),
                          "--profile", str(profile), "-m", "mutating", "-k", "pending or dual_stack", "-q",
                          "--tb=line", f"--junitxml={junit}", env={"HOME_OPS_RUN_ID": run_id},
                          output=tmp_path / "lost.log") as run:
        lab.wait_for_leftover("Service", run)            # the pending scenario holds its service for 60 s
        mark = lab.audit_mark()
        lab.take_lease(intruder, duration=600)
        started = time.monotonic()
        assert run.wait() == 1, run.output()
        took = time.monotonic() - started
    cases = Verdict.parse_all(junit)
    assert [c.outcome for c in cases] == ["failed"] * 3, run.output()
    for case in cases:
        assert f"run lock lost to {intruder} at " in case.message, case.message
    assert took < 20, f"the run went on for {took:.1f}s after the takeover (lease 3s, hold 60s)\n{run.output()}"
    created = [e for e in lab.mutations_since(mark) if e.verb == "create" and not e.path.startswith(LEASE_PATH)]
    assert created == [], f"objects created after the lock was lost: {created}"
    assert lab.leftovers() == [], "teardown left the run's objects behind"
    assert lab.lease_holder() == intruder, "the run deleted a Lease that was no longer its own"
    lab.drop_lease()
