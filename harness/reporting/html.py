"""The run as one self-contained HTML page: inline CSS, no scripts, no external assets.

    page = render_html(run)
    (report_dir / "report.html").write_text(page, encoding="utf-8")

The run's summary; the routing picture (inline SVG drawn from the router answers the run read,
:mod:`harness.reporting.bgp_svg`) or the line saying why there is none; the drift table on a repo
run; then features → scenarios as ``<details>`` (failures open), each with its feature file and
line, outcome, duration, steps, failure message, evidence and diagnostics. Every text is redacted
again and HTML-escaped here.
"""

from __future__ import annotations

import hashlib
from html import escape
from urllib.parse import quote

from harness.core.evidence import Evidence
from harness.core.redact import redact
from harness.reporting.bgp_svg import render_svg
from harness.reporting.model import FAILED, DriftRow, DriftTable, RunResult, ScenarioResult
from harness.reporting.routing import RoutingState, routing_states, why_no_routing

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
.loc{color:#666;font-family:ui-monospace,monospace;font-size:12px}
table.drift{border-collapse:collapse;margin:8px 0}table.drift th,table.drift td{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top}table.drift th{background:#f0f0f0}
.why{color:#555;font-style:italic}svg.routing{max-width:100%;height:auto;border:1px solid #ddd}
.st-new{color:#c62828;font-weight:bold}.st-fixed{color:#2e7d32}.st-unchanged{color:#666}
"""


def render_html(run: RunResult) -> str:
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e('Conformance run ' + run.run_id)}"
             f"</title><style>{_CSS}</style></head><body>", _summary(run), _routing(run)]
    if run.drift is not None:
        parts.append(_drift(run.drift))
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
    reason = f" <span class='why'>— {_e(s.message)}</span>" if s.message and s.outcome not in FAILED else ""
    head = (f"<summary>{_badge(s.outcome)} {_e(s.name)} <span class='dur'>{s.duration:.2f}s</span> "
            f"<span class='loc'>{_e(s.location)}</span>{reason}</summary>")
    body = [f"<div class='dur'>{_e(s.nodeid)}</div>"]
    if s.note:
        body.append(f"<div class='note'>{_e(s.note)}</div>")
    if s.message:
        body.append(f"<div class='{'msg' if s.outcome in FAILED else 'note'}'>{_e(s.message)}</div>")
    if s.steps:
        body.append("<table class='steps'>" + "".join(
            f"<tr><td>{_badge(t.outcome)}</td><td>{_e(t.keyword)} {_e(t.name)}</td>"
            f"<td class='dur'>{t.duration:.2f}s</td></tr>" for t in s.steps) + "</table>")
    if s.details:
        body.append(f"<details><summary>failure</summary><pre>{_e(s.details)}</pre></details>")
    body.append(_evidence(s.evidence))
    return f"<details{is_open} id='{_anchor(s.nodeid)}'>{head}{''.join(body)}</details>"


def _anchor(nodeid: str) -> str:
    """A stable id for a scenario's entry (the drift table links it)."""
    return "s-" + hashlib.sha1(nodeid.encode()).hexdigest()[:12]


def _routing(run: RunResult) -> str:
    states = routing_states(run)
    if not states:
        return f"<h2>Routing</h2><p class='why'>{_e(why_no_routing(run))}</p>"
    return "".join(_routing_state(state) for state in states)


def _routing_state(state: RoutingState) -> str:
    failing = state.failing
    head = (f"<h2>Routing at {_e(state.router)}</h2><p>{len(state.nodes)} node(s), {len(state.edges)} session edge(s), "
            f"{len(state.prefixes)} prefix verdict(s); " + (f"<span class='msg'>{len(failing)} failing</span>"
                                                             if failing else "none failing") + "</p>")
    notes = "".join(f"<li class='why'>{_e(n)}</li>" for n in state.notes)
    drawn = "".join(f"<li>{_e(t)}</li>" for t in state.tables)
    failures = "".join(f"<li class='msg'>{_e(f)}</li>" for f in failing)
    return (head + render_svg(state)
            + (f"<details open><summary>failing</summary><ul>{failures}</ul></details>" if failures else "")
            + f"<details><summary>drawn from the router's answers</summary><ul>{drawn}{notes}</ul></details>")


def _drift(drift: DriftTable) -> str:
    head = f"<h2>Drift: profile vs repo {_e(drift.repo)}</h2>"
    if not drift.rows:
        body = "<p>No drift: the repo agrees with the profile on every checked value.</p>"
    else:
        status = drift.has_status
        cols = ["field", "profile", "repo", "file", "scenario"] + (["status"] if status else [])
        rows = []
        for r in drift.rows:
            owner = (f"<a href='#{_anchor(r.nodeid)}'>{_e(r.scenario)}</a>" if r.scenario and r.nodeid
                     else _e(r.scenario) if r.scenario else f"<span class='why'>{_e(r.owner or 'report only')}</span>")
            cells = [_e(r.field), _e(r.profile), _e(r.repo), _file_cell(drift.repo, r), owner]
            if status:
                cells.append(f"<span class='st-{_e(r.status or '')}'>{_e(r.status or '')}</span>")
            rows.append("<tr class='drift-row'>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        body = ("<table class='drift'><tr>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>"
                + "".join(rows) + "</table>")
    gaps = "".join(f"<li>{_e(g)}</li>" for g in drift.gaps)
    return head + body + (f"<p>Not evaluated (missing or unsupported in the repo):</p><ul>{gaps}</ul>" if gaps else "")


def _file_cell(repo: str, row: DriftRow) -> str:
    if not row.file:
        return _e(row.where)
    shown = f"<code>{_e(row.location)}</code>"
    if repo.startswith("/"):  # a local checkout: link the file itself
        shown = f"<a href='file://{_e(quote(repo.rstrip('/') + '/' + row.file))}'>{shown}</a>"
    return shown + (f"<br><span class='dur'>{_e(row.detail)}</span>" if row.detail else "")


def _evidence(items: tuple[Evidence, ...]) -> str:
    return "".join(f"<details><summary>{_e(ev.kind)}: {_e(ev.title)}</summary><pre>{_e(ev.body)}</pre></details>"
                   for ev in items)


def _badge(outcome: str) -> str:
    return f"<span class='badge {outcome.replace(' ', '-')}'>{_e(outcome)}</span>"


def _e(text: str) -> str:
    return escape(redact(text))
