"""Command line of the lab.

    python -m lab up --dir /tmp/lab --profile fixtures/profiles/home-ops.yaml   # idempotent
    python -m lab status --dir /tmp/lab ; python -m lab down --dir /tmp/lab
    python -m lab fault --dir /tmp/lab bgp-session-down node=mini03 ; python -m lab fault --dir /tmp/lab clear
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lab import control

DEFAULT_PROFILE = Path(__file__).resolve().parent.parent / "fixtures" / "profiles" / "home-ops.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lab", description="the embedded lab's stand-ins")
    parser.add_argument("action", choices=("up", "down", "status", "serve", "settle", "fault"))
    parser.add_argument("fault", nargs="*", help="for `fault`: NAME [key=value ...], or `clear`")
    parser.add_argument("--dir", type=Path, required=True, help="the lab's state directory")
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    args = parser.parse_args(argv)
    try:
        if args.action == "serve":
            from lab.daemon import serve
            return serve(args.dir, args.profile)
        if args.action in ("settle", "fault"):
            from lab.faults import FaultError, inject
            name, *pairs = args.fault if args.action == "fault" else ["settle"]
            try:
                print(inject(args.dir.resolve(), name, **dict(p.split("=", 1) for p in pairs)))
            except (FaultError, ValueError) as exc:
                print(f"lab {args.action}: {exc}", file=sys.stderr)
                return 1
            return 0
        out = {"up": control.up, "down": control.down, "status": control.status}[args.action](
            args.dir.resolve(), args.profile.resolve())
    except control.LabError as exc:
        print(f"lab {args.action}: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
