"""--baseline REF: findings present at REF are existing debt (listed, not failed); only findings the
change introduces fail their scenario, named as new; fixed ones are reported. Findings are matched by
requirement and subject, not by their text."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.model.profile import Profile, load_profile
from harness.repo.gitrefs import Revisions
from harness.repo.variants import BROKEN, CONFORMING, load_variant, materialise
from harness.rules.judge import RepoJudge
from tests.faults.labrun import Verdicts, _parse_junit

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"
POOLS = "infrastructure/cilium-pools/loadbalancer-pools.yaml"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=gate@example.invalid", "-c", "user.name=gate",
                           *args], capture_output=True, text=True, check=True).stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _edit(repo: Path, variant: str) -> None:
    """Apply a broken variant's edits to ``repo`` (a git work tree of the conforming fixture)."""
    made = materialise(load_variant(BROKEN / f"{variant}.yaml"), repo.parent / f"made-{variant}")
    for edit in load_variant(BROKEN / f"{variant}.yaml").edits:
        (repo / edit.file).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(made / edit.file, repo / edit.file)
    shutil.rmtree(made)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: the conforming fixture with one existing debt (bgp-default's range changed)."""
    root = tmp_path / "gitops"
    shutil.copytree(CONFORMING, root)
    _git(root, "init", "-q", "-b", "main")
    _edit(root, "pool-range-changed")
    _commit(root, "main with debt")
    _git(root, "checkout", "-q", "-b", "pr")
    return root


def test_new_finding_fails_debt_is_listed(repo: Path, profile: Profile) -> None:
    _edit(repo, "ingress-single-stack")
    _commit(repo, "PR: single-stack ingress")
    judge = _judge(repo, profile)
    ingress = judge.verdict("ingress")
    assert ingress.problems and all(p.startswith("new since main (") for p in ingress.problems)
    pools = judge.verdict("pools")
    assert pools.problems == () and pools.skipped == ""
    assert len(pools.debt) == 1 and "lb_pools[bgp-default].blocks" in pools.debt[0]
    new, fixed, unchanged = judge.changes()
    assert {d.field for d in new} == {"ingress.addresses (families)"} and fixed == []
    assert [d.field for d in unchanged] == ["lb_pools[bgp-default].blocks"]
    report = judge.report()
    assert "Against the baseline main (" in report and "1 new, 0 fixed, 1 unchanged" in report


def test_a_fix_is_reported_fixed(repo: Path, profile: Profile) -> None:
    shutil.copyfile(CONFORMING / POOLS, repo / POOLS)
    _commit(repo, "PR: fix the range")
    judge = _judge(repo, profile)
    new, fixed, unchanged = judge.changes()
    assert new == [] and unchanged == [] and [d.field for d in fixed] == ["lb_pools[bgp-default].blocks"]
    assert "Fixed:\n- [pools] lb_pools[bgp-default].blocks" in judge.report()


def test_findings_match_by_requirement_and_subject_not_text(repo: Path, profile: Profile) -> None:
    text = (repo / POOLS).read_text()
    changed = text.replace("172.29.52.100", "172.29.52.101", 1)
    assert changed != text
    (repo / POOLS).write_text(changed)
    _commit(repo, "PR: another wrong range, same finding")
    judge = _judge(repo, profile)
    new, _, unchanged = judge.changes()
    assert new == [] and [d.field for d in unchanged] == ["lb_pools[bgp-default].blocks"]
    assert judge.verdict("pools").problems == ()


def test_unknown_ref_is_one_line(repo: Path) -> None:
    with Revisions(repo) as revs, pytest.raises(ConfigError, match="no-such-branch"):
        revs.resolve("no-such-branch")


def _judge(repo: Path, profile: Profile) -> RepoJudge:
    with Revisions(repo) as revs:
        base = RepoJudge.open(profile, revs.checkout("main"))
    return RepoJudge.open(profile, repo).against(base, f"main ({_git(repo, 'rev-parse', 'main')[:12]})")


def _run(repo: Path, tmp: Path, *extra: str) -> tuple[Verdicts, subprocess.CompletedProcess[str]]:
    report = tmp / "junit.xml"
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "features"), "--target", "repo", "--repo",
                           str(repo), "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "-o",
                           "junit_family=xunit1", *extra], cwd=ROOT, capture_output=True, text=True, timeout=120)
    return Verdicts(_parse_junit(report) if report.exists() else (), proc.stdout + proc.stderr), proc


def test_gate_with_baseline_fails_exactly_the_new_regression(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "ingress-single-stack")
    _commit(repo, "PR: single-stack ingress")
    drift = tmp_path / "drift.md"
    verdicts, proc = _run(repo, tmp_path, "--baseline", "main", "--drift-report", str(drift))
    failed = [v for v in verdicts.items if v.outcome == "failed"]
    assert proc.returncode == 1 and len(failed) == 1, verdicts.output
    assert failed[0] == verdicts.find("ingress controllers service holds") and "new since main" in failed[0].message
    assert "infrastructure/ingress-nginx-internal/helmrelease.yaml" in failed[0].message
    verdicts.passed("every profiled pool exists")
    report = drift.read_text()
    assert "Unchanged (existing debt):\n- [pools] lb_pools[bgp-default].blocks" in report
    without, _ = _run(repo, tmp_path)
    assert len([v for v in without.items if v.outcome == "failed"]) == 2      # no baseline: all debt fails


def test_gate_with_baseline_reports_a_fix(repo: Path, tmp_path: Path) -> None:
    shutil.copyfile(CONFORMING / POOLS, repo / POOLS)
    _commit(repo, "PR: fix")
    drift = tmp_path / "drift.md"
    verdicts, proc = _run(repo, tmp_path, "--baseline", "main", "--drift-report", str(drift))
    assert proc.returncode == 0, verdicts.output
    assert "0 new, 1 fixed, 0 unchanged" in drift.read_text()
