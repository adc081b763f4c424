"""Trends over the last N runs: pass rate, median duration, flaky scenarios and regressions.

    history = summarise(Path("reports"), last=14)      # one sub-folder per run, each with run.json
    print(render(history)); sys.exit(1 if history.has_regressions else 0)
    Path("trend.html").write_text(render_history_html(history))   # harness.reporting.history_html

Runs are ordered by their ``started`` time. A run counts as a pass when ``passed`` or ``xpassed``
and as a failure when ``failed``, ``error``, ``waived`` or ``xfailed``; skips are left out of the
rate. Flaky: both passed and failed within the window. Regression: passed in the previous run
and failed or errored in the latest (a waived failure is accepted, not a regression).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import ConfigError
from harness.reporting.model import FAILED, RunResult, parse_run_json

PASSES = frozenset({"passed", "xpassed"})
FAILS = frozenset({"failed", "error", "waived", "xfailed"})


@dataclass(frozen=True)
class ScenarioTrend:
    nodeid: str
    name: str
    outcomes: tuple[str, ...]        # oldest first; "-" where the scenario did not run
    pass_rate: float | None          # None when it never passed or failed (only skips)
    median_duration: float

    @property
    def is_flaky(self) -> bool:
        return any(o in PASSES for o in self.outcomes) and any(o in FAILS for o in self.outcomes)


@dataclass(frozen=True)
class History:
    runs: tuple[str, ...]            # run ids, oldest first
    scenarios: tuple[ScenarioTrend, ...]
    regressions: tuple[str, ...]     # nodeids
    durations: tuple[float, ...] = ()   # each run's duration in seconds, oldest first
    started: tuple[str, ...] = ()       # each run's start time (ISO 8601), oldest first

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressions)

    @property
    def flaky(self) -> tuple[str, ...]:
        return tuple(s.nodeid for s in self.scenarios if s.is_flaky)


def summarise(history_dir: Path, last: int) -> History:
    if last < 1:
        raise ConfigError(f"--last {last}: expected at least 1 run")
    runs = _load_runs(history_dir)[-last:]
    nodeids = list(dict.fromkeys(s.nodeid for run in runs for s in run.scenarios))
    trends = tuple(_trend(nodeid, runs) for nodeid in nodeids)
    return History(tuple(r.run_id for r in runs), trends, _regressions(runs),
                   durations=tuple(r.duration for r in runs), started=tuple(r.started for r in runs))


def _load_runs(history_dir: Path) -> list[RunResult]:
    if not history_dir.is_dir():
        raise ConfigError(f"history folder {history_dir}: not a directory")
    files = sorted(history_dir.glob("*/run.json"))
    if not files:
        raise ConfigError(f"history folder {history_dir}: no run folders with a run.json")
    return sorted((parse_run_json(f) for f in files), key=lambda r: r.started)


def _trend(nodeid: str, runs: list[RunResult]) -> ScenarioTrend:
    found = [next((s for s in run.scenarios if s.nodeid == nodeid), None) for run in runs]
    present = [s for s in found if s is not None]
    counted = [s.outcome for s in present if s.outcome in PASSES | FAILS]
    passes = sum(1 for o in counted if o in PASSES)
    return ScenarioTrend(
        nodeid=nodeid, name=present[-1].name,
        outcomes=tuple(s.outcome if s is not None else "-" for s in found),
        pass_rate=passes / len(counted) if counted else None,
        median_duration=statistics.median(s.duration for s in present))


def _regressions(runs: list[RunResult]) -> tuple[str, ...]:
    if len(runs) < 2:
        return ()
    before = {s.nodeid: s.outcome for s in runs[-2].scenarios}
    return tuple(s.nodeid for s in runs[-1].scenarios
                 if s.outcome in FAILED and before.get(s.nodeid) in PASSES)


def render(history: History) -> str:
    """A plain-text table, worst pass rate first, then the flaky and regressed scenarios."""
    lines = [f"{len(history.runs)} run(s): {', '.join(history.runs)}", "",
             f"{'pass rate':>9}  {'median':>8}  {'flaky':5}  {'outcomes (oldest first)':24}  scenario"]
    for trend in sorted(history.scenarios, key=lambda t: (t.pass_rate if t.pass_rate is not None else 2, t.nodeid)):
        rate = f"{trend.pass_rate:.0%}" if trend.pass_rate is not None else "n/a"
        marks = "".join(_MARK.get(o, "?") for o in trend.outcomes)
        lines.append(f"{rate:>9}  {trend.median_duration:>7.2f}s  {'yes' if trend.is_flaky else '':5}  "
                     f"{marks:24}  {trend.nodeid}")
    lines.append("")
    lines.append("regressions (passed before, failing now): " + (", ".join(history.regressions) or "none"))
    lines.append("flaky: " + (", ".join(history.flaky) or "none"))
    return "\n".join(lines) + "\n"


_MARK = {"passed": ".", "xpassed": "X", "failed": "F", "error": "E", "waived": "w", "xfailed": "x",
         "skipped": "s", "-": " "}
