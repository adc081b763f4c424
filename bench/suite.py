"""Benchmark: wall time of the whole test suite (README command 2) and its ten slowest tests.

    .venv/bin/python bench/suite.py                 # the whole suite, as CI runs it
    .venv/bin/python bench/suite.py -m "not lab"    # the offline subset (runs without root)

Measured, not asserted: the target (whole suite <= 300 s on a 2-core machine) is read off this output.
Extra arguments go to pytest. Exit status is pytest's.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DURATION = re.compile(r"^(\d+\.\d+)s (call|setup|teardown)\s+(\S+)")
SUMMARY = re.compile(r"^=+ (.*(passed|failed|error).*) in [\d.]+s")


def main(argv: list[str]) -> int:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--durations=10", "--durations-min=0", *argv],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    lines = proc.stdout.splitlines()
    slowest = [m for m in map(DURATION.match, lines) if m]
    summary = next((m.group(1) for m in map(SUMMARY.match, reversed(lines)) if m), "no summary line")
    print(f"whole suite: {wall:.1f} s wall ({summary}); pytest exit {proc.returncode}")
    print("ten slowest:")
    for m in slowest[:10]:
        print(f"  {float(m.group(1)):7.2f} s  {m.group(2):8} {m.group(3)}")
    if proc.returncode not in (0, 5):
        failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        print("\n".join(failed) or proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
