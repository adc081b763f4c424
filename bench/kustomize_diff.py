"""Benchmark: the gate's kustomize renderer against the real one (`kubectl kustomize`), over a history.

    .venv/bin/python bench/kustomize_diff.py [--repo PATH_OR_BUNDLE] [--limit N] [--json out.json]

For every commit that changes a kustomization file, every kustomization directory that commit changes
is built twice: by harness.repo.kustomize (the gate) and by ``kubectl kustomize --load-restrictor
LoadRestrictionsNone`` (kustomize built into kubectl, with Flux's load restrictor). Objects are
compared by kind, namespace and name, then as a whole. Reported: directories compared, agreeing,
differing (with the first differences), and where only one side builds (the gate "builds" where it
records a remote resource as unevaluated and kubectl, offline, cannot fetch it). Needs ``kubectl``;
the owner's history comes from ``--repo`` or ``$HOME_OPS_OWNER_HISTORY``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.core.errors import ConfigError  # noqa: E402
from harness.repo.gitrefs import Revisions, _git  # noqa: E402
from harness.repo.kustomize import KUSTOMIZATION_FILES, Kustomizer  # noqa: E402


def _theirs(directory: Path) -> tuple[dict[str, Any] | None, str]:
    # Flux builds with LoadRestrictionsNone (fluxcd/kustomize-controller: ``opt.LoadRestrictions =
    # kustypes.LoadRestrictionsNone``); kubectl's default would refuse files outside the directory.
    proc = subprocess.run(["kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(directory)],
                          capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["failed"])[-1]
    docs = [d for d in yaml.safe_load_all(proc.stdout) if isinstance(d, dict)]
    return {_key(d): d for d in docs}, ""


def _key(obj: dict[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')} {meta.get('namespace') or ''}/{meta.get('name')}"


def _ours(root: Path, directory: Path) -> tuple[dict[str, Any] | None, str]:
    renderer = Kustomizer(root)
    try:
        objs = renderer.build(directory)
    except ConfigError as exc:
        return None, str(exc)
    stops = [g for g in renderer.gaps if g.kind in ("missing", "broken")]
    if stops:
        return None, f"{stops[0].file}: {stops[0].missing}"
    return {_key(o.obj): o.obj for o in objs}, ""


def _differences(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    out = [f"only ours: {k}" for k in sorted(set(ours) - set(theirs))]
    out += [f"only kubectl: {k}" for k in sorted(set(theirs) - set(ours))]
    out += [f"differs: {k}" for k in sorted(set(ours) & set(theirs)) if _normal(ours[k]) != _normal(theirs[k])]
    return out


def _normal(obj: Any) -> Any:
    """YAML round trip: the same scalars as kubectl prints them (quoted ints stay strings, ...)."""
    return yaml.safe_load(yaml.safe_dump(obj))


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, default=os.environ.get("HOME_OPS_OWNER_HISTORY") or None)
    parser.add_argument("--limit", type=int, default=0, help="only the first N commits (0: all)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if args.repo is None:
        parser.error("no history: give --repo or set HOME_OPS_OWNER_HISTORY")
    if shutil.which("kubectl") is None:
        parser.error("kubectl is not installed: nothing to compare with")
    counts: Counter[str] = Counter()
    rows: list[dict[str, Any]] = []
    started = time.monotonic()
    with Revisions(args.repo) as revs:
        names = [f"*{n}" for n in KUSTOMIZATION_FILES]
        log = _git(["log", "--reverse", "--format=%H", revs.head, "--", *names], cwd=revs.clone).split()
        for sha in log[: args.limit or None]:
            changed = _git(["diff-tree", "--no-commit-id", "--name-only", "-r", "--root", sha], cwd=revs.clone)
            dirs = sorted({str(Path(p).parent) for p in changed.split() if Path(p).name in KUSTOMIZATION_FILES})
            root = revs.checkout(sha)
            for rel in dirs:
                directory = root / rel
                if not directory.is_dir():
                    continue
                ours, our_error = _ours(root, directory)
                theirs, their_error = _theirs(directory)
                if ours is None and theirs is None:
                    verdict, detail = "both stop", [our_error, their_error]
                elif ours is None:
                    verdict, detail = "only kubectl builds", [our_error]
                elif theirs is None:
                    verdict, detail = "only ours builds", [their_error]
                else:
                    detail = _differences(ours, theirs)
                    verdict = "differ" if detail else "agree"
                counts[verdict] += 1
                rows.append({"commit": sha, "dir": rel, "verdict": verdict, "detail": detail[:5]})
    total = sum(counts.values())
    print(f"{len(log)} commit(s) change a kustomization; {total} directory build(s) compared in "
          f"{time.monotonic() - started:.0f}s: " + ", ".join(f"{v} {k}" for k, v in counts.most_common()))
    for row in rows:
        if row["verdict"] != "agree":
            print(f"{row['commit'][:7]} {row['dir']}: {row['verdict']}: {'; '.join(row['detail'])[:300]}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
