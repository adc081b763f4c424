"""Flakiness: run `pytest features/` N times, each on a fresh lab, and print every failure.

    .venv/bin/python bench/flake.py 20              # 20 clean runs; exit 1 if any scenario failed
    .venv/bin/python bench/flake.py 5 -k bgp        # extra arguments go to pytest

Each run is the main job exactly as a user runs it (the run starts and stops its own lab); its
report (with the diagnostics gathered on failure) is kept under ``--out`` (default a temp dir).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _failures(run_json: Path) -> list[str]:
    if not run_json.exists():
        return ["(no run.json: the run did not get as far as a report)"]
    doc = json.loads(run_json.read_text(encoding="utf-8"))
    return [f"{s.get('feature', '?')}: {s.get('name', '?')}: {str(s.get('message', '')).splitlines()[0][:300]}"
            for s in doc.get("scenarios", []) if s.get("outcome") in ("failed", "error")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=int, help="how many consecutive runs")
    parser.add_argument("--out", type=Path, default=None, help="keep each run's report here")
    args, extra = parser.parse_known_args()
    if args.runs < 1:
        parser.error("runs must be at least 1")
    out = args.out or Path(tempfile.mkdtemp(prefix="flake-"))
    walls, failed_runs = [], 0
    for n in range(1, args.runs + 1):
        report = out / f"run{n:02d}"
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "pytest", "features/", "-q", "-p", "no:cacheprovider",
                               "--report-dir", str(report), *extra], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        walls.append(time.monotonic() - started)
        problems = _failures(report / "run.json") if proc.returncode != 0 else []
        if proc.returncode != 0 and not problems:
            problems = [proc.stdout[-1500:] + proc.stderr[-1500:]]
        failed_runs += bool(problems)
        print(f"run {n:2d}: {walls[-1]:5.1f} s  " + ("ok" if not problems else f"FAILED ({report})"), flush=True)
        for line in problems:
            print(f"    {line}")
    print(f"{args.runs - failed_runs}/{args.runs} runs clean; {failed_runs} with failures; "
          f"wall median {statistics.median(walls):.1f} s, max {max(walls):.1f} s; reports in {out}")
    return 1 if failed_runs else 0


if __name__ == "__main__":
    sys.exit(main())
