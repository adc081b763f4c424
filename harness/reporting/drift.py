"""The drift table of a repo run, for report.html / report.md / run.json.

    table = drift_table(judge, run_scenarios)     # rows placed in the repo, each with its scenario

A row's scenario is the one whose failure states the row (each repo-judgeable scenario fails with
exactly the drift lines of its slice, :mod:`harness.rules.judge`); a row no scenario judges says
why (a Talos patch talhelper never applies, a field no scenario owns). When the judge was given a
baseline (``RepoJudge.against``), every judged row has a status — ``new`` (fails its scenario) or
``unchanged`` (existing debt, not failed) — and the baseline's findings the repo no longer has are
added as ``fixed``; without one, ``status`` stays None and the reports show no status column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from harness.reporting.model import DriftRow, DriftTable, ScenarioResult

if TYPE_CHECKING:
    from harness.rules.judge import RepoJudge


def drift_table(judge: RepoJudge, scenarios: Sequence[ScenarioResult]) -> DriftTable:
    status = _statuses(judge)
    ref = str(getattr(judge, "baseline_ref", "") or "the baseline")
    rows = []
    for row in judge.rows():
        d = row.drift
        text = str(d)
        state = status.get(d) if status is not None else None
        owner = next((s for s in scenarios if text in s.message or text in s.details), None)
        if owner is not None:
            note = ""
        elif row.owner is not None and state == "unchanged":
            note = f"existing at {ref}: listed, not failed ('{row.owner}' check)"
        elif row.owner is not None:
            note = f"judged by the '{row.owner}' check (its scenario did not run, or did not fail on it)"
        else:
            note = row.note or "drift report only"
        rows.append(DriftRow(field=d.field, profile=d.profile_value, repo=d.repo_value, where=d.where,
                             file=row.file, line=row.line, scenario=owner.name if owner else "",
                             owner=note, nodeid=owner.nodeid if owner else "", status=state))
    if status is not None:
        rows += [DriftRow(field=d.field, profile=d.profile_value, repo=d.repo_value, where=d.where,
                          owner=f"in {ref}, no longer in the repo", status="fixed") for d in _fixed(judge)]
    return DriftTable(str(judge.repo.root), tuple(rows), tuple(str(g) for g in judge.repo.gaps))


def _statuses(judge: Any) -> dict[Any, str] | None:
    """Drift -> new / unchanged, when the judge has a baseline; None without one."""
    if getattr(judge, "baseline", None) is None or not callable(getattr(judge, "changes", None)):
        return None
    new, _, unchanged = judge.changes()
    return {**{d: "unchanged" for d in unchanged}, **{d: "new" for d in new}}


def _fixed(judge: Any) -> list[Any]:
    return list(judge.changes()[1])
