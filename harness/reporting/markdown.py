"""The run as Markdown (for a PR comment or an issue): the same content as the HTML report.

    text = render_markdown(run)
    (report_dir / "report.md").write_text(text, encoding="utf-8")

Code fences are made longer than any backtick run inside them, so evidence cannot break out.
"""

from __future__ import annotations

import re

from harness.redact import redact
from harness.reporting.evidence import Evidence
from harness.reporting.model import RunResult, ScenarioResult

_MARK = {"passed": "✅", "failed": "❌", "error": "❌", "waived": "⚠️", "xfailed": "⚠️", "xpassed": "❗",
         "skipped": "⏭️"}


def render_markdown(run: RunResult) -> str:
    counts = ", ".join(f"{n} {o}" for o, n in run.counts.items()) or "no tests"
    lines = [f"# Conformance run {run.run_id}", "",
             f"- target: {run.target}", f"- profile: {run.profile}", f"- started: {run.started}",
             f"- duration: {run.duration:.1f}s", f"- results: {counts}", ""]
    for feature, scenarios in run.features().items():
        lines += [f"## {feature}", ""]
        for scenario in scenarios:
            lines += _scenario(scenario)
    if run.session_evidence:
        lines += ["## Session evidence", ""] + _evidence(run.session_evidence)
    return redact("\n".join(lines)) + "\n"


def _scenario(s: ScenarioResult) -> list[str]:
    lines = [f"### {_MARK.get(s.outcome, '•')} {s.name} — {s.outcome} ({s.duration:.2f}s)", "", f"`{s.nodeid}`", ""]
    if s.note:
        lines += [f"> note: {s.note}", ""]
    if s.message:
        lines += [f"**{s.outcome}:** {s.message}", ""]
    lines += [f"- {t.keyword} {t.name} — {t.outcome} ({t.duration:.2f}s)" for t in s.steps]
    if s.steps:
        lines.append("")
    if s.details:
        lines += ["<details><summary>failure</summary>", "", *_fenced(s.details), "</details>", ""]
    return lines + _evidence(s.evidence)


def _evidence(items: tuple[Evidence, ...]) -> list[str]:
    lines: list[str] = []
    for ev in items:
        lines += [f"**{ev.kind}: {ev.title}**", "", *_fenced(ev.body), ""]
    return lines


def _fenced(text: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text.rstrip("\n"), fence]
