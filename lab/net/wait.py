"""Deadline-bounded waiting for the lab network (the lab does not import the harness).

    wait_for(lambda: None if sock.exists() else "no socket yet", timeout=5, what="bgpd vty")
    # -> returns, or raises LabNetTimeout("bgpd vty: not ready after 5s: no socket yet")

A check returns None when satisfied, else a description of what is still missing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class LabNetTimeout(RuntimeError):
    """A lab-network readiness condition did not hold before its deadline."""


def wait_for(check: Callable[[], str | None], *, timeout: float, what: str,
             interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    pause = threading.Event()  # never set: wait() is a deadline-bounded pause
    while True:
        outcome = check()
        if outcome is None:
            return
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise LabNetTimeout(f"{what}: not ready after {timeout:g}s: {outcome}")
        pause.wait(min(interval, remaining))
        interval = min(interval * 1.5, 0.5)
