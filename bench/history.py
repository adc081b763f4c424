"""Benchmark: the gate over every commit of a repo's history, in this process (strict mode).

    .venv/bin/python bench/history.py [--repo PATH_OR_BUNDLE] [--since REF] [--json out.json]

Walks every commit (``python -m harness history`` does the same and prints the changes), and reports how
many commits there are, how many the gate judged (commits that change none of its inputs reuse the
previous verdicts), the usage errors left (each with its commit), the commits where strict mode finds
files the repo refers to but lacks, and the time per commit (checkout, fingerprint, render, judge):
median, 90th percentile and max; target: median <= 1 s. The owner's history is not part of this
repository: give it with ``--repo`` or ``$HOME_OPS_OWNER_HISTORY``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from harness.model.profile import load_profile  # noqa: E402
from harness.pytest_plugin import DEFAULT_PROFILE  # noqa: E402
from harness.repo.gitrefs import Revisions  # noqa: E402
from harness.rules.history import as_json, iter_walk  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    default = os.environ.get("HOME_OPS_OWNER_HISTORY") or None
    parser.add_argument("--repo", type=Path, default=default,
                        help="a git work tree or bundle (default: $HOME_OPS_OWNER_HISTORY)")
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    parser.add_argument("--since", default=None)
    parser.add_argument("--json", type=Path, default=None, help="write every step as JSON here")
    args = parser.parse_args()
    if args.repo is None:
        parser.error("no history: give --repo PATH or set HOME_OPS_OWNER_HISTORY to the owner's git bundle")
    profile = load_profile(args.profile)
    started = time.monotonic()
    with Revisions(args.repo) as revs:
        steps = list(iter_walk(profile, revs, since=args.since))
    total = time.monotonic() - started
    times = sorted(s.seconds for s in steps)
    errors = [s for s in steps if s.error]
    blocking = [s for s in steps if s.blocking]
    judged = [s for s in steps if not s.reused]
    print(f"{len(steps)} commit(s), {len(judged)} judged, {len(errors)} usage error(s), "
          f"{len(blocking)} with files the repo refers to but lacks (findings in strict mode)")
    print(f"per commit: median {statistics.median(times):.3f}s, p90 {times[int(len(times) * 0.9)]:.3f}s, "
          f"max {times[-1]:.3f}s; whole walk {total:.1f}s")
    for step in errors:
        print(f"usage error at {step.commit.short} {step.commit.date[:10]}: {step.error}")
    if args.json:
        args.json.write_text(json.dumps(as_json(steps), indent=1) + "\n", encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
