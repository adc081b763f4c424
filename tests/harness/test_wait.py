"""wait_until: passes, times out with the last mismatch, fails at once on known-bad states."""

from __future__ import annotations

import time

import pytest

from harness.errors import ProbeError, WaitTimeout
from harness.wait import Unrecoverable, hold_for, wait_until


def test_returns_when_the_check_passes() -> None:
    calls = iter(["not yet", "not yet", None])
    wait_until(lambda: next(calls), timeout=5, what="thing", interval=0.001)


def test_timeout_reports_the_last_description() -> None:
    seen = iter(f"attempt {i}" for i in range(10_000))
    with pytest.raises(WaitTimeout, match=r"route at udm: still not satisfied after 0.05s: attempt \d+"):
        wait_until(lambda: next(seen), timeout=0.05, what="route at udm", interval=0.001)


def test_unrecoverable_fails_at_once() -> None:
    def check() -> str | None:
        raise Unrecoverable("pool deleted")

    started = time.monotonic()
    with pytest.raises(WaitTimeout, match="pool deleted"):
        wait_until(check, timeout=30, what="address")
    assert time.monotonic() - started < 1


def test_probe_errors_are_retried_then_reported() -> None:
    def check() -> str | None:
        raise ProbeError("connection refused")

    with pytest.raises(WaitTimeout, match="probe failed: connection refused"):
        wait_until(check, timeout=0.05, what="api", interval=0.001)


def test_hold_for_fails_on_the_first_change() -> None:
    states = iter([None, None, "got 172.29.52.100"])
    with pytest.raises(WaitTimeout, match="stays pending: got 172.29.52.100"):
        hold_for(lambda: next(states), duration=5, what="stays pending", interval=0.001)
