"""docs/coverage.md and the feature files agree: every statement of the architecture has scenarios or a
reason, every ``@arch-N`` tag names a statement, and (with $HOME_OPS_ARCHITECTURE) every statement is
on the document line it names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.markers import ARCH_IDS
from tests.reference import architecture

ROOT = Path(__file__).resolve().parents[1]
COVERAGE = ROOT / "docs" / "coverage.md"
FEATURES = ROOT / "features"
REASONS = ("not checkable: ", "not yet judged: ")
ROW = re.compile(r"^\| (arch-\d+) \| (\d+) \| `(.+?)` \| (.+?) \| (.+) \|$")
SCENARIO_REF = re.compile(r"`(\w+)`: `([^`]+)`")
SCENARIO = re.compile(r"^\s*Scenario(?: Outline)?:\s*(.*?)\s*$")
ARCH_TAG = re.compile(r"@(arch-\d+)\b")


@dataclass(frozen=True)
class Entry:
    id: str
    line: int
    words: str
    statement: str
    judged_by: str

    @property
    def reason(self) -> str | None:
        return next((self.judged_by for r in REASONS if self.judged_by.startswith(r)), None)

    @property
    def scenarios(self) -> set[tuple[str, str]]:
        return set(SCENARIO_REF.findall(self.judged_by))


def entries() -> list[Entry]:
    out = []
    for n, text in enumerate(COVERAGE.read_text().splitlines(), 1):
        if not text.startswith("| arch-"):
            continue
        m = ROW.match(text)
        assert m, f"docs/coverage.md:{n}: malformed row: {text}"
        out.append(Entry(m.group(1), int(m.group(2)), m.group(3).replace("\\|", "|"), m.group(4), m.group(5)))
    return out


def tagged_scenarios() -> dict[tuple[str, str], set[str]]:
    """(feature stem, scenario name) -> the @arch-N ids on the tag lines right above it."""
    out: dict[tuple[str, str], set[str]] = {}
    for path in sorted(FEATURES.glob("*.feature")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            m = SCENARIO.match(line)
            if not m:
                continue
            ids: set[str] = set()
            j = i - 1
            while j >= 0 and lines[j].strip().startswith("@"):
                ids |= set(ARCH_TAG.findall(lines[j]))
                j -= 1
            out[(path.stem, m.group(1))] = ids
    return out


def test_rows_are_numbered_in_order_and_unique() -> None:
    ids = [e.id for e in entries()]
    assert ids, "docs/coverage.md lists no statement"
    assert ids == [f"arch-{n}" for n in range(1, len(ids) + 1)], ids
    assert len(ids) <= ARCH_IDS, f"raise harness/markers.py ARCH_IDS to at least {len(ids)}"
    lines = [e.line for e in entries()]
    assert lines == sorted(lines), "rows must follow the document's line order"


def test_every_statement_has_scenarios_or_a_reason() -> None:
    problems = []
    for e in entries():
        if e.reason is not None:
            if len(e.reason.split(":", 1)[1].strip()) < 10:
                problems.append(f"{e.id}: a reason must say why: {e.judged_by!r}")
            if e.scenarios:
                problems.append(f"{e.id}: both a reason and scenarios")
        elif not e.scenarios:
            problems.append(f"{e.id} (line {e.line}): neither a scenario nor a reason: {e.judged_by!r}")
    assert not problems, "\n".join(problems)


def test_listed_scenarios_and_tags_agree() -> None:
    tagged = tagged_scenarios()
    known = {e.id: e for e in entries()}
    problems = []
    for key, ids in tagged.items():
        for aid in sorted(ids):
            entry = known.get(aid)
            if entry is None:
                problems.append(f"features/{key[0]}.feature: {key[1]!r} carries @{aid}, which docs/coverage.md lacks")
            elif key not in entry.scenarios:
                problems.append(f"features/{key[0]}.feature: {key[1]!r} carries @{aid}, but {aid} does not list it")
    for e in known.values():
        for key in sorted(e.scenarios):
            if key not in tagged:
                problems.append(f"{e.id} lists {key[0]}: {key[1]!r}, no such scenario in features/")
            elif e.id not in tagged[key]:
                problems.append(f"{e.id} lists {key[0]}: {key[1]!r}, which lacks the tag @{e.id}")
    assert not problems, "\n".join(problems)


def test_every_scenario_judges_some_statement() -> None:
    untagged = [f"features/{f}.feature: {name}" for (f, name), ids in tagged_scenarios().items() if not ids]
    assert not untagged, "scenarios judging no statement (tag them or say why in docs/coverage.md):\n" + \
        "\n".join(untagged)


def test_statements_quote_their_document_lines() -> None:
    lines = architecture().read_text().splitlines()
    problems = []
    for e in entries():
        if not 1 <= e.line <= len(lines):
            problems.append(f"{e.id}: line {e.line} is outside the document ({len(lines)} lines)")
        elif e.words.lower() not in lines[e.line - 1].lower():
            problems.append(f"{e.id}: {e.words!r} is not on line {e.line}: {lines[e.line - 1].strip()!r}")
    assert not problems, "\n".join(problems)


def regenerated() -> str:
    """docs/coverage.md with every judged row's scenario list rebuilt from the tags (rows with a reason
    keep it until a scenario is tagged with their id; then the scenarios replace the reason)."""
    tagged = tagged_scenarios()
    by_id: dict[str, list[tuple[str, str]]] = {}
    for key in sorted(tagged, key=lambda k: (k[0], k[1])):
        for aid in tagged[key]:
            by_id.setdefault(aid, []).append(key)
    out = []
    for text in COVERAGE.read_text().splitlines():
        m = ROW.match(text)
        if m and m.group(1) in by_id:
            listed = [k for k in SCENARIO_REF.findall(m.group(5)) if k in by_id[m.group(1)]]
            keys = listed + [k for k in by_id[m.group(1)] if k not in listed]     # keep the written order
            judged = "; ".join(f"`{f}`: `{name}`" for f, name in keys)
            text = f"| {m.group(1)} | {m.group(2)} | `{m.group(3)}` | {m.group(4)} | {judged} |"
        out.append(text)
    return "\n".join(out) + "\n"


def test_the_document_is_as_regenerated() -> None:
    assert COVERAGE.read_text() == regenerated(), \
        "docs/coverage.md is stale: run `.venv/bin/python -m tests.test_coverage --write`"


if __name__ == "__main__":      # .venv/bin/python -m tests.test_coverage --write: rebuild the scenario lists
    import sys
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: python -m tests.test_coverage --write")
    COVERAGE.write_text(regenerated())
    print(f"rewrote {COVERAGE}")
