"""The run history as one self-contained HTML page: a pass/fail strip per scenario and the duration trend.

    python -m harness report --history /var/lib/home-ops-conformance/history --html trend.html
    Path("trend.html").write_text(render_history_html(summarise(history_dir, last=14)))

Oldest run on the left. Each scenario's strip has one cell per run, coloured by its outcome (the
run id and outcome on hover); flaky and regressed scenarios are marked and listed first with the
worst pass rates. The duration trend is bars (one per run) with a line over them. Inline CSS and
SVG only: no scripts, no external references.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from harness.core.errors import HarnessError
from harness.core.redact import redact
from harness.reporting.history import History, ScenarioTrend

COLOURS = {"passed": "#2e7d32", "xpassed": "#6a1b9a", "failed": "#c62828", "error": "#b71c1c",
           "waived": "#ef6c00", "xfailed": "#f57c00", "skipped": "#9e9e9e", "-": "#eeeeee"}
CELL, GAP = 16, 2

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}h1{font-size:1.4em}
table.trend{border-collapse:collapse}table.trend td,table.trend th{padding:2px 10px 2px 0;text-align:left;
vertical-align:middle}table.trend th{border-bottom:1px solid #ccc}
.mark{display:inline-block;padding:0 6px;border-radius:4px;color:#fff;font-size:12px;margin-right:4px}
.mark.flaky{background:#ef6c00}.mark.regressed{background:#c62828}
tr.regressed td:last-child{font-weight:bold}.dur{color:#666}.legend span{margin-right:12px}
.sw{display:inline-block;width:12px;height:12px;vertical-align:middle;margin-right:4px}
"""


def _e(text: str) -> str:
    return escape(redact(text), quote=True)


def render_history_html(history: History) -> str:
    runs = len(history.runs)
    span = f"{history.runs[0]} → {history.runs[-1]}" if runs else "no runs"
    regressed = set(history.regressions)
    parts = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{_e('Conformance history: ' + span)}</title>"
             f"<style>{_CSS}</style></head><body>",
             f"<h1>Conformance history: {runs} run(s), {_e(span)}</h1>",
             _lists(history), "<h2>Run duration</h2>", duration_svg(history), "<h2>Scenarios (oldest run first)</h2>",
             _legend(), _table(history, regressed), "</body></html>"]
    return "\n".join(parts)


def _lists(history: History) -> str:
    names = {t.nodeid: t.name for t in history.scenarios}
    def item(nodeid: str) -> str:
        return f"<li>{_e(names.get(nodeid, nodeid))} <span class='dur'>{_e(nodeid)}</span></li>"

    regressions = "".join(item(n) for n in history.regressions)
    flaky = "".join(item(n) for n in history.flaky)
    return ("<p><span class='mark regressed'>regressed</span> passed in the previous run, failing in the latest: "
            + (f"</p><ul class='regressions'>{regressions}</ul>" if regressions else "none</p>")
            + "<p><span class='mark flaky'>flaky</span> both passed and failed in these runs: "
            + (f"</p><ul class='flaky'>{flaky}</ul>" if flaky else "none</p>"))


def _legend() -> str:
    shown = ("passed", "failed", "error", "waived", "xfailed", "xpassed", "skipped", "-")
    return "<p class='legend'>" + "".join(
        f"<span><i class='sw' style='background:{COLOURS[o]}'></i>{'not run' if o == '-' else o}</span>"
        for o in shown) + "</p>"


def _order(trend: ScenarioTrend, regressed: set[str]) -> tuple[int, float, str]:
    return (0 if trend.nodeid in regressed else 1 if trend.is_flaky else 2,
            trend.pass_rate if trend.pass_rate is not None else 2.0, trend.nodeid)


