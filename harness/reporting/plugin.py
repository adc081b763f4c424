"""pytest wiring for evidence, diagnostics, waivers, redaction and the run's report folder.

    pytest features/ --report-dir reports/nightly-0612 --waivers waivers.yaml
    pytest -p harness.reporting.plugin tests/ --report-dir out      # outside the root conftest

``--report-dir DIR`` writes report.html, report.md and run.json at session end, and (unless given
explicitly) JUnit XML (``--junitxml``) and pytest-bdd's cucumber JSON (``--cucumberjson``, dest
``cucumber_json_path`` in pytest-bdd 9's ``cucumber_json.py``) into DIR. Every test report is
redacted before any reporter sees it. The run id is ``HOME_OPS_RUN_ID`` when set, else a fresh
one; it is kept in ``config.stash[RUN_ID]`` for the run lock and the run's labels.

A Gherkin scenario is attributed to its feature file, line and name (:mod:`.scenarios`), never to
pytest-bdd's ``scenario.py`` where pytest would locate it: in the reports, in JUnit's
``file``/``line`` and in the terminal's short summary, where a skip reads
``SKIPPED [n] features/bgp.feature:13: <scenario>: <reason>`` (xfails are named by nodeid, the
feature file's). The router's answers the run reads
are kept as evidence (:mod:`.routing`) for the routing picture; on a repo run the drift table
(``harness.rules.judge``) goes into the reports.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import secrets
import sys
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import ConfigError, HarnessError
from harness.core.evidence import SESSION_LOG, collecting, run_diagnostics
from harness.core.redact import redact
from harness.reporting.drift import drift_table
from harness.reporting.model import RoutingContext, RunResult
from harness.reporting.recorder import ItemRecord, StepRecord
from harness.reporting.routing import record_router_answers
from harness.reporting.scenarios import ScenarioId, scenario_id
from harness.reporting.waivers import Waivers, judge, load_waivers, today
from harness.reporting.write import write_reports

RUN_ID = pytest.StashKey[str]()
RUN_ID_ENV = "HOME_OPS_RUN_ID"
# Namespace names are RFC 1123 labels of at most 63 characters; "conformance-" takes 12 of them
# (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/#dns-label-names).
_RUN_ID = re.compile(r"[a-z0-9](?:[-a-z0-9]{0,49}[a-z0-9])?")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("home-ops-reporting", "home-ops reports and waivers")
    group.addoption("--report-dir", type=Path, default=None,
                    help="write report.html, report.md, run.json, junit.xml and cucumber.json here")
    group.addoption("--waivers", type=Path, default=None,
                    help="YAML list of {scenario, reason, expires}: known failures reported as xfail until then")
    group.addoption("--diagnostic-budget", type=float, default=20.0,
                    help="seconds the failure diagnostics (router table, events, ...) may take per failure")


@pytest.hookimpl(tryfirst=True)  # before junitxml and pytest-bdd read their output paths
def pytest_configure(config: pytest.Config) -> None:
    config.stash[RUN_ID] = os.environ.get(RUN_ID_ENV) or f"{time.strftime('%m%d%H%M')}-{secrets.token_hex(3)}"
    if not _RUN_ID.fullmatch(config.stash[RUN_ID]):  # it names the run's namespace: conformance-<id>
        raise pytest.UsageError(f"{RUN_ID_ENV}={config.stash[RUN_ID]!r}: expected at most 51 lowercase letters, "
                                "digits and '-', starting and ending with a letter or digit (an RFC 1123 label)")
    report_dir: Path | None = config.getoption("--report-dir")
    if report_dir is not None:
        _make_dir(report_dir)
        if not getattr(config.option, "xmlpath", None):
            config.option.xmlpath = str(report_dir / "junit.xml")
        if hasattr(config.option, "cucumber_json_path") and not config.option.cucumber_json_path:
            config.option.cucumber_json_path = str(report_dir / "cucumber.json")
    waivers_path: Path | None = config.getoption("--waivers")
    try:
        waivers = load_waivers(waivers_path) if waivers_path is not None else Waivers()
        day = today()
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc
    SESSION_LOG.clear()  # one session per process in practice; several in the harness's own tests
    config.pluginmanager.register(ReportingPlugin(config, waivers, day, report_dir), "home-ops-reporting")


class ReportingPlugin:
    """Per-run state: one ItemRecord per test, in run order."""

    def __init__(self, config: pytest.Config, waivers: Waivers, day: dt.date, report_dir: Path | None) -> None:
        self.config, self.waivers, self.today, self.report_dir = config, waivers, day, report_dir
        self.records: dict[str, ItemRecord] = {}
        self.scenarios: dict[str, ScenarioId] = {}     # nodeid -> the Gherkin scenario it runs
        self.started = dt.datetime.now().astimezone()
        self.clock = time.monotonic()
        self.stop_recording = record_router_answers()

    def pytest_unconfigure(self) -> None:
        self.stop_recording()

    def record(self, item: pytest.Item) -> ItemRecord:
        if item.nodeid not in self.records:
            found = self.scenarios.get(item.nodeid)
            if found is None:
                self.records[item.nodeid] = ItemRecord(item.nodeid, feature=item.location[0], name=item.name)
            else:
                self.records[item.nodeid] = ItemRecord(item.nodeid, feature=found.feature, name=found.name,
                                                       file=found.file, line=found.line)
        return self.records[item.nodeid]

    # -- Gherkin scenarios: their feature file and line, not pytest-bdd's scenario.py -----------
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        for item in items:
            found = scenario_id(item, self.config.rootpath)
            if found is None:
                continue
            self.scenarios[item.nodeid] = found
            # Item.location is a cached property (relpath, 0-based line, domain); every report copies it
            item.__dict__["location"] = (found.file, found.line - 1, item.location[2])

    # -- the current scenario, for attach() ---------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        with collecting(self.record(item).log):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        with collecting(self.record(item).log):
            return (yield)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(self, item: pytest.Item) -> Generator[None, None, None]:
        with collecting(self.record(item).log):
            return (yield)

    # -- pytest-bdd: scenario names and step durations ------------------------------------------
    def pytest_bdd_before_scenario(self, request: pytest.FixtureRequest, feature: Any, scenario: Any) -> None:
        record = self.record(request.node)
        record.feature = feature.name or feature.rel_filename
        record.name = scenario.name
        record.steps = [StepRecord(step.keyword.strip(), step.name) for step in scenario.steps]

    def pytest_bdd_before_step(self, request: pytest.FixtureRequest, step: Any) -> None:
        self.record(request.node).step_started(step.keyword.strip(), step.name)

    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, step: Any) -> None:
        self.record(request.node).step_finished(step.keyword.strip(), step.name, "passed")

    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, step: Any) -> None:
        self.record(request.node).step_finished(step.keyword.strip(), step.name, "failed")

    def pytest_bdd_step_func_lookup_error(self, request: pytest.FixtureRequest, step: Any) -> None:
        self.record(request.node).step_finished(step.keyword.strip(), step.name, "undefined")

    # -- reports: diagnostics, redaction, waivers -----------------------------------------------
    @pytest.hookimpl(wrapper=True, tryfirst=True)  # outermost: sees pytest's xfail decisions
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]
                                  ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        record = self.record(item)
        if report.failed:
            _own_error_without_its_cause(item, call, report)
            self._diagnose(report, record)
        _redact_report(report)
        if report.when == "call":
            self._apply_waiver(report, record)
        record.add_phase(report)
        found = self.scenarios.get(item.nodeid)
        if found is not None:
            _attribute(report, found)
        return report

    def _diagnose(self, report: pytest.TestReport, record: ItemRecord) -> None:
        for evidence in run_diagnostics(self.config.getoption("--diagnostic-budget")):
            record.log.add(evidence)
            report.sections.append((f"diagnostic: {evidence.title}", evidence.body))

    def _apply_waiver(self, report: pytest.TestReport, record: ItemRecord) -> None:
        if report.skipped or hasattr(report, "wasxfail"):
            return
        verdict = judge(self.waivers.find(record.nodeid, record.name, self.today),
                        failed=report.failed, today=self.today)
        if verdict.xfail_reason is not None:
            report.outcome, report.wasxfail, record.waived = "skipped", verdict.xfail_reason, True
        if verdict.message_prefix:
            record.message_prefix = verdict.message_prefix
            _prefix_message(report, verdict.message_prefix)
        if verdict.note:
            record.notes.append(verdict.note)

    # -- session end --------------------------------------------------------------------------
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        for record in self.records.values():
            for note in record.notes:
                terminalreporter.write_line(f"waiver: {record.nodeid}: {note}")
        if self.report_dir is not None:
            terminalreporter.write_line(f"reports: {self.report_dir / 'report.html'}, report.md, run.json")

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.report_dir is not None:
            write_reports(self.run_result(), self.report_dir)

    def run_result(self) -> RunResult:
        scenarios = tuple(r.result() for r in self.records.values())
        judge = _main_stash(self.config, "REPO_JUDGE")
        return RunResult(
            run_id=self.config.stash[RUN_ID], target=_target(self.config), profile=_profile(self.config),
            started=self.started.isoformat(timespec="seconds"), duration=time.monotonic() - self.clock,
            scenarios=scenarios, session_evidence=SESSION_LOG.items(),
            drift=drift_table(judge, scenarios) if judge is not None else None,
            routing=_routing_context(_main_stash(self.config, "PROFILE")))


def _attribute(report: pytest.TestReport, found: ScenarioId) -> None:
    """A skip names the scenario, its feature file and line where pytest would name pytest-bdd's
    scenario.py (the item's location, fixed at collection, already covers the rest: an xfail line is
    ``XFAIL features/x.feature::test_<scenario> - <reason>``)."""
    if isinstance(report.longrepr, tuple) and len(report.longrepr) == 3 and report.skipped \
            and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[2]).removeprefix("Skipped: ")
        report.longrepr = (found.path, found.line, f"{found.name}: {reason}")


def _main_stash(config: pytest.Config, name: str) -> Any:
    """A value the harness's main plugin (harness.pytest_plugin) keeps in the stash, if it is loaded."""
    module = sys.modules.get("harness.pytest_plugin")
    key = getattr(module, name, None)
    return config.stash.get(key, None) if isinstance(key, pytest.StashKey) else None


