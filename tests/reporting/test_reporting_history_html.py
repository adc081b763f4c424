"""`python -m harness report --history DIR --html OUT`: a pass/fail strip per scenario (oldest run first),
the run-duration trend, flaky and regressed scenarios marked; rendered by real Chromium."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from cli.main import main
from harness.reporting.history import summarise
from harness.reporting.history_html import COLOURS, render_history_html
from harness.reporting.model import RunResult, ScenarioResult, run_json
from tests.reporting.browser import render

# (run id, started, duration, {scenario: outcome}) oldest first; "pools" regresses in the last run,
# "route" flips (flaky), "ingress" is waived throughout, "disk" is new in the second run
RUNS = [
    ("0610-a", "2025-06-10T03:00:00+02:00", 41.0, {"pools": "passed", "route": "passed", "ingress": "waived"}),
    ("0611-b", "2025-06-11T03:00:00+02:00", 55.5, {"pools": "passed", "route": "failed", "ingress": "waived",
                                                   "disk": "skipped"}),
    ("0612-c", "2025-06-12T03:00:00+02:00", 38.2, {"pools": "passed", "route": "passed", "ingress": "waived",
                                                   "disk": "passed"}),
    ("0613-d", "2025-06-13T03:00:00+02:00", 47.9, {"pools": "failed", "route": "passed", "ingress": "waived",
                                                   "disk": "passed"}),
]


@pytest.fixture
def history_dir(tmp_path: Path) -> Path:
    root = tmp_path / "history"
    for run_id, started, duration, outcomes in reversed(RUNS):   # folder order must not matter
        scenarios = tuple(ScenarioResult(f"features/x.feature::test_{name}", "X", f"The {name} scenario", outcome, 1.5)
                          for name, outcome in outcomes.items())
        folder = root / run_id
        folder.mkdir(parents=True)
        (folder / "run.json").write_text(json.dumps(run_json(RunResult(run_id, "live", "p", started, duration,
                                                                       scenarios))))
    return root


def test_cli_writes_the_trend_view_and_keeps_its_exit_code(history_dir: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "trend.html"
    assert main(["report", "--history", str(history_dir), "--html", str(out)]) == 1      # a regression
    printed = capsys.readouterr().out
    assert f"trend view: {out}" in printed and "regressions (passed before, failing now)" in printed
    page = out.read_text()
    assert "<script" not in page and "http://" not in page and "https://" not in page
    assert main(["report", "--history", str(history_dir), "--html", str(tmp_path / "no" / "such" / "x.html")]) == 1
    assert "--html" in capsys.readouterr().err


def test_strips_are_oldest_first_and_mark_flaky_and_regressed(history_dir: Path) -> None:
    page = render_history_html(summarise(history_dir, last=14))
    found = re.findall(r"<tr class='scenario ?([^']*)' data-nodeid='features/x.feature::test_(\w+)'", page)
    rows = {name: marks for marks, name in found}
    assert rows == {"pools": "regressed flaky", "route": "flaky", "ingress": "", "disk": ""}
    assert page.index("test_pools'") < page.index("test_route'") < page.index("test_ingress'")  # worst first
    strip = re.search(r"data-nodeid='features/x.feature::test_pools'><td>(<svg class='strip'.*?</svg>)", page)
    assert strip is not None
    cells = ET.fromstring(strip.group(1)).findall("rect")
    assert [c.get("fill") for c in cells] == [COLOURS["passed"]] * 3 + [COLOURS["failed"]]
    assert [(c.find("title").text or "").split(":")[0] for c in cells] == [r[0] for r in RUNS]   # type: ignore[union-attr]
    disk = re.search(r"test_disk'><td>(<svg class='strip'.*?</svg>)", page)
    assert disk is not None and ET.fromstring(disk.group(1)).findall("rect")[0].get("fill") == COLOURS["-"]
    bars = re.findall(r"<rect class='duration'[^>]*height='([\d.]+)'[^>]*><title>([^<]*)</title>", page)
    assert [t.split(" ")[0] for _, t in bars] == [r[0] for r in RUNS]
    heights = [float(h) for h, _ in bars]
    assert heights.index(max(heights)) == 1 and "55.5s" in bars[1][1]


def test_chromium_renders_the_trend_view(history_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "trend.html"
    out.write_text(render_history_html(summarise(history_dir, last=14)))
    page = render(out, tmp_path, size=(1000, 700), name="trend")
    assert not page.console, page.console
    assert page.dom.count('<svg class="strip"') == 4 and page.dom.count('<rect class="duration"') == 4
    for colour in (COLOURS["passed"], COLOURS["failed"], COLOURS["waived"]):
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        assert page.colours[rgb] > 100, f"{colour} not on screen"       # strips drawn, not just present
