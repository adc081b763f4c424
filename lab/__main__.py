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
    parser.add_argument("--repo", type=Path, help="up/serve: build the twin of this GitOps checkout")
    args = parser.parse_intermixed_args(argv)  # `fault --dir D NAME k=v`: options may sit between positionals
    try:
        if args.action == "serve":
            from lab.boot import serve
            return serve(args.dir, args.profile, args.repo.resolve() if args.repo else None)
        if args.action in ("settle", "fault"):
            from lab.faults import FaultError, inject
            name, *pairs = args.fault if args.action == "fault" else ["settle"]
            try:
                print(inject(args.dir.resolve(), name, **_pairs(pairs)))
            except (FaultError, ValueError) as exc:
                print(f"lab {args.action}: {exc}", file=sys.stderr)
                return 1
            return 0
        if args.action == "up":
            out = control.up(args.dir.resolve(), args.profile.resolve(), args.repo.resolve() if args.repo else None)
        else:
            out = {"down": control.down, "status": control.status}[args.action](args.dir.resolve(),
                                                                                  args.profile.resolve())
    except control.LabError as exc:
        print(f"lab {args.action}: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


def _pairs(words: list[str]) -> dict[str, str]:
    bad = [w for w in words if "=" not in w]
    if bad:
        raise ValueError(f"expected key=value arguments after the fault's name, got {bad[0]!r}")
    return dict(w.split("=", 1) for w in words)


if __name__ == "__main__":
    sys.exit(main())
