"""One way to wait: poll a check until it passes, fails for good, or the deadline passes.

    wait_until(lambda: lb.address_problem(cluster.service(ns, name, fresh=True), pool, family, ref),
               timeout=profile.timeouts.assert_, what=f"{family} address for {ref}")

    >>> wait_until(lambda: None, timeout=1, what="nothing to wait for")
    >>> wait_until(lambda: "still 0 routes", timeout=0.2, what="routes at udm", interval=0.05)
    Traceback (most recent call last):
    harness.core.errors.WaitTimeout: routes at udm: still not satisfied after 0.2s: still 0 routes

A check returns ``None`` when satisfied and otherwise a *description* of the mismatch. On
timeout the last description becomes the failure message. A check that knows the state can
never become right raises :class:`Unrecoverable`; that fails at once instead of waiting.
Probe errors (unreachable endpoints) are retried until the deadline, then reported; answers that
asking again cannot change (the API's 401, 403, 422, ...) fail at once.

    with abort_when(lock.ensure_held):     # every wait inside stops at once when the guard raises
        wait_until(check, timeout=30, what="route at udm")
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from harness.core.errors import ProbeError, Unrecoverable, WaitTimeout

T = TypeVar("T")


_guards: list[Callable[[], None]] = []


@contextmanager
def abort_when(guard: Callable[[], None]) -> Iterator[None]:
    """While the block runs, every guarded wait calls ``guard()`` on each poll; whatever it raises
    (e.g. "run lock lost") ends the wait at once instead of at the deadline."""
    _guards.append(guard)
    try:
        guard()
        yield
    finally:
        _guards.remove(guard)


def _check_guards() -> None:
    __tracebackhide__ = True
    for guard in tuple(_guards):
        guard()


def wait_until(
    check: Callable[[], str | None],
    *,
    timeout: float,
    what: str,
    interval: float = 0.1,
    max_interval: float = 1.0,
    wake: threading.Event | None = None,
    guarded: bool = True,
) -> None:
    """Return once ``check()`` returns None; raise WaitTimeout with its last description.

    ``wake`` (optional) is set by a watcher when something changed, so the next poll
    happens immediately instead of after the back-off interval. ``guarded=False`` is for
    teardown waits, which must finish whatever the :func:`abort_when` guards say.
    """
    __tracebackhide__ = True
    deadline = time.monotonic() + timeout
    pause = interval
    last = "not checked yet"
    while True:
        if guarded:
            _check_guards()
        try:
            outcome = check()
        except Unrecoverable as exc:
            raise WaitTimeout(f"{what}: {exc}") from exc
        except ProbeError as exc:
            if not exc.is_transient:   # a 401/403/422 will not change by asking again: fail now
                raise WaitTimeout(f"{what}: {exc}") from exc
            outcome = f"probe failed: {exc}"
        if outcome is None:
            return
        last = outcome
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WaitTimeout(f"{what}: still not satisfied after {timeout:g}s: {last}")
        _pause(min(pause, remaining), wake)
        pause = min(pause * 1.5, max_interval)


def _pause(seconds: float, wake: threading.Event | None) -> None:
    # An Event wait is a deadline-bounded wait for the next change, not a fixed sleep.
    event = wake if wake is not None else threading.Event()
    if event.wait(seconds) and wake is not None:
        wake.clear()


def hold_for(check: Callable[[], str | None], *, duration: float, what: str, interval: float = 0.2) -> None:
    """Assert ``check()`` keeps returning None for ``duration`` seconds (a "consistently" check)."""
    __tracebackhide__ = True
    deadline = time.monotonic() + duration
    while True:
        _check_guards()
        outcome = check()
        if outcome is not None:
            raise WaitTimeout(f"{what}: {outcome}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        threading.Event().wait(min(interval, remaining))
