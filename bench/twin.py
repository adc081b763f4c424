"""Benchmark: the twin — boot of a lab built from a GitOps repo, and `pytest features/ --target twin`.

    .venv/bin/python bench/twin.py [--repo PATH] [--runs 3]    # default: fixtures/repos/conforming

Runs as root (the lab's namespaces). Prints the median and the worst of each; asserts nothing.
Targets (issue 15): boot <= 10 s, the features on the conforming fixture's twin <= 20 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _timed(argv: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.monotonic()
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)
    return time.monotonic() - started, proc


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repo", type=Path, default=ROOT / "fixtures" / "repos" / "conforming")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    boots, runs = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="twin-bench-") as tmp:
            took, proc = _timed([PY, "-m", "lab", "up", "--dir", tmp, "--repo", str(args.repo.resolve())])
            subprocess.run([PY, "-m", "lab", "down", "--dir", tmp], cwd=ROOT, capture_output=True, timeout=120)
            if proc.returncode != 0:
                print(f"lab up failed: {proc.stderr.strip()}", file=sys.stderr)
                return 1
            boots.append(took)
        took, proc = _timed([PY, "-m", "pytest", "features/", "--target", "twin", "--repo", str(args.repo), "-q",
                             "-p", "no:cacheprovider"])
        runs.append(took)
        print(f"run: boot {boots[-1]:.1f}s, features {took:.1f}s ({proc.stdout.strip().splitlines()[-1]})")
    print(f"twin boot: median {statistics.median(boots):.1f}s, max {max(boots):.1f}s (target <= 10 s)")
    print(f"features on the twin: median {statistics.median(runs):.1f}s, max {max(runs):.1f}s (target <= 20 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
