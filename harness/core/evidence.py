"""Evidence attached to the running scenario, and diagnostics collected when it fails.

    attach("http", "hops to auth.home.arpa", [{"url": u, "status": s} for u, s in hops])
    unregister = register_diagnostic("router bgp table", lambda: router.run("show bgp summary"))

Everything is redacted (:mod:`harness.core.redact`) before it is stored. The current scenario's log
is held in a ContextVar set by the reporting plugin around setup, call and teardown; threads
started by a check (which do not inherit the context) fall back to the scenario running now.
Evidence attached outside any scenario lands in the session log.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import yaml

from harness.core.redact import redact, redact_data

Body = str | Mapping[str, object] | Sequence[object]


@dataclass(frozen=True)
class Evidence:
    kind: str    # "router", "http", "talos", "api", "diagnostic", ...
    title: str
    body: str    # already redacted text


class EvidenceLog:
    """Evidence of one scenario (or of the session), safe to append to from several threads."""

    def __init__(self) -> None:
        self._items: list[Evidence] = []
        self._lock = threading.Lock()

    def add(self, item: Evidence) -> None:
        with self._lock:
            self._items.append(item)

    def keep_latest(self, item: Evidence) -> None:
        """Store ``item`` in place of an earlier one of the same kind and title (a table re-read while
        waiting keeps only its last answer), else append it."""
        with self._lock:
            for index, old in enumerate(self._items):
                if (old.kind, old.title) == (item.kind, item.title):
                    del self._items[index]
                    break
            self._items.append(item)

    def items(self) -> tuple[Evidence, ...]:
        with self._lock:
            return tuple(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


SESSION_LOG = EvidenceLog()
_current: ContextVar[EvidenceLog | None] = ContextVar("home_ops_evidence", default=None)
_running: list[EvidenceLog] = []  # the scenario running now, for threads without the context
_diagnostics: dict[str, Callable[[], str]] = {}
_lock = threading.Lock()


@contextmanager
def collecting(log: EvidenceLog) -> Iterator[None]:
    """Route :func:`attach` to ``log`` while the block runs (used by the plugin's hooks)."""
    token = _current.set(log)
    with _lock:
        _running.append(log)
    try:
        yield
    finally:
        with _lock:
            _running.remove(log)
        _current.reset(token)


def current_log() -> EvidenceLog:
    found = _current.get()
    if found is not None:
        return found
    with _lock:
        return _running[-1] if _running else SESSION_LOG


def attach(kind: str, title: str, body: Body) -> None:
    """Store evidence for the current scenario; mappings and lists are rendered as YAML."""
    current_log().add(Evidence(kind, redact(title), render_body(body)))


def render_body(body: Body) -> str:
    if isinstance(body, str):
        return redact(body)
    clean = redact_data(body)
    try:
        text = yaml.safe_dump(clean, default_flow_style=False, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:
        text = json.dumps(clean, indent=2, default=str)
    return redact(text)


def register_diagnostic(name: str, collect: Callable[[], str]) -> Callable[[], None]:
    """Have ``collect()`` run whenever a scenario fails; returns the function that unregisters it."""
    with _lock:
        _diagnostics[name] = collect

    def unregister() -> None:
        with _lock:
            if _diagnostics.get(name) is collect:
                del _diagnostics[name]

    return unregister


@contextmanager
def diagnostic(name: str, collect: Callable[[], str]) -> Iterator[None]:
    """``with diagnostic(...): yield`` in a fixture: registered for exactly the fixture's life."""
    unregister = register_diagnostic(name, collect)
    try:
        yield
    finally:
        unregister()


def run_diagnostics(budget: float) -> list[Evidence]:
    """Run every registered collector in parallel; each gets what is left of ``budget`` seconds.

    A collector that raises or overruns yields ``diagnostic NAME failed: ...`` instead of output,
    so it can never hide the failure being diagnosed. An overrunning collector's thread is left
    to finish on its own (daemon); its late answer is ignored.
    """
    with _lock:
        collectors = dict(_diagnostics)
    results: dict[str, str] = {}
    threads = [_start(name, collect, results) for name, collect in collectors.items()]
    deadline = time.monotonic() + budget
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    with _lock:
        done = dict(results)
    return [Evidence("diagnostic", name, redact(done.get(name, f"diagnostic {name} failed: "
                                                                 f"no answer within {budget:g}s")))
            for name in collectors]


def _start(name: str, collect: Callable[[], str], results: dict[str, str]) -> threading.Thread:
    def run() -> None:
        try:
            text = str(collect())
        except Exception as exc:  # a broken collector must not mask the real failure
            text = f"diagnostic {name} failed: {type(exc).__name__}: {exc}"
        with _lock:
            results[name] = text

    thread = threading.Thread(target=run, name=f"diagnostic {name}", daemon=True)
    thread.start()
    return thread
