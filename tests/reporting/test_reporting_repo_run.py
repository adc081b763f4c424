"""A repo run on a broken fixture, as the owner sees it: the terminal and every report attribute skips to
feature files and scenarios (never pytest-bdd's scenario.py), report.html carries the drift rows with
their files and scenarios, and real Chromium renders it (screenshot, DOM, no console messages)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.repo import load_variant, materialise
from harness.repo.variants import BROKEN
from harness.reporting.model import parse_run_json
from tests.reporting.browser import render

ROOT = Path(__file__).resolve().parents[2]
VARIANT = load_variant(BROKEN / "pool-range-changed.yaml")


@dataclass(frozen=True)
class RepoRun:
    repo: Path
    out: Path
    terminal: str
    files: dict[str, str]


@pytest.fixture(scope="module")
def repo_run(tmp_path_factory: pytest.TempPathFactory) -> RepoRun:
    tmp = tmp_path_factory.mktemp("repo-run")
    repo = materialise(VARIANT, tmp)
    out = tmp / "report"
    proc = subprocess.run([sys.executable, "-m", "pytest", str(ROOT / "features"), "--target", "repo", "--repo",
                           str(repo), "--report-dir", str(out), "-p", "no:cacheprovider", "-rsxX", "-vv"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    return RepoRun(repo, out, proc.stdout + proc.stderr,
                   {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.is_file()})


def test_no_terminal_line_or_report_names_pytest_bdd(repo_run: RepoRun) -> None:
    assert "pytest_bdd/" not in repo_run.terminal
    assert set(repo_run.files) >= {"report.html", "report.md", "run.json", "junit.xml", "cucumber.json"}
    for name, text in repo_run.files.items():
        assert "pytest_bdd/" not in text, name


def test_every_skip_line_names_its_feature_and_scenario(repo_run: RepoRun) -> None:
    lines = [line for line in repo_run.terminal.splitlines() if line.startswith("SKIPPED [")]
    shape = re.compile(r"SKIPPED \[\d+\] features/\w+\.feature(:\d+)?: .+: .+")
    assert lines and all(shape.match(line) for line in lines), lines
    assert any(re.fullmatch(r"SKIPPED \[1\] features/bgp\.feature(:\d+)?: Every node has an Established ipv4 session "
                            r"with the router: needs live evidence \(the router's BGP state\); not judged from a repo",
                            line) for line in lines), "\n".join(lines)
    run = parse_run_json(repo_run.out / "run.json")
    skipped = [s for s in run.scenarios if s.outcome == "skipped"]
    assert skipped and all(s.file.startswith("features/") and s.file.endswith(".feature") and s.line for s in skipped)
    features = {f["name"] for f in json.loads(repo_run.files["cucumber.json"])}
    assert {s.feature for s in run.scenarios} == features          # grouped by feature, skipped ones included


def test_drift_rows_show_in_the_reports_with_files_and_scenarios(repo_run: RepoRun) -> None:
    run = parse_run_json(repo_run.out / "run.json")
    assert run.drift is not None and run.drift.repo == str(repo_run.repo)
    failed = [s for s in run.scenarios if s.outcome == "failed"]
    edited = {e.file for e in VARIANT.edits}
    for field in VARIANT.expect_drift:
        row = next(r for r in run.drift.rows if r.field == field)
        assert row.file in edited and row.line, row
        assert row.scenario in {s.name for s in failed}, (row, [s.name for s in failed])
        html = repo_run.files["report.html"]
        assert f"<code>{row.file}:{row.line}</code>" in html and f"href='file://{repo_run.repo}/{row.file}'" in html
        assert f"`{row.file}:{row.line}`" in repo_run.files["report.md"]
    assert "No routing picture: a repo run reads no router" in repo_run.files["report.html"]


def test_chromium_renders_the_drift_table(repo_run: RepoRun, tmp_path: Path) -> None:
    page = render(repo_run.out / "report.html", tmp_path, size=(1200, 1000), name="repo-report")
    assert len(page.colours) > 20, "screenshot looks blank"
    assert page.colours[(198, 40, 40)] > 50            # the failed badge and message (#c62828) are on screen
    assert not page.console, page.console
    rows = re.findall(r'<tr class="drift-row">(.*?)</tr>', page.dom, re.S)
    assert rows and any("infrastructure/cilium-pools/loadbalancer-pools.yaml:" in r for r in rows), page.dom[:3000]
    assert any("Every profiled pool exists" in r for r in rows)
    assert '<table class="drift">' in page.dom and "<svg" not in page.dom.split("<h2>Drift")[0]
