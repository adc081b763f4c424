"""wait_until: passes, times out with the last mismatch, fails at once on known-bad states."""

from __future__ import annotations

import time

import pytest

from harness.core.errors import ProbeError, Unrecoverable, WaitTimeout
from harness.core.wait import abort_when, hold_for, wait_until


def test_returns_when_the_check_passes() -> None:
    answers = ["not yet", "not yet", None, "too far: must not be asked again"]
    asked: list[str | None] = []

    def check() -> str | None:
        asked.append(answers[len(asked)])
        return asked[-1]

    started = time.monotonic()
    assert wait_until(check, timeout=5, what="thing", interval=0.001) is None
    assert asked == ["not yet", "not yet", None], "wait_until must stop polling at the first pass"
    assert time.monotonic() - started < 1, "a passing check must not wait out the budget"


def test_guard_ends_a_wait_at_once_and_only_inside_its_block() -> None:
    lost: list[str] = []

    def guard() -> None:
        if lost:
            raise RuntimeError(f"run lock lost to {lost[0]}")

    def check() -> str | None:
        lost.append("other@host")
        return "not yet"

    started = time.monotonic()
    with pytest.raises(RuntimeError, match="run lock lost to other@host"), abort_when(guard):
        wait_until(check, timeout=30, what="route", interval=0.01)
    assert time.monotonic() - started < 1
    with abort_when(lambda: None):
        pass
    wait_until(lambda: None, timeout=1, what="outside any guard")          # the guard is gone


def test_unguarded_waits_ignore_the_guards() -> None:
    armed: list[bool] = []

    def guard() -> None:
        if armed:
            raise RuntimeError("lost")

    calls = iter(["still there", None])
    with abort_when(guard):
        armed.append(True)
        wait_until(lambda: next(calls), timeout=5, what="removal", interval=0.001, guarded=False)
        with pytest.raises(RuntimeError, match="lost"):
            wait_until(lambda: None, timeout=5, what="a guarded wait")


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


@pytest.mark.parametrize("status", [400, 401, 403, 405, 422])
def test_permanent_api_answers_fail_at_once(status: int) -> None:
    from harness.core.errors import KubeApiError

    def check() -> str | None:
        raise KubeApiError(f"GET /api/v1/services at https://api:6443: {status} Forbidden", status=status)

    started = time.monotonic()
    with pytest.raises(WaitTimeout, match=f"services: GET /api/v1/services at https://api:6443: {status}"):
        wait_until(check, timeout=30, what="services")
    assert time.monotonic() - started < 1


@pytest.mark.parametrize("status", [None, 429, 500, 503])
def test_transient_api_answers_are_retried(status: int | None) -> None:
    from harness.core.errors import KubeApiError
    answers = iter([KubeApiError("busy", status=status), None])

    def check() -> str | None:
        answer = next(answers)
        if answer is not None:
            raise answer
        return None

    wait_until(check, timeout=5, what="services", interval=0.001)
