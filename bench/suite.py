"""Benchmark: wall time of the whole test suite (README command 2) and its ten slowest tests.

    .venv/bin/python bench/suite.py                 # `pytest -n 2`, then `pytest features/`, as CI runs them
    .venv/bin/python bench/suite.py -m "not lab"    # only the offline subset (extra arguments go to pytest)

Measured, not asserted: the target (whole suite <= 300 s on a 2-core machine) is read off this output.
Exit status: 0 when every part passed, else the first failing part's pytest status.
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


def _part(argv: list[str]) -> tuple[float, int, str, list[tuple[float, str, str]]]:
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "--durations=10", *argv], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    wall = time.monotonic() - started
    lines = proc.stdout.splitlines()
    slow = [(float(m.group(1)), m.group(2), m.group(3)) for m in map(DURATION.match, lines) if m]
    summary = next((m.group(1) for m in map(SUMMARY.match, reversed(lines)) if m), "no summary line")
    if proc.returncode not in (0, 5):
        failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        print("\n".join(failed) or proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
    return wall, proc.returncode, summary, slow


def main(argv: list[str]) -> int:
    parts = [["-n", "2", *argv]] if argv else [["-n", "2"], ["features/"]]
    total, status, slowest = 0.0, 0, []
    for args in parts:
        wall, code, summary, slow = _part(args)
        total += wall
        status = status or (code if code not in (0, 5) else 0)
        slowest += slow
        print(f"pytest {' '.join(args)}: {wall:.1f} s wall ({summary}); exit {code}")
    print(f"whole suite: {total:.1f} s wall")
    print("ten slowest (per test, a worker's time):")
    for seconds, when, nodeid in sorted(slowest, reverse=True)[:10]:
        print(f"  {seconds:7.2f} s  {when:8} {nodeid}")
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
