"""The three-way drift table: field | profile | repo (file) | live (object) | verdict.

    table = three_way(profile, repo_facts(profile, repo), live_facts(profile, api, ...))
    print(render_markdown(table)); write_json(table, Path("drift.json"))
    table.drifted        # the rows where a source differs from the profile or the sources disagree

One row per field the profile speaks to (harness.model.facts.field_specs), plus a row for each pool a
source has that the profile does not. A source that cannot evidence a field says why in its cell; a
row nobody could read is "not read", never "agrees".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.model.facts import Fact, FieldSpec, SourceFacts, field_specs
from harness.model.profile import Profile

AGREES = "agrees"
NOT_READ = "not read"


@dataclass(frozen=True)
class Cell:
    fact: Fact | None
    unread: str = ""             # why the source has no value (when ``fact`` is None)
    ok: bool | None = None       # agrees with the profile (None: nothing to judge)

    def as_json(self) -> dict[str, Any]:
        if self.fact is None:
            return {"unread": self.unread}
        return {"value": self.fact.value, "where": self.fact.where, "agrees": self.ok}

    def text(self) -> str:
        if self.fact is None:
            return f"— ({self.unread})" if self.unread else "—"
        return f"{self.fact.value} ({self.fact.where})"


@dataclass(frozen=True)
class Row:
    field: str
    profile: str
    repo: Cell
    live: Cell
    verdict: str
    note: str = ""

    @property
    def drifted(self) -> bool:
        return self.verdict not in (AGREES, NOT_READ)


@dataclass(frozen=True)
class ThreeWay:
    profile: str
    repo: str | None
    live: str | None
    rows: tuple[Row, ...]

    @property
    def drifted(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.drifted)


def _cell(spec: FieldSpec, source: SourceFacts | None) -> Cell:
    if source is None:
        return Cell(None, "not compared")
    fact = source.facts.get(spec.field)
    if fact is None:
        return Cell(None, source.why_unread(spec.field))
    return Cell(fact, ok=spec.agrees(fact.value))


def verdict(repo: Cell, live: Cell) -> str:
    """``agrees``, ``repo differs``, ``live differs``, ``repo and live differ`` (saying whether they
    agree with each other), or ``not read``; a source with a value that agrees while the other could
    not be read still ``agrees`` (its cell says what was not read)."""
    judged = {name: cell for name, cell in (("repo", repo), ("live", live)) if cell.fact is not None}
    if not judged:
        return NOT_READ
    bad = [name for name, cell in judged.items() if not cell.ok]
    if not bad:
        return AGREES
    if len(bad) == 2:
        same = repo.fact is not None and live.fact is not None and repo.fact.value == live.fact.value
        return "repo and live differ" + (" (alike)" if same else "")
    return f"{bad[0]} differs"


def three_way(profile: Profile, repo: SourceFacts | None, live: SourceFacts | None) -> ThreeWay:
    rows = []
    specs = field_specs(profile)
    for spec in specs:
        r, lv = _cell(spec, repo), _cell(spec, live)
        rows.append(Row(spec.field, spec.profile, r, lv, verdict(r, lv), spec.note))
    known = {s.field for s in specs}
    extra = sorted({f for src in (repo, live) if src is not None for f in src.facts
                    if f.startswith("lb_pools[") and f not in known})
    for name in extra:
        cells = [Cell(src.facts[name], ok=False) if src is not None and name in src.facts else
                 Cell(None, "absent" if src is not None else "not compared") for src in (repo, live)]
        rows.append(Row(name, "absent", cells[0], cells[1], "not in the profile",
                        "a pool the architecture does not list"))
    return ThreeWay(str(profile.source), repo.where if repo else None, live.where if live else None, tuple(rows))


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(table: ThreeWay) -> str:
    head = [f"Profile: {table.profile}", f"Repo: {table.repo or 'not compared'}",
            f"Live: {table.live or 'not compared'}", ""]
    lines = ["| field | profile | repo (file) | live (object) | verdict |", "|---|---|---|---|---|"]
    for row in table.rows:
        mark = f"**{row.verdict}**" if row.drifted else row.verdict
        lines.append(f"| {_md(row.field)} | {_md(row.profile)} | {_md(row.repo.text())} | {_md(row.live.text())} "
                     f"| {mark} |")
    drifted = table.drifted
    tail = [f"\n{len(drifted)} of {len(table.rows)} fields drift." if drifted else
            f"\nNo drift: every field read agrees with the profile ({len(table.rows)} fields)."]
    return "\n".join(head + lines + tail) + "\n"


def as_json(table: ThreeWay) -> dict[str, Any]:
    return {"profile": table.profile, "repo": table.repo, "live": table.live,
            "rows": [{"field": r.field, "profile": r.profile, "repo": r.repo.as_json(), "live": r.live.as_json(),
                      "verdict": r.verdict, "drift": r.drifted, **({"note": r.note} if r.note else {})}
                     for r in table.rows]}


def write_json(table: ThreeWay, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(as_json(table), indent=1) + "\n", encoding="utf-8")
    return path
