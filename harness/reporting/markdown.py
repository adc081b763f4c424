"""The run as Markdown (for a PR comment or an issue): the same content as the HTML report.

    text = render_markdown(run)
    (report_dir / "report.md").write_text(text, encoding="utf-8")

Code fences are made longer than any backtick run inside them, so evidence cannot break out.
The routing picture is in the HTML only; here its failing edges and prefixes are listed. The
router's raw answers (JSON) are named, not copied: they would swamp a PR comment.
"""

from __future__ import annotations

import re

from harness.core.evidence import Evidence
from harness.core.redact import redact
from harness.reporting.model import DriftTable, RunResult, ScenarioResult
from harness.reporting.routing import ROUTER_ANSWER, routing_states, why_no_routing

_MARK = {"passed": "✅", "failed": "❌", "error": "❌", "waived": "⚠️", "xfailed": "⚠️", "xpassed": "❗",
         "skipped": "⏭️"}


def render_markdown(run: RunResult) -> str:
    counts = ", ".join(f"{n} {o}" for o, n in run.counts.items()) or "no tests"
    lines = [f"# Conformance run {run.run_id}", "",
             f"- target: {run.target}", f"- profile: {run.profile}", f"- started: {run.started}",
             f"- duration: {run.duration:.1f}s", f"- results: {counts}", ""]
    lines += _routing(run)
    if run.drift is not None:
        lines += _drift(run.drift)
    for feature, scenarios in run.features().items():
        lines += [f"## {feature}", ""]
        for scenario in scenarios:
            lines += _scenario(scenario)
    if run.session_evidence:
        lines += ["## Session evidence", ""] + _evidence(run.session_evidence)
    return redact("\n".join(lines)) + "\n"


def _scenario(s: ScenarioResult) -> list[str]:
    where = f"`{s.location}` · `{s.nodeid}`" if s.file else f"`{s.nodeid}`"
    lines = [f"### {_MARK.get(s.outcome, '•')} {s.name} — {s.outcome} ({s.duration:.2f}s)", "", where, ""]
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


def _routing(run: RunResult) -> list[str]:
    states = routing_states(run)
    if not states:
        return ["## Routing", "", f"_{why_no_routing(run)}_", ""]
    lines: list[str] = []
    for state in states:
        failing = state.failing
        lines += [f"## Routing at {state.router}", "",
                  f"{len(state.nodes)} node(s), {len(state.edges)} session edge(s), {len(state.prefixes)} prefix "
                  f"verdict(s); {len(failing) or 'none'} failing (the picture is in report.html).", ""]
        for text in failing:
            first, *rest = text.splitlines()
            lines.append(f"- ❌ {first}" + "".join(f"<br>{line}" for line in rest))
        lines += [""] if failing else []
    return lines


def _drift(drift: DriftTable) -> list[str]:
    lines = [f"## Drift: profile vs repo {drift.repo}", ""]
    if not drift.rows:
        lines += ["No drift: the repo agrees with the profile on every checked value.", ""]
    else:
        status = drift.has_status
        lines += ["| field | profile | repo | file | scenario |" + (" status |" if status else ""),
                  "|---|---|---|---|---|" + ("---|" if status else "")]
        for r in drift.rows:
            where = (f"`{r.location}`" + (f" {r.detail}" if r.detail else "")) if r.file else r.where
            owner = r.scenario or f"_{r.owner or 'report only'}_"
            cells = [r.field, r.profile, r.repo, where, owner] + ([r.status or ""] if status else [])
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        lines.append("")
    if drift.gaps:
        lines += ["Not evaluated (missing or unsupported in the repo):", "", *[f"- {g}" for g in drift.gaps], ""]
    return lines


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _evidence(items: tuple[Evidence, ...]) -> list[str]:
    lines: list[str] = []
    for ev in items:
        if ev.kind == ROUTER_ANSWER:
            lines += [f"- {ev.kind} read: `{ev.title}` (the JSON is in report.html)", ""]
            continue
        lines += [f"**{ev.kind}: {ev.title}**", "", *_fenced(ev.body), ""]
    return lines


def _fenced(text: str) -> list[str]:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, text.rstrip("\n"), fence]
