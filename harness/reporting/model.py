"""A finished run as typed values, and its machine-readable form ``run.json``.

    run = RunResult(run_id="0612-ab12cd", target="lab", profile="home-ops.yaml", started=..., ...)
    Path("run.json").write_text(json.dumps(run_json(run))); again = parse_run_json(path)

``run.json`` (schema 1) holds per scenario: nodeid, feature, name, outcome (one of OUTCOMES,
``waived`` for a failure turned xfail by a waiver), duration in seconds, the message's first
line, an optional note, the steps, and (for Gherkin scenarios) the feature ``file`` and the
scenario's ``line``; on a repo run also ``drift``, the drift table (rows and gaps), so a later run
can use it as its baseline. Evidence and full failure text are only in the HTML and Markdown reports.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError
from harness.core.evidence import Evidence

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
    file: str = ""             # the feature file (relative to the rootdir) of a Gherkin scenario
    line: int | None = None    # the scenario's line in it (1-based)

    @property
    def location(self) -> str:
        """``features/bgp.feature:13``, or the nodeid for a plain test."""
        if not self.file:
            return self.nodeid
        return f"{self.file}:{self.line}" if self.line else self.file


DRIFT_STATUSES = ("new", "fixed", "unchanged")


@dataclass(frozen=True)
class DriftRow:
    """One value where the profile and the repo disagree, placed in the repo and owned by a scenario.

    ``status`` (new / fixed / unchanged) is filled only against a baseline; None without one.
    """

    field: str
    profile: str
    repo: str
    where: str                 # as the drift check wrote it: file, Flux Kustomization, YAML path
    file: str = ""             # repo-relative file, when ``where`` names exactly one that exists
    line: int | None = None    # 1-based line in ``file``, where known
    scenario: str = ""         # the name of the scenario that fails on this row
    owner: str = ""            # otherwise: which judgement owns it, or why no scenario judges it
    status: str | None = None
    nodeid: str = ""           # that scenario's nodeid (the report links its entry)

    @property
    def location(self) -> str:
        """``file:line``, ``file``, or (no single file) the drift's own words for where it is."""
        if not self.file:
            return self.where
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def detail(self) -> str:
        """What ``where`` says beyond the file: the Flux Kustomization, a YAML path, ..."""
        if not self.file:
            return ""
        rest = self.where[len(self.file):] if self.where.startswith(self.file) else self.where
        return re.sub(r"^:\d+", "", rest).strip(" :")


@dataclass(frozen=True)
class DriftTable:
    repo: str                             # the repo checkout judged
    rows: tuple[DriftRow, ...]
    gaps: tuple[str, ...] = ()            # files or paths the repo refers to but lacks / could not evaluate

    @property
    def has_status(self) -> bool:
        return any(r.status is not None for r in self.rows)


@dataclass(frozen=True)
class RoutingContext:
    """What the profile says about the routing picture's actors (names only; values come from evidence)."""

    router: str                                        # the router's name, e.g. "udm"
    nodes: tuple[tuple[str, tuple[str, ...]], ...]     # (node name, its addresses)
    lb_ranges: tuple[tuple[str, str], ...]             # (family, CIDR) the cluster may advertise


@dataclass(frozen=True)
class RunResult:
    run_id: str
    target: str
    profile: str
    started: str               # ISO 8601, local time with offset
    duration: float
    scenarios: tuple[ScenarioResult, ...]
    session_evidence: tuple[Evidence, ...] = ()
    drift: DriftTable | None = None            # repo target: the drift table
    routing: RoutingContext | None = None      # from the profile, when the run had one

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
    out = {
        "schema": SCHEMA, "run_id": run.run_id, "target": run.target, "profile": run.profile,
        "started": run.started, "duration": round(run.duration, 3), "counts": run.counts,
        "scenarios": [_scenario_json(s) for s in run.scenarios],
    }
    if run.drift is not None:
        out["drift"] = {"repo": run.drift.repo, "gaps": list(run.drift.gaps),
                        "rows": [{k: v for k, v in vars(r).items() if v not in (None, "")} for r in run.drift.rows]}
    return out


def _scenario_json(s: ScenarioResult) -> dict[str, Any]:
    out: dict[str, Any] = {"nodeid": s.nodeid, "feature": s.feature, "name": s.name, "outcome": s.outcome,
                           "duration": round(s.duration, 3), "message": s.message}
    if s.note:
        out["note"] = s.note
    if s.file:
        out["file"], out["line"] = s.file, s.line
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
            scenarios=tuple(_parse_scenario(s) for s in doc["scenarios"]),
            drift=_parse_drift(doc["drift"]) if "drift" in doc else None)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise ConfigError(f"{path}: not a run.json: {exc}") from exc
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: not a run.json (schema {SCHEMA}): missing or malformed {exc}") from exc


def _parse_scenario(doc: dict[str, Any]) -> ScenarioResult:
    outcome = str(doc["outcome"])
    if outcome not in OUTCOMES:
        raise ValueError(f"scenario {doc.get('nodeid')!r} has unknown outcome {outcome!r}")
    steps = tuple(StepResult(str(t["keyword"]), str(t["name"]), str(t["outcome"]), float(t["duration"]))
                  for t in doc.get("steps", []))
    return ScenarioResult(nodeid=str(doc["nodeid"]), feature=str(doc["feature"]), name=str(doc["name"]),
                          outcome=outcome, duration=float(doc["duration"]), message=str(doc.get("message", "")),
                          note=str(doc.get("note", "")), steps=steps, file=str(doc.get("file") or ""),
                          line=int(doc["line"]) if doc.get("line") is not None else None)


def _parse_drift(doc: dict[str, Any]) -> DriftTable:
    rows = []
    for row in doc["rows"]:
        status = row.get("status")
        if status is not None and status not in DRIFT_STATUSES:
            raise ValueError(f"drift row {row.get('field')!r} has unknown status {status!r}")
        rows.append(DriftRow(
            field=str(row["field"]), profile=str(row["profile"]), repo=str(row["repo"]), where=str(row["where"]),
            file=str(row.get("file", "")), line=int(row["line"]) if row.get("line") is not None else None,
            scenario=str(row.get("scenario", "")), owner=str(row.get("owner", "")), status=status,
            nodeid=str(row.get("nodeid", ""))))
    return DriftTable(str(doc["repo"]), tuple(rows), tuple(str(g) for g in doc.get("gaps", ())))
