"""Write a run's reports into one folder: ``report.html``, ``report.md`` and ``run.json``.

    paths = write_reports(run, Path("reports/2025-06-12T0300"))
    print(paths["html"])

Each file is written to a temporary name and renamed, so a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.core.errors import HarnessError
from harness.reporting.html import render_html
from harness.reporting.markdown import render_markdown
from harness.reporting.model import RunResult, run_json


def write_reports(run: RunResult, directory: Path) -> dict[str, Path]:
    texts = {
        "html": ("report.html", render_html(run)),
        "md": ("report.md", render_markdown(run)),
        "json": ("run.json", json.dumps(run_json(run), indent=2, ensure_ascii=False) + "\n"),
    }
    try:
        directory.mkdir(parents=True, exist_ok=True)
        return {kind: _write(directory / name, text) for kind, (name, text) in texts.items()}
    except OSError as exc:
        raise HarnessError(f"cannot write reports to {directory}: {exc.strerror or exc}") from exc


def _write(path: Path, text: str) -> Path:
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path
