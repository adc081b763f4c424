"""Broken variants of the conforming fixture repo, described as text edits, made real on demand.

    variant = load_variant(Path("fixtures/repos/broken/pool-range-changed.yaml"))
    repo_dir = materialise(variant, tmp_path)      # a copy of fixtures/repos/conforming with the edits

A variant file holds ``breaks:`` (the scenario it must break, one line; a list of such lines when one
edit breaks several requirements, e.g. a Cilium release that also ignores the BGP objects), ``edits:`` (file, old, new;
``old`` must occur exactly once; multi-line texts are written flush left and match at any one
indentation, which ``new`` then takes; an empty ``old`` creates a new file) and ``expect:`` (the drift fields
the repo target must report). An edit that no longer applies is a ConfigError naming the variant.
Variants under ``fixtures/repos/passing/`` (``breaks: "nothing: ..."``) change how the conforming repo
says something and must still pass every scenario.
"""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import ConfigError
from harness.repo.yamlio import load_mapping

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "repos"
CONFORMING = FIXTURES / "conforming"
BROKEN = FIXTURES / "broken"
PASSING = FIXTURES / "passing"
MAX_INDENT = 24


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Variant:
    name: str
    breaks: str                       # the scenario it breaks (the first, when it breaks several)
    edits: tuple[Edit, ...]
    expect_drift: tuple[str, ...]
    source: Path
    also_breaks: tuple[str, ...] = ()

    @property
    def broken(self) -> tuple[str, ...]:
        """Every scenario the variant breaks."""
        return (self.breaks, *self.also_breaks)


def load_variant(path: Path) -> Variant:
    doc = load_mapping(path, path.parent)
    where = str(path)
    breaks = doc.get("breaks")
    lines = [breaks] if isinstance(breaks, str) else breaks if isinstance(breaks, list) and breaks else None
    if lines is None or not all(isinstance(b, str) and b.strip() and "\n" not in b.strip() for b in lines):
        raise ConfigError(f"{where}: 'breaks' must be one line naming the scenario the variant breaks "
                          "(or a list of such lines)")
    edits = []
    for index, raw in enumerate(doc.get("edits") or []):
        if not isinstance(raw, dict) or not {"file", "new"} <= set(raw):
            raise ConfigError(f"{where}: edits[{index}] needs 'file', 'old' and 'new'")
        edits.append(Edit(str(raw["file"]), str(raw.get("old") or ""), str(raw["new"])))
    if not edits:
        raise ConfigError(f"{where}: a variant needs at least one edit")
    expect = tuple(str(f) for f in (doc.get("expect") or {}).get("drift") or ())
    first, *more = (b.strip() for b in lines)
    return Variant(path.stem, first, tuple(edits), expect, path, tuple(more))


def variants(directory: Path = BROKEN) -> tuple[Variant, ...]:
    return tuple(load_variant(p) for p in sorted(directory.glob("*.yaml")))


def materialise(variant: Variant | Path, dest: Path, base: Path = CONFORMING) -> Path:
    """Copy ``base`` to ``dest/<variant name>`` and apply the variant's edits; returns the new repo root."""
    chosen = variant if isinstance(variant, Variant) else load_variant(variant)
    root = dest / chosen.name
    if root.exists():
        raise ConfigError(f"{root}: already exists; materialise into an empty directory")
    shutil.copytree(base, root)
    for edit in chosen.edits:
        _apply(chosen, root, edit)
    return root


def _apply(variant: Variant, root: Path, edit: Edit) -> None:
    path = root / edit.file
    if not edit.old:
        if path.exists():
            raise ConfigError(f"{variant.source}: edit creates {edit.file}, which already exists")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(edit.new, encoding="utf-8")
        return
    if not path.is_file():
        raise ConfigError(f"{variant.source}: edit target {edit.file} is not in {root}")
    text = path.read_text(encoding="utf-8")
    multi = "\n" in edit.old.rstrip("\n")
    hits = [(pad, text.count(_indent(edit.old, pad))) for pad in (range(MAX_INDENT) if multi else (0,))]
    hits = [(pad, n) for pad, n in hits if n]
    if len(hits) != 1 or hits[0][1] != 1:
        raise ConfigError(f"{variant.source}: {edit.file}: old text occurs {sum(n for _, n in hits)} times, "
                          f"expected once: {edit.old.strip().splitlines()[0]!r}")
    old = _indent(edit.old, hits[0][0])
    at = text.index(old)
    line_start = text.rfind("\n", 0, at) + 1
    column = at - line_start if not text[line_start:at].strip() else 0
    new = _indent(edit.new, hits[0][0]) if multi else _indent(edit.new, column)[column:]
    path.write_text(text[:at] + new + text[at + len(old):], encoding="utf-8")


def _indent(block: str, pad: int) -> str:
    """Multi-line edits are written flush left and match at whatever indentation the file uses."""
    return textwrap.indent(block, " " * pad) if pad else block
