"""Benchmark: the offline repo run (`pytest features/ --target repo`) on the owner's snapshot.

    .venv/bin/python bench/repo.py [--repo PATH] [--runs 5]

The snapshot is not part of this repository: give it with ``--repo`` or ``$HOME_OPS_OWNER_REPO``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser()
    default = os.environ.get("HOME_OPS_OWNER_REPO") or None
    parser.add_argument("--repo", type=Path, default=default,
                        help="the owner's GitOps snapshot (default: $HOME_OPS_OWNER_REPO)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if args.repo is None:
        parser.error("no repo to run on: give --repo PATH or set HOME_OPS_OWNER_REPO to the owner's GitOps snapshot")
    if not args.repo.is_dir():
        parser.error(f"--repo {args.repo}: no such directory")
    times = []
    for _ in range(args.runs):
        started = time.monotonic()
        argv = [sys.executable, "-m", "pytest", "features/", "--target", "repo", "--repo", str(args.repo),
                "--repo-partial", "-q", "-p", "no:cacheprovider"]
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)
        times.append(time.monotonic() - started)
        if proc.returncode not in (0, 1):
            print(proc.stdout[-2000:], proc.stderr[-2000:])
            return 1
    print(f"offline repo run on {args.repo}: median {statistics.median(times):.2f}s, max {max(times):.2f}s "
          f"over {args.runs} runs (exit {proc.returncode}: {proc.stdout.strip().splitlines()[-1]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
