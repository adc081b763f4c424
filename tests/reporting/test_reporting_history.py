"""Run history: pass rate, median duration, flaky and regressed scenarios over run folders.

def test_x(tmp_path): summarise(tmp_path, last=5)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.reporting.history import render, summarise
from harness.reporting.model import RunResult, ScenarioResult, parse_run_json, run_json


def _run(tmp_path: Path, folder: str, started: str, outcomes: dict[str, tuple[str, float]]) -> None:
    scenarios = tuple(ScenarioResult(nodeid=f"features/x.feature::{n}", feature="X", name=n, outcome=o, duration=d)
                      for n, (o, d) in outcomes.items())
    run = RunResult(run_id=folder, target="lab", profile="home-ops.yaml", started=started, duration=1.0,
                    scenarios=scenarios)
    (tmp_path / folder).mkdir()
    (tmp_path / folder / "run.json").write_text(json.dumps(run_json(run)), encoding="utf-8")


@pytest.fixture
def history_dir(tmp_path: Path) -> Path:
    # folder names deliberately not in time order: ordering comes from "started"
    _run(tmp_path, "c-oldest", "2025-06-10T03:00:00+02:00", {"pools": ("passed", 1.0), "route": ("passed", 2.0),
                                                              "ingress": ("waived", 1.0)})
    _run(tmp_path, "a-middle", "2025-06-11T03:00:00+02:00", {"pools": ("failed", 3.0), "route": ("passed", 4.0),
                                                              "ingress": ("waived", 1.0)})
    _run(tmp_path, "b-latest", "2025-06-12T03:00:00+02:00", {"pools": ("passed", 2.0), "route": ("failed", 6.0),
                                                              "ingress": ("skipped", 0.0)})
    (tmp_path / "killed-run").mkdir()  # no run.json: ignored
    return tmp_path


def test_pass_rate_median_and_order(history_dir: Path) -> None:
    history = summarise(history_dir, last=10)
    assert history.runs == ("c-oldest", "a-middle", "b-latest")
    trends = {t.name: t for t in history.scenarios}
    assert trends["pools"].pass_rate == pytest.approx(2 / 3) and trends["pools"].median_duration == 2.0
    assert trends["route"].outcomes == ("passed", "passed", "failed")
    assert trends["ingress"].pass_rate == 0.0  # waived counts as a failure; the skip is left out


def test_flaky_and_regressions(history_dir: Path) -> None:
    history = summarise(history_dir, last=10)
    assert set(history.flaky) == {"features/x.feature::pools", "features/x.feature::route"}
    assert history.regressions == ("features/x.feature::route",)
    assert history.has_regressions


def test_window_limits_the_runs(history_dir: Path) -> None:
    history = summarise(history_dir, last=1)
    assert history.runs == ("b-latest",) and not history.has_regressions and history.flaky == ()


def test_no_regression_when_latest_failure_is_waived(tmp_path: Path) -> None:
    _run(tmp_path, "1", "2025-06-10T03:00:00+00:00", {"a": ("passed", 1.0)})
    _run(tmp_path, "2", "2025-06-11T03:00:00+00:00", {"a": ("waived", 1.0)})
    assert not summarise(tmp_path, last=5).has_regressions


def test_render_is_a_plain_table(history_dir: Path) -> None:
    text = render(summarise(history_dir, last=10))
    lines = text.splitlines()
    assert lines[0] == "3 run(s): c-oldest, a-middle, b-latest"
    row = next(line for line in lines if line.endswith("features/x.feature::route"))
    assert "67%" in row and "yes" in row and "..F" in row
    assert "regressions (passed before, failing now): features/x.feature::route" in text


def test_run_json_round_trip_and_errors(tmp_path: Path) -> None:
    _run(tmp_path, "r", "2025-06-10T03:00:00+00:00", {"a": ("xfailed", 1.5)})
    parsed = parse_run_json(tmp_path / "r" / "run.json")
    assert parsed.scenarios[0].outcome == "xfailed" and parsed.scenarios[0].duration == 1.5
    (tmp_path / "r" / "run.json").write_text('{"run_id": "x"}', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"run.json: not a run.json \(schema 1\): missing or malformed 'target'"):
        summarise(tmp_path, last=3)
    with pytest.raises(ConfigError, match="no run folders"):
        summarise(tmp_path / "r", last=3)
    with pytest.raises(ConfigError, match="--last 0"):
        summarise(tmp_path, last=0)
