"""The drift table in the reports: every row placed in the repo (file, line where known) and owned by the
scenario that fails on it; new / fixed / unchanged only against a baseline."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from harness.model.profile import load_profile
from harness.repo import materialise
from harness.repo.variants import BROKEN, CONFORMING
from harness.reporting.drift import drift_table
from harness.reporting.html import render_html
from harness.reporting.markdown import render_markdown
from harness.reporting.model import DriftRow, DriftTable, RunResult, ScenarioResult, parse_run_json, run_json
from harness.rules.drift import Drift
from harness.rules.judge import RepoJudge
from harness.rules.requirements import Requirement
from tests.reporting.frr_evidence import PROFILE


def judge_of(variant: str, tmp_path: Path) -> RepoJudge:
    return RepoJudge.open(load_profile(PROFILE), materialise(BROKEN / f"{variant}.yaml", tmp_path))


def row_for(judge: RepoJudge, field: str) -> tuple[str, int | None, str | None]:
    found = [(r.file, r.line, r.owner) for r in judge.rows() if r.drift.field == field]
    assert len(found) == 1, [r.drift.field for r in judge.rows()]
    return found[0]


def line_of(judge: RepoJudge, file: str, line: int | None) -> str:
    assert line is not None
    return (judge.repo.root / file).read_text().splitlines()[line - 1]


def test_rows_name_file_line_and_owner(tmp_path: Path) -> None:
    pools = judge_of("pool-range-changed", tmp_path)
    file, line, owner = row_for(pools, "lb_pools[bgp-default].blocks")
    assert (file, str(owner)) == ("infrastructure/cilium-pools/loadbalancer-pools.yaml", "pools")
    assert line_of(pools, file, line).strip() == "name: bgp-default"
    disk = judge_of("install-disk-not-apple", tmp_path)
    file, line, owner = row_for(disk, "disks.install_disk_model")
    assert (file, str(owner)) == ("talconfig.yaml", "install_disk")
    assert 'installDiskSelector: {model: "Samsung*"}' in line_of(disk, file, line)   # nodes[mini02]... resolved


def test_rows_of_unapplied_files_say_why_no_scenario_judges_them(tmp_path: Path) -> None:
    base = RepoJudge.open(load_profile(PROFILE), CONFORMING)
    judge = RepoJudge(base.repo, (
        Drift(Requirement.USER_VOLUME_FS, "disks.user_volume[longhorn-ssd].filesystem", "xfs", "ext4",
              "patches/usb-ssd.yaml: UserVolumeConfig longhorn-ssd (not referenced by talconfig.yaml)", applied=False),
        Drift(Requirement.OVERLAP, "lb_pools (overlap)", "pools do not overlap", "x", "a.yaml, b.yaml")))
    rows = judge.rows()
    assert [(r.owner, r.file) for r in rows] == [(None, ""), (Requirement.OVERLAP, "")]
    assert "talhelper never applies it" in rows[0].note
    table = drift_table(judge, ())
    assert table.rows[0].owner == rows[0].note
    assert "judged by the 'overlap' check" in table.rows[1].owner and table.rows[1].scenario == ""


def test_each_row_is_owned_by_the_scenario_failing_on_it(tmp_path: Path) -> None:
    judge = judge_of("pool-range-changed", tmp_path)
    text = next(str(r.drift) for r in judge.rows() if r.drift.field == "lb_pools[bgp-default].blocks")
    failed = ScenarioResult("features/lb_pools.feature::test_every", "LoadBalancer IP pools",
                            "Every profiled pool exists with its blocks and service selector", "failed", 0.1,
                            message="CheckFailed: lb_pools[bgp-default].blocks: ...",
                            details=f"E   CheckFailed: {text}")
    table = drift_table(judge, (ScenarioResult("x::y", "F", "Other", "passed", 0.1), failed))
    row = next(r for r in table.rows if r.field == "lb_pools[bgp-default].blocks")
    assert (row.scenario, row.nodeid, row.owner) == (failed.name, failed.nodeid, "")
    assert (row.location, row.detail) == ("infrastructure/cilium-pools/loadbalancer-pools.yaml:"
                                          f"{row.line}", "(Flux Kustomization infrastructure-cilium-pools)")
    run = RunResult("0612-drift", "repo", str(PROFILE), "2025-06-12T03:00:00+02:00", 1.0, (failed,), drift=table)
    html, md = render_html(run), render_markdown(run)
    assert "href='#s-" in html and "id='s-" in html                       # the row links the scenario's entry
    assert f"href='file://{judge.repo.root}/infrastructure/cilium-pools/loadbalancer-pools.yaml'" in html
    assert "<th>status</th>" not in html and "| status |" not in md         # no baseline, no status column
    assert (f"| lb_pools[bgp-default].blocks | 172.29.52.100-172.29.52.199 | 172.29.52.100-172.29.52.149 | "
            f"`infrastructure/cilium-pools/loadbalancer-pools.yaml:{row.line}` (Flux Kustomization "
            f"infrastructure-cilium-pools) | {failed.name} |") in md
    again = parse_run_json(_write(tmp_path / "run.json", run))
    assert again.drift == table


def _write(path: Path, run: RunResult) -> Path:
    path.write_text(json.dumps(run_json(run)))
    return path


def test_a_baseline_gives_each_row_its_status(tmp_path: Path) -> None:
    """Against a baseline (RepoJudge.against) the table says new / fixed / unchanged, and shows the column."""
    before = judge_of("pool-range-changed", tmp_path / "before")
    now = judge_of("install-disk-not-apple", tmp_path / "now").against(before, "origin/main")
    table = drift_table(now, ())
    status = {r.field: r.status for r in table.rows}
    assert status["disks.install_disk_model"] == "new"
    assert status["lb_pools[bgp-default].blocks"] == "fixed"
    assert set(status.values()) <= {"new", "fixed", "unchanged", None}
    fixed = next(r for r in table.rows if r.status == "fixed")
    assert fixed.owner == "in origin/main, no longer in the repo" and not fixed.scenario
    run = RunResult("r", "repo", "p", "2025-06-12T03:00:00+02:00", 1.0, (), drift=table)
    html, md = render_html(run), render_markdown(run)
    assert "<th>status</th>" in html and "<span class='st-fixed'>fixed</span>" in html
    assert "| field | profile | repo | file | scenario | status |" in md and "| new |" in md
    assert parse_run_json(_write(tmp_path / "run.json", run)).drift == table


@pytest.mark.parametrize("status", ["gone", 3])
def test_a_baseline_status_outside_the_three_is_refused(tmp_path: Path, status: object) -> None:
    run = RunResult("r", "repo", "p", "2025-06-12T03:00:00+02:00", 1.0, (),
                    drift=DriftTable("/repo", (DriftRow("f", "a", "b", "w"),)))
    doc = run_json(run)
    doc["drift"]["rows"][0]["status"] = status
    path = tmp_path / "run.json"
    path.write_text(json.dumps(doc))
    from harness.core.errors import ConfigError
    with pytest.raises(ConfigError, match="unknown status"):
        parse_run_json(path)
    assert replace(run.drift.rows[0], status="new").status == "new"  # type: ignore[union-attr]