def _table(history: History, regressed: set[str]) -> str:
    rows = []
    for trend in sorted(history.scenarios, key=lambda t: _order(t, regressed)):
        marks = ("<span class='mark regressed'>regressed</span>" if trend.nodeid in regressed else "") + (
            "<span class='mark flaky'>flaky</span>" if trend.is_flaky else "")
        rate = f"{trend.pass_rate:.0%}" if trend.pass_rate is not None else "n/a"
        status = " ".join(c for c, on in (("regressed", trend.nodeid in regressed), ("flaky", trend.is_flaky)) if on)
        rows.append(f"<tr class='scenario {status}' data-nodeid='{_e(trend.nodeid)}'>"
                    f"<td>{strip_svg(trend, history.runs)}</td><td>{rate}</td>"
                    f"<td class='dur'>{trend.median_duration:.2f}s</td><td>{marks}</td>"
                    f"<td title='{_e(trend.nodeid)}'>{_e(trend.name)}</td></tr>")
    return ("<table class='trend'><tr><th>runs</th><th>pass rate</th><th>median</th><th></th><th>scenario</th></tr>"
            + "".join(rows) + "</table>")


def strip_svg(trend: ScenarioTrend, runs: tuple[str, ...]) -> str:
    """One cell per run, oldest on the left, coloured by outcome; the run and outcome on hover."""
    width = max(1, len(trend.outcomes)) * (CELL + GAP)
    cells = []
    for index, outcome in enumerate(trend.outcomes):
        run = runs[index] if index < len(runs) else "?"
        label = "not run" if outcome == "-" else outcome
        cells.append(f"<rect class='run {_e(outcome.replace('-', 'not-run'))}' x='{index * (CELL + GAP)}' y='0' "
                     f"width='{CELL}' height='{CELL}' rx='2' fill='{COLOURS.get(outcome, '#000')}'>"
                     f"<title>{_e(f'{run}: {label}')}</title></rect>")
    return (f"<svg class='strip' width='{width}' height='{CELL}' viewBox='0 0 {width} {CELL}' role='img' "
            f"aria-label='{_e(trend.name)}'>" + "".join(cells) + "</svg>")


def duration_svg(history: History) -> str:
    """Bars per run (oldest left) with a line over their tops; the run, its start and duration on hover."""
    durations = list(history.durations)
    if not durations:
        return "<p class='dur'>No durations recorded.</p>"
    bar, gap, left, top, plot_h = 22, 8, 56, 12, 160
    width = left + len(durations) * (bar + gap) + 16
    height = top + plot_h + 28
    peak = max(durations) or 1.0
    parts = [f"<svg class='durations' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
             f"aria-label='run durations' font-family='system-ui,sans-serif' font-size='11'>",
             f"<line x1='{left - 4}' y1='{top + plot_h}' x2='{width - 8}' y2='{top + plot_h}' stroke='#999'/>",
             f"<text x='{left - 8}' y='{top + 8}' text-anchor='end' fill='#666'>{peak:.0f}s</text>",
             f"<text x='{left - 8}' y='{top + plot_h}' text-anchor='end' fill='#666'>0s</text>"]
    points = []
    for index, seconds in enumerate(durations):
        h = max(1.0, plot_h * seconds / peak)
        x = left + index * (bar + gap)
        run = history.runs[index] if index < len(history.runs) else "?"
        started = history.started[index] if index < len(history.started) else ""
        parts.append(f"<rect class='duration' x='{x}' y='{top + plot_h - h:.1f}' width='{bar}' height='{h:.1f}' "
                     f"fill='#90caf9'><title>{_e(f'{run} ({started}): {seconds:.1f}s')}</title></rect>")
        points.append(f"{x + bar / 2:.1f},{top + plot_h - h:.1f}")
    parts.append(f"<polyline points='{' '.join(points)}' fill='none' stroke='#1565c0' stroke-width='2'/>")
    parts.append(f"<text x='{left}' y='{height - 6}' fill='#666'>oldest</text>"
                 f"<text x='{width - 16}' y='{height - 6}' text-anchor='end' fill='#666'>newest</text></svg>")
    return "".join(parts)


def write_history_html(history: History, path: Path) -> Path:
    """Write the page (to a temporary name, then renamed); an unwritable path is a HarnessError."""
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(render_history_html(history), encoding="utf-8")
        os.replace(partial, path)
    except OSError as exc:
        raise HarnessError(f"--html {path}: cannot write: {exc.strerror or exc}") from exc
    return path
