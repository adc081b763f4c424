"""The run as one self-contained HTML page: inline CSS, no scripts, no external assets.

    page = render_html(run)
    (report_dir / "report.html").write_text(page, encoding="utf-8")

Features → scenarios as ``<details>`` (failures open): outcome, duration, steps, failure message,
evidence and diagnostics. Every text is redacted again and HTML-escaped here.
"""

from __future__ import annotations

from html import escape

from harness.redact import redact
from harness.reporting.evidence import Evidence
from harness.reporting.model import FAILED, RunResult, ScenarioResult

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}table.summary td{padding:2px 12px 2px 0}
.badge{display:inline-block;min-width:5.5em;padding:0 6px;border-radius:4px;color:#fff;text-align:center}
.passed{background:#2e7d32}.failed,.error{background:#c62828}.waived,.xfailed{background:#ef6c00}
.xpassed{background:#6a1b9a}.skipped,.not-run{background:#757575}
details{margin:4px 0 4px 1em}summary{cursor:pointer}
pre{background:#f5f5f5;padding:8px;overflow-x:auto;white-space:pre-wrap}
.note{color:#ef6c00}.msg{color:#c62828}.dur{color:#666}
table.steps td{padding:1px 10px 1px 0}
"""


def render_html(run: RunResult) -> str:
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e('Conformance run ' + run.run_id)}"
             f"</title><style>{_CSS}</style></head><body>", _summary(run)]
    for feature, scenarios in run.features().items():
        failed = any(s.outcome in FAILED for s in scenarios)
        parts.append(f"<details{' open' if failed else ''}><summary><b>{_e(feature)}</b> "
                     f"<span class='dur'>({len(scenarios)} scenario(s))</span></summary>")
        parts.extend(_scenario(s) for s in scenarios)
        parts.append("</details>")
    if run.session_evidence:
        parts.append("<h2>Session evidence</h2>" + _evidence(run.session_evidence))
    parts.append("</body></html>")
    return "\n".join(parts)


def _summary(run: RunResult) -> str:
    counts = " ".join(f"<span class='badge {o}'>{n} {o}</span>" for o, n in run.counts.items()) or "no tests"
    rows = [("run id", _e(run.run_id)), ("target", _e(run.target)), ("profile", _e(run.profile)),
            ("started", _e(run.started)), ("duration", f"{run.duration:.1f}s"), ("results", counts)]
    body = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<h1>Conformance run {_e(run.run_id)}</h1><table class='summary'>{body}</table>"


def _scenario(s: ScenarioResult) -> str:
    is_open = " open" if s.outcome in FAILED else ""
    head = (f"<summary>{_badge(s.outcome)} {_e(s.name)} <span class='dur'>{s.duration:.2f}s</span></summary>")
    body = [f"<div class='dur'>{_e(s.nodeid)}</div>"]
    if s.note:
        body.append(f"<div class='note'>{_e(s.note)}</div>")
    if s.message:
        body.append(f"<div class='msg'>{_e(s.message)}</div>")
    if s.steps:
        body.append("<table class='steps'>" + "".join(
            f"<tr><td>{_badge(t.outcome)}</td><td>{_e(t.keyword)} {_e(t.name)}</td>"
            f"<td class='dur'>{t.duration:.2f}s</td></tr>" for t in s.steps) + "</table>")
    if s.details:
        body.append(f"<details><summary>failure</summary><pre>{_e(s.details)}</pre></details>")
    body.append(_evidence(s.evidence))
    return f"<details{is_open}>{head}{''.join(body)}</details>"


def _evidence(items: tuple[Evidence, ...]) -> str:
    return "".join(f"<details><summary>{_e(ev.kind)}: {_e(ev.title)}</summary><pre>{_e(ev.body)}</pre></details>"
                   for ev in items)


def _badge(outcome: str) -> str:
    return f"<span class='badge {outcome.replace(' ', '-')}'>{_e(outcome)}</span>"


def _e(text: str) -> str:
    return escape(redact(text))
