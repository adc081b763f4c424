"""The pre-merge gate: the conforming repo passes; each broken variant fails exactly the scenario it
breaks, naming file and object; bad repos give one-line errors."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.repo import Variant, materialise, variants
from harness.repo.variants import PASSING
from tests.edits import replace_once
from tests.faults.labrun import ROOT, Verdicts, _parse_junit
from tests.pytest_zygote import PytestZygote
from tests.reference import owner_repo


@pytest.fixture(scope="module")
def zygote() -> Iterator[PytestZygote]:
    with PytestZygote(ROOT) as helper:
        yield helper


@pytest.fixture
def run_repo(zygote: PytestZygote) -> RunRepo:
    """``run_repo(repo, tmp, *options)``: `pytest features/ --target repo --repo REPO`, its verdicts."""
    def run(repo: Path, tmp: Path, *extra: str) -> tuple[Verdicts, Run]:
        report = tmp / "junit.xml"
        code, output = zygote.run([*_argv(repo, report), *extra], tmp / "pytest-output.txt")
        items = _parse_junit(report) if report.exists() else ()
        return Verdicts(items, output), Run(code, output, output)
    return run


RunRepo = Callable[..., tuple[Verdicts, "Run"]]


def _argv(repo: Path, report: Path) -> list[str]:
    return [str(ROOT / "features"), "--target", "repo", "--repo", str(repo), "-q", "-p", "no:cacheprovider",
            f"--junitxml={report}", "-o", "junit_family=xunit1"]


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str             # the helper sends both streams to one file: each holds the whole output


def test_conforming_repo_passes(run_repo: RunRepo, tmp_path: Path) -> None:
    verdicts, proc = run_repo(ROOT / "fixtures" / "repos" / "conforming", tmp_path)
    verdicts.all_passed(skip_reason="needs live evidence")
    assert proc.returncode == 0, verdicts.output
    assert any(v.outcome == "passed" for v in verdicts.items) and any(v.outcome == "skipped" for v in verdicts.items)


@pytest.fixture(scope="module")
def broken_runs(zygote: PytestZygote, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Verdicts]:
    """`pytest features/ --target repo` on every broken variant, two at a time (one forked run each)."""
    runs, names = [], []
    for variant in variants():
        tmp = tmp_path_factory.mktemp(variant.name)
        repo = materialise(variant, tmp / variant.name)
        runs.append((_argv(repo, tmp / "junit.xml"), tmp / "pytest-output.txt"))
        names.append((variant.name, tmp / "junit.xml"))
    results = zygote.run_many(runs, parallel=2)
    return {name: Verdicts(_parse_junit(report) if report.exists() else (), output)
            for (name, report), (_, output) in zip(names, results, strict=True)}


@pytest.mark.parametrize("variant", variants(), ids=lambda v: v.name)
def test_broken_variant_fails_exactly_its_scenario(broken_runs: dict[str, Verdicts], variant: Variant) -> None:
    verdicts = broken_runs[variant.name]
    failed = [v for v in verdicts.items if v.outcome == "failed"]
    expected = [verdicts.find(line.partition(": ")[2]) for line in variant.broken]
    assert sorted(v.name for v in failed) == sorted(v.name for v in expected), \
        f"{variant.name}: expected only {variant.broken} to fail\n{verdicts.output}"
    edited = {e.file for e in variant.edits}
    for verdict in failed:
        assert any(f in verdict.message for f in edited), f"no edited file named in:\n{verdict.message}"


@pytest.mark.parametrize("variant", variants(PASSING), ids=lambda v: v.name)
def test_passing_variant_passes(run_repo: RunRepo, variant: Variant, tmp_path: Path) -> None:
    verdicts, proc = run_repo(materialise(variant, tmp_path / variant.name), tmp_path)
    verdicts.all_passed(skip_reason="needs live evidence")
    assert proc.returncode == 0, verdicts.output


def test_owner_snapshot_runs_fast_and_reports_its_drift(run_repo: RunRepo, tmp_path: Path) -> None:
    snapshot = owner_repo()
    started = time.monotonic()
    verdicts, proc = run_repo(snapshot, tmp_path, "--repo-partial", "--drift-report", str(tmp_path / "drift.md"))
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"offline run took {elapsed:.1f}s"  # bench/ measures the 5 s target precisely
    assert proc.returncode == 1
    verdicts.failed("every profiled pool exists")
    drift = (tmp_path / "drift.md").read_text()
    for expected in ("172.29.52.50-172.29.52.99", "fd47:25e1:2f96:52:100::/120", "ext4", "SingleStack"):
        assert expected in drift, drift


@pytest.mark.parametrize(("setup", "words"), [
    ("missing", "no such directory"),
    ("malformed", "loadbalancer-pools.yaml:2: malformed YAML"),
    ("no-cluster", "cannot tell the cluster directory: no Flux entry point and no folder under clusters/; "
                   "name it with --cluster-dir"),
])
def test_bad_repo_gives_one_line_error(run_repo: RunRepo, tmp_path: Path, setup: str, words: str) -> None:
    repo = tmp_path / "repo"
    if setup == "malformed":
        repo = materialise(variants()[0], repo)
        (repo / "infrastructure" / "cilium-pools" / "loadbalancer-pools.yaml").write_text("spec: [unclosed\n")
    elif setup == "no-cluster":
        repo.mkdir()
    _, proc = run_repo(repo, tmp_path)
    assert proc.returncode == 4 and "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    error = [line for line in proc.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(error) == 1 and words in error[0], proc.stderr


def test_a_path_the_repo_lacks_fails_the_scenarios_it_may_feed(run_repo: RunRepo, tmp_path: Path) -> None:
    """Strict: a Flux Kustomization whose path is missing does not build (Flux applies none of it), so every
    scenario it could feed fails naming the file; --repo-partial lists it instead."""
    repo = materialise(variants()[0], tmp_path / "repo")
    networking = repo / "clusters" / "home-ops" / "infrastructure" / "networking.yaml"
    networking.write_text(replace_once(networking.read_text(), "./infrastructure/cilium-pools",
                                       "./infrastructure/gone"))
    verdicts, proc = run_repo(repo, tmp_path)
    assert proc.returncode == 1, verdicts.output
    failed = verdicts.failed("every profiled pool exists")
    assert "build.pools: profile requires every file the repo refers to exists and builds; repo has Flux " \
           "Kustomization infrastructure-cilium-pools: path ./infrastructure/gone does not exist" in failed.message
    assert "clusters/home-ops/infrastructure/networking.yaml" in failed.message
    partial, _ = run_repo(repo, tmp_path, "--repo-partial")
    assert "build.pools" not in partial.failed("every profiled pool exists").message
