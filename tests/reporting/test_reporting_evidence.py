"""attach() routing (context, threads, session) and run_diagnostics' budget and error handling.

def test_x(): with collecting(log): attach("api", "svc", {"a": 1})
"""

from __future__ import annotations

import threading
import time

from harness.core.evidence import (
    EvidenceLog,
    attach,
    collecting,
    current_log,
    diagnostic,
    register_diagnostic,
    run_diagnostics,
)


def test_attach_goes_to_the_current_log_then_back_to_the_enclosing_one() -> None:
    log = EvidenceLog()
    with collecting(log):
        attach("api", "service", {"metadata": {"name": "web"}, "data": {"password": "hunter2"}})
    enclosing = current_log()   # this test's own log under the reporting plugin, else the session log
    before = len(enclosing.items())
    attach("router", "outside the inner scenario", "show bgp summary")
    assert [(e.kind, e.title) for e in log.items()] == [("api", "service")]
    assert "hunter2" not in log.items()[0].body and "name: web" in log.items()[0].body
    assert len(enclosing.items()) == before + 1 and enclosing is not log


def test_threads_without_the_context_attach_to_the_running_scenario() -> None:
    log = EvidenceLog()
    with collecting(log):
        worker = threading.Thread(target=attach, args=("http", "hop", "GET / 302"))
        worker.start()
        worker.join(5)
    assert [e.title for e in log.items()] == ["hop"]


def test_diagnostics_run_in_parallel_within_the_budget_and_report_failures() -> None:
    release = threading.Event()
    with diagnostic("ok", lambda: "table"), diagnostic("boom", lambda: str(1 / 0)), \
            diagnostic("hang", lambda: str(release.wait(5))):
        started = time.monotonic()
        found = {e.title: e.body for e in run_diagnostics(0.3)}
        elapsed = time.monotonic() - started
    release.set()
    assert found["ok"] == "table"
    assert found["boom"] == "diagnostic boom failed: ZeroDivisionError: division by zero"
    assert found["hang"] == "diagnostic hang failed: no answer within 0.3s"
    assert elapsed < 1.0
    assert run_diagnostics(0.1) == []  # the context manager unregistered all three


def test_unregister_only_removes_its_own_collector() -> None:
    unregister_old = register_diagnostic("events", lambda: "old")
    unregister_new = register_diagnostic("events", lambda: "new")
    unregister_old()
    assert [e.body for e in run_diagnostics(1)] == ["new"]
    unregister_new()
    assert run_diagnostics(0.1) == []
