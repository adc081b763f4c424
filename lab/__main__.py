"""Command line of the lab.

    python -m lab up --dir /tmp/lab --profile fixtures/profiles/home-ops.yaml   # idempotent
    python -m lab status --dir /tmp/lab ; python -m lab down --dir /tmp/lab
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab import control

DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "fixtures" / "profiles" / "home-ops.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description="the embedded lab's stand-ins")
    parser.add_argument("action", choices=("up", "down", "status", "serve"))
    parser.add_argument("--dir", type=Path, required=True, help="the lab's state directory")
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    parser.add_argument("--faults", type=Path, default=None, help="YAML of faults to build into the lab")
    args = parser.parse_args(argv)
    try:
        if args.action == "serve":
            from lab.daemon import serve
            return serve(args.dir, args.profile, args.faults)
        out = {"up": control.up, "down": control.down, "status": control.status}[args.action](
            args.dir.resolve(), args.profile.resolve(), args.faults)
    except control.LabError as exc:
        print(f"lab {args.action}: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
