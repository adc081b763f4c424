"""harness/rules/repo_architecture.py: all-control-plane scheduling (talconfig) and Cilium's XDP
acceleration (Helm values) judged from a repo; the conforming fixture passes, each edit names its file."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.model.profile import load_profile
from harness.repo.state import RepoState
from harness.rules.repo_architecture import control_plane_scheduling, lb_acceleration, scheduling_declarations
from tests.edits import replace_once
from tests.faults.labrun import Verdicts, _parse_junit
from tests.reference import owner_repo

ROOT = Path(__file__).resolve().parents[2]
CONFORMING = ROOT / "fixtures" / "repos" / "conforming"
PROFILE = load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")
HELMRELEASE = "infrastructure/cilium/helmrelease-bgp-only.yaml"


def _edited(tmp_path: Path, file: str, old: str, new: str) -> RepoState:
    repo = tmp_path / "repo"
    shutil.copytree(CONFORMING, repo)
    path = repo / file
    path.write_text(replace_once(path.read_text(), old, new))
    return RepoState.open(repo)


def test_conforming_fixture_has_no_findings() -> None:
    repo = RepoState.open(CONFORMING)
    assert scheduling_declarations(repo) == [(True, "talconfig.yaml: allowSchedulingOnMasters")]
    assert control_plane_scheduling(PROFILE, repo) == []
    assert lb_acceleration(PROFILE, repo) == []


def test_scheduling_forbidden(tmp_path: Path) -> None:
    found = control_plane_scheduling(PROFILE, _edited(tmp_path, "talconfig.yaml", "allowSchedulingOnMasters: true",
                                                      "allowSchedulingOnMasters: false"))
    text = "\n".join(map(str, found))
    assert "cluster.control_plane_schedulable (Talos allowSchedulingOnControlPlanes): profile requires true; " \
           "repo has false (talconfig.yaml: allowSchedulingOnMasters)" in text
    assert "absent (Talos then taints control-plane nodes NoSchedule)" in text


def test_scheduling_allowed_by_an_inline_patch(tmp_path: Path) -> None:
    repo = _edited(tmp_path, "talconfig.yaml", "allowSchedulingOnMasters: true\n", "")
    assert "absent" in str(control_plane_scheduling(PROFILE, repo)[0])
    conf = repo.root / "talconfig.yaml"
    conf.write_text(conf.read_text() + "patches:\n  - |-\n    cluster:\n      allowSchedulingOnControlPlanes: true\n")
    repo = RepoState.open(repo.root)
    assert scheduling_declarations(repo) == [
        (True, "talconfig.yaml: patches[0]: cluster.allowSchedulingOnControlPlanes")]
    assert control_plane_scheduling(PROFILE, repo) == []


def test_worker_node(tmp_path: Path) -> None:
    old = "  - hostname: mini03\n    ipAddress: 172.29.51.13\n    controlPlane: true\n"
    found = control_plane_scheduling(PROFILE, _edited(tmp_path, "talconfig.yaml", old,
                                                      old.replace("controlPlane: true", "controlPlane: false")))
    assert [str(d) for d in found] == [
        "cluster.control_plane_schedulable (talconfig node mini03): profile requires controlPlane: true; repo has "
        "controlPlane: false or absent (a worker only) (talconfig.yaml)"]


def test_xdp_acceleration_on(tmp_path: Path) -> None:
    found = lb_acceleration(PROFILE, _edited(tmp_path, HELMRELEASE, "acceleration: disabled", "acceleration: native"))
    assert len(found) == 1
    assert "cilium.lb_acceleration (Cilium loadBalancer.acceleration): profile requires disabled; repo has native" \
        in str(found[0]) and HELMRELEASE in found[0].where


def test_xdp_acceleration_absent_is_the_default(tmp_path: Path) -> None:
    repo = _edited(tmp_path, HELMRELEASE, "      acceleration: disabled   # no XDP on the Mac minis' NICs\n", "")
    assert lb_acceleration(PROFILE, repo) == []


def test_owner_snapshot() -> None:
    repo = RepoState.open(owner_repo())
    if repo.talos is None:
        pytest.fail("the owner's snapshot has a talconfig.yaml")
    assert control_plane_scheduling(PROFILE, repo) == []     # allowSchedulingOnMasters: true, three control planes
    assert lb_acceleration(PROFILE, repo) == []              # acceleration: disabled


def _run_feature(repo: Path, tmp_path: Path) -> Verdicts:
    report = tmp_path / "junit.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "features" / "cluster_config.feature"),
                           "--target", "repo", "--repo", str(repo), "-q", "-p", "no:cacheprovider",
                           f"--junitxml={report}", "-o", "junit_family=xunit1"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    return Verdicts(_parse_junit(report), proc.stdout + proc.stderr)


def test_conforming_repo_passes_the_feature(tmp_path: Path) -> None:
    verdicts = _run_feature(CONFORMING, tmp_path)
    verdicts.all_passed(skip_reason="needs live evidence")
    verdicts.passed("schedulable")
    verdicts.passed("settings")


def test_broken_repo_fails_exactly_its_scenario(tmp_path: Path) -> None:
    repo = _edited(tmp_path, HELMRELEASE, "acceleration: disabled", "acceleration: best-effort").root
    conf = repo / "talconfig.yaml"
    conf.write_text(replace_once(conf.read_text(), "allowSchedulingOnMasters: true", "allowSchedulingOnMasters: no"))
    verdicts = _run_feature(repo, tmp_path)
    v = verdicts.failed("schedulable")
    assert "talconfig.yaml: allowSchedulingOnMasters" in v.message and "acceleration" not in v.message
    v = verdicts.failed("settings")
    assert "repo has best-effort" in v.message and HELMRELEASE in v.message and "talconfig" not in v.message