def _routing_context(profile: Any) -> RoutingContext | None:
    """Names for the routing picture from the profile: the router, each node's addresses, the LB ranges."""
    if profile is None:
        return None
    try:
        nodes = tuple((n.name, tuple(str(a) for _, a in n.addresses.values)) for n in profile.nodes)
        lb = tuple((family, str(net)) for family, net in profile.networks.load_balancer.values)
        return RoutingContext(str(profile.bgp.router.name), nodes, lb)
    except AttributeError:  # a profile of another shape: the picture names peers by address
        return None


def _make_dir(path: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise pytest.UsageError(f"--report-dir {path}: cannot create: {exc.strerror or exc}") from exc


def _own_error_without_its_cause(item: pytest.Item, call: pytest.CallInfo[None], report: pytest.TestReport) -> None:
    """A failure the harness raised on purpose (its message says what, where, expected, seen) is shown
    without the library exception it was mapped from: the cause stays on the exception (``__cause__``,
    shown with ``--full-trace``), not in every report as a page of urllib3 or gRPC internals."""
    excinfo = call.excinfo
    if excinfo is None or not excinfo.errisinstance(HarnessError) or item.config.getoption("fulltrace"):
        return
    error = excinfo.value
    if error.__cause__ is None and (error.__context__ is None or error.__suppress_context__):
        return        # nothing to cut: pytest's own report is already this one (rendering it again costs ~0.1 s)
    style = item.config.getoption("tbstyle", "auto")
    cut = getattr(item, "_traceback_filter", True)     # pytest's own: from the test function down, no internals
    report.longrepr = excinfo.getrepr(style="long" if style == "auto" else style, chain=False, funcargs=True,
                                      truncate_locals=True, tbfilter=cut,
                                      showlocals=bool(item.config.getoption("showlocals")))


def _redact_report(report: pytest.TestReport) -> None:
    """Scrub what JUnit, cucumber JSON and the terminal will print; keep pytest's formatting when clean."""
    report.sections = [(title, redact(body)) for title, body in report.sections]
    longrepr = report.longrepr
    if isinstance(longrepr, tuple):
        report.longrepr = (longrepr[0], longrepr[1], redact(longrepr[2]))
    elif longrepr is not None:
        text = report.longreprtext
        clean = redact(text)
        crash = getattr(longrepr, "reprcrash", None)
        if clean != text:
            redacted = _RedactedText(clean)
            redacted.reprcrash = crash  # JUnit's message attribute and the short summary read it
            report.longrepr = redacted
        if crash is not None:
            crash.message = redact(crash.message)
    if hasattr(report, "wasxfail"):
        report.wasxfail = redact(report.wasxfail)


class _RedactedText(str):
    """A redacted failure text that keeps pytest's crash line (``reprcrash``), which a plain str loses.

    ``toterminal`` makes pytest print it as text and serialise it as a plain str (pytest-xdist sends
    reports between processes and refuses a str subclass)."""

    reprcrash: Any = None

    def toterminal(self, out: Any) -> None:
        out.line(str(self))


def _prefix_message(report: pytest.TestReport, prefix: str) -> None:
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        crash.message = prefix + crash.message
    elif isinstance(report.longrepr, str):
        report.longrepr = prefix + report.longrepr
    report.sections.append(("waiver", prefix.rstrip(": ")))


def _option(config: pytest.Config, name: str) -> Any:
    try:
        return config.getoption(name)
    except ValueError:  # the harness's main plugin is not loaded (e.g. plugin tests)
        return None


def _target(config: pytest.Config) -> str:
    kind = _option(config, "--target")
    if kind:
        return str(kind)
    if _option(config, "--kubeconfig"):
        return "live"
    return "lab" if _option(config, "--profile") is not None else "n/a"


def _profile(config: pytest.Config) -> str:
    value = _option(config, "--profile")
    return str(value) if value is not None else "n/a"
