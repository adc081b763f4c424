"""A finished run as typed values, and its machine-readable form ``run.json``.

    run = RunResult(run_id="0612-ab12cd", target="lab", profile="home-ops.yaml", started=..., ...)
    Path("run.json").write_text(json.dumps(run_json(run))); again = parse_run_json(path)

``run.json`` (schema 1) holds per scenario: nodeid, feature, name, outcome (one of OUTCOMES,
``waived`` for a failure turned xfail by a waiver), duration in seconds, the message's first
line, an optional note, and the steps. Evidence and full failure text are only in the HTML and
Markdown reports.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.reporting.evidence import Evidence

SCHEMA = 1
OUTCOMES = ("passed", "failed", "error", "waived", "xfailed", "xpassed", "skipped")
FAILED = frozenset({"failed", "error"})


@dataclass(frozen=True)
class StepResult:
    keyword: str
    name: str
    outcome: str      # passed, failed, or "not run"
    duration: float


@dataclass(frozen=True)
class ScenarioResult:
    nodeid: str
    feature: str
    name: str
    outcome: str
    duration: float
    message: str = ""          # first line of the failure / skip / xfail reason
    details: str = ""          # the full failure text (redacted)
    note: str = ""             # waiver remarks
    steps: tuple[StepResult, ...] = ()
    evidence: tuple[Evidence, ...] = ()


@dataclass(frozen=True)
class RunResult:
    run_id: str
    target: str
    profile: str
    started: str               # ISO 8601, local time with offset
    duration: float
    scenarios: tuple[ScenarioResult, ...]
    session_evidence: tuple[Evidence, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        seen = Counter(s.outcome for s in self.scenarios)
        return {o: seen[o] for o in OUTCOMES if seen[o]}

    def features(self) -> dict[str, list[ScenarioResult]]:
        grouped: dict[str, list[ScenarioResult]] = {}
        for scenario in self.scenarios:
            grouped.setdefault(scenario.feature, []).append(scenario)
        return grouped


def run_json(run: RunResult) -> dict[str, Any]:
    return {
        "schema": SCHEMA, "run_id": run.run_id, "target": run.target, "profile": run.profile,
        "started": run.started, "duration": round(run.duration, 3), "counts": run.counts,
        "scenarios": [_scenario_json(s) for s in run.scenarios],
    }


def _scenario_json(s: ScenarioResult) -> dict[str, Any]:
    out: dict[str, Any] = {"nodeid": s.nodeid, "feature": s.feature, "name": s.name, "outcome": s.outcome,
                           "duration": round(s.duration, 3), "message": s.message}
    if s.note:
        out["note"] = s.note
    out["steps"] = [{"keyword": t.keyword, "name": t.name, "outcome": t.outcome, "duration": round(t.duration, 3)}
                    for t in s.steps]
    return out


def parse_run_json(path: Path) -> RunResult:
    """Read a ``run.json``; a missing field or wrong shape is a ConfigError naming the file."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return RunResult(
            run_id=str(doc["run_id"]), target=str(doc["target"]), profile=str(doc["profile"]),
            started=str(doc["started"]), duration=float(doc["duration"]),
            scenarios=tuple(_parse_scenario(s) for s in doc["scenarios"]))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not a run.json: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a run.json (schema {SCHEMA}): missing or malformed {exc}") from None


def _parse_scenario(doc: dict[str, Any]) -> ScenarioResult:
    outcome = str(doc["outcome"])
    if outcome not in OUTCOMES:
        raise ValueError(f"scenario {doc.get('nodeid')!r} has unknown outcome {outcome!r}")
    steps = tuple(StepResult(str(t["keyword"]), str(t["name"]), str(t["outcome"]), float(t["duration"]))
                  for t in doc.get("steps", []))
    return ScenarioResult(nodeid=str(doc["nodeid"]), feature=str(doc["feature"]), name=str(doc["name"]),
                          outcome=outcome, duration=float(doc["duration"]), message=str(doc.get("message", "")),
                          note=str(doc.get("note", "")), steps=steps)
