"""Waivers end to end: a failing scenario is xfail until its waiver expires, and fails after.

    pytest features/lb_pools.feature --waivers waivers.yaml      # HOME_OPS_TODAY=2026-07-01 replays that day
    -> XFAIL ... waived until 2026-07-01: ...   /   FAILED ... waiver expired on 2026-07-01 (...): ...
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning.bootstrap import run_bootstrap
from tests.e2e.e2e_lab import E2ELab, Verdict

pytestmark = pytest.mark.lab

REASON = "bgp-ingress is being resized (ticket 42)"
WAIVERS = f"""\
- scenario: Every profiled pool exists
  reason: {REASON}
  expires: 2026-07-01
"""
SEEN = ("pool bgp-ingress at https://172.29.51.10:6443: blocks differ: "
        "expected 172.29.52.200-172.29.52.220, seen 172.29.52.200-172.29.52.210")


@pytest.fixture
def shrunk_pool(lab: E2ELab) -> Iterator[E2ELab]:
    """The fault: pool bgp-ingress loses ten addresses; the required state is re-applied afterwards."""
    pools = lab.api.resource_for("cilium.io", "CiliumLoadBalancerIPPool")
    lab.api.request("PATCH", pools.path(None, "bgp-ingress"), content_type="application/merge-patch+json",
                    body={"spec": {"blocks": [{"start": "172.29.52.200", "stop": "172.29.52.210"}]}})
    yield lab
    for _ in run_bootstrap(lab.api, lab.profile, timeout=20):
        pass


def _run(lab: E2ELab, tmp_path: Path, today: str) -> tuple[int, Verdict, str]:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(WAIVERS)
    junit = tmp_path / f"junit-{today}.xml"
    proc = lab.pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir), "--waivers", str(waivers),
                      "-k", "every_profiled_pool", "-rxX", f"--junitxml={junit}", env={"HOME_OPS_TODAY": today})
    [case] = Verdict.parse_all(junit)
    return proc.returncode, case, proc.stdout


@pytest.mark.parametrize("today", ["2026-06-30", "2026-07-01"])
def test_active_waiver_turns_the_failure_into_xfail(shrunk_pool: E2ELab, tmp_path: Path, today: str) -> None:
    code, case, output = _run(shrunk_pool, tmp_path, today)
    assert code == 0, output
    assert case.outcome == "skipped", case   # JUnit writes xfail as skipped
    assert case.message == f"waived until 2026-07-01: {REASON}", case.message
    assert f"XFAIL features/lb_pools.feature::test_every_profiled_pool_exists_with_its_blocks_and_service_selector" \
           f" - waived until 2026-07-01: {REASON}" in output, output
    assert "1 xfailed" in output, output


def test_expired_waiver_fails_and_says_so(shrunk_pool: E2ELab, tmp_path: Path) -> None:
    code, case, output = _run(shrunk_pool, tmp_path, "2026-07-02")
    assert code == 1, output
    assert case.outcome == "failed", case
    assert case.message.startswith(f"waiver expired on 2026-07-01 ({REASON}): "), case.message
    assert case.message.endswith(f"): harness.core.errors.CheckFailed: {SEEN}"), case.message
    assert "1 failed" in output, output


def test_waiver_for_a_passing_scenario_is_noted(lab: E2ELab, tmp_path: Path) -> None:
    code, case, output = _run(lab, tmp_path, "2026-06-30")
    assert code == 0 and case.outcome == "passed", output
    assert "waiver no longer needed" in output and f"until 2026-07-01: {REASON}" in output, output
