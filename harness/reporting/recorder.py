"""What the plugin learns about one test while it runs, turned into a ScenarioResult at the end.

    record = ItemRecord(item.nodeid, feature="tests/x.py", name=item.name)
    record.add_phase(report); result = record.result()

Outcome rules follow pytest's own (``_pytest.skipping``, ``_pytest.terminal``): a failed setup
or teardown is an ``error``; a report with ``wasxfail`` is ``xfailed`` when skipped and
``xpassed`` when passed; a waiver's xfail is ``waived``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from harness.core.evidence import EvidenceLog
from harness.core.redact import redact
from harness.reporting.model import ScenarioResult, StepResult


@dataclass
class StepRecord:
    keyword: str
    name: str
    outcome: str = "not run"
    started: float | None = None
    duration: float = 0.0

    def finish(self, outcome: str) -> None:
        self.outcome = outcome
        if self.started is not None:
            self.duration = time.monotonic() - self.started


@dataclass(frozen=True)
class Phase:
    when: str
    outcome: str
    duration: float
    text: str
    message: str
    wasxfail: str | None


@dataclass
class ItemRecord:
    nodeid: str
    feature: str
    name: str
    log: EvidenceLog = field(default_factory=EvidenceLog)
    steps: list[StepRecord] = field(default_factory=list)
    phases: list[Phase] = field(default_factory=list)
    waived: bool = False
    message_prefix: str = ""   # an expired waiver's words in front of the failure
    notes: list[str] = field(default_factory=list)
    file: str = ""             # a Gherkin scenario's feature file and line (scenarios.scenario_id)
    line: int | None = None

    def step_started(self, keyword: str, name: str) -> None:
        step = self._find(keyword, name)
        step.started = time.monotonic()

    def step_finished(self, keyword: str, name: str, outcome: str) -> None:
        self._find(keyword, name).finish(outcome)

    def _find(self, keyword: str, name: str) -> StepRecord:
        for step in self.steps:  # the first not-yet-finished step of that text
            if step.name == name and step.outcome == "not run":
                return step
        self.steps.append(StepRecord(keyword, name))  # a step the scenario did not list up front
        return self.steps[-1]

    def add_phase(self, report: Any) -> None:
        text = "" if report.longrepr is None else redact(_longrepr_text(report))
        message = _first_line(crash_message(report)) or _first_line(text)
        self.phases.append(Phase(report.when, report.outcome, float(report.duration), text, redact(message),
                                 getattr(report, "wasxfail", None)))

    def result(self) -> ScenarioResult:
        outcome, message, details = self._outcome()
        return ScenarioResult(
            nodeid=self.nodeid, feature=self.feature, name=self.name, outcome=outcome,
            duration=sum(p.duration for p in self.phases), message=redact(message), details=details,
            note="; ".join(self.notes), evidence=self.log.items(),
            steps=tuple(StepResult(s.keyword, s.name, s.outcome, s.duration) for s in self.steps),
            file=self.file, line=self.line)

    def _outcome(self) -> tuple[str, str, str]:
        for phase in self.phases:
            if phase.outcome == "failed":
                kind = "failed" if phase.when == "call" else "error"
                prefix = self.message_prefix if phase.when == "call" else ""
                return kind, prefix + phase.message + _where(phase.when), phase.text
            if phase.wasxfail is not None:
                if phase.outcome == "skipped":
                    return ("waived" if self.waived else "xfailed"), phase.wasxfail, phase.text
                return "xpassed", phase.wasxfail, ""
            if phase.outcome == "skipped":
                return "skipped", _skip_reason(phase.text), ""
        return "passed", "", ""


def _longrepr_text(report: Any) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:  # skip: (path, lineno, reason)
        return str(longrepr[2])
    return str(report.longreprtext)


def crash_message(report: Any) -> str:
    """The one-line reason pytest puts in its short summary, if the report has one."""
    crash = getattr(report.longrepr, "reprcrash", None)
    return str(crash.message) if crash is not None else ""


def _first_line(text: str) -> str:
    """The exception line (``E   ...``) when there is one, else the first non-empty line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("E "):
            return line[1:].strip()
    return lines[0] if lines else ""


def _skip_reason(text: str) -> str:
    return text.removeprefix("Skipped: ").strip()


def _where(when: str) -> str:
    return "" if when == "call" else f" (in {when})"
