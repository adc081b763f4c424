"""Benchmark: wall time of `pytest features/` on the lab, lab start-up, and API requests per run.

    .venv/bin/python bench/features.py            # prints a small table; exit 1 if a run fails
    .venv/bin/python bench/features.py --runs 3

Measured, not asserted: the target (whole run, lab start included, <= 10 s on a 2-core machine) is read off
this output.
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
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, check=False)
    return time.monotonic() - started, proc


def _requests(lab_dir: Path) -> tuple[int, int]:
    """(all requests, mutating requests) the lab API server has logged so far."""
    def count(name: str) -> int:
        path = lab_dir / "kube" / name
        return sum(1 for _ in path.open()) if path.exists() else 0
    return count("access.jsonl"), count("audit.jsonl")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("features", nargs="*", default=["features/"])
    args = parser.parse_args()
    whole, startup, read_only = [], [], []
    for _ in range(args.runs):
        seconds, proc = _timed([PY, "-m", "pytest", *args.features, "-q", "-p", "no:cacheprovider"])
        if proc.returncode != 0:
            print(proc.stdout[-3000:], proc.stderr[-2000:])
            return 1
        whole.append(seconds)
        with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp:
            lab = Path(tmp)
            seconds, proc = _timed([PY, "-m", "lab", "up", "--dir", str(lab)])
            startup.append(seconds)
            try:
                subprocess.run([PY, "-m", "harness", "bootstrap", "--lab-dir", str(lab)], cwd=ROOT, check=True,
                               capture_output=True)
                before = _requests(lab)
                seconds, proc = _timed([PY, "-m", "pytest", *args.features, "-q", "-p", "no:cacheprovider",
                                        "--lab-dir", str(lab)])
                after = _requests(lab)
                read_only.append((seconds, after[0] - before[0], after[1] - before[1]))
            finally:
                subprocess.run([PY, "-m", "lab", "down", "--dir", str(lab)], cwd=ROOT, capture_output=True)
    print(f"{'measure':<48} {'value':>10}")
    print(f"{'pytest ' + ' '.join(args.features) + ' (fresh lab), median s':<48} {statistics.median(whole):>10.2f}")
    print(f"{'lab start-up (python -m lab up), median s':<48} {statistics.median(startup):>10.2f}")
    print(f"{'run on a running lab, median s':<48} {statistics.median(r[0] for r in read_only):>10.2f}")
    print(f"{'API requests per run (all)':<48} {read_only[-1][1]:>10d}")
    print(f"{'API requests per run (mutating)':<48} {read_only[-1][2]:>10d}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
