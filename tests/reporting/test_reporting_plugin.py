"""The reporting plugin end to end: a small feature run in pytester, its report folder inspected.

def test_x(report_run): run, out = report_run; assert out["run.json"]
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["pytester"]

CANARY = "canary-7f3c9a1e-do-not-leak"
PEM = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----"

FEATURE = """\
Feature: Reporting demo
  Scenario: Healthy pool
    Given a cluster
    Then the pool is healthy

  Scenario: Broken route
    Given a cluster
    Then the route is present
    And nothing else runs

  Scenario: Known broken ingress
    Given a cluster
    Then the ingress is dual-stack

  Scenario: Fixed thing still waived
    Given a cluster
    Then the pool is healthy

  Scenario: Old waiver, still broken
    Given a cluster
    Then the route is present
"""

STEPS = f'''
import threading
from pytest_bdd import given, then, scenarios
from harness.core.redact import register_secret
from harness.reporting import attach, diagnostic

scenarios("demo.feature")
register_secret({CANARY!r})

def _hang() -> str:
    threading.Event().wait(3)
    return "never"

def _broken() -> str:
    raise RuntimeError("router unreachable")

@given("a cluster")
def cluster():
    with diagnostic("router bgp table", lambda: "172.29.52.200/32 via mini01 token={CANARY}"), \\
         diagnostic("kube events", _broken), diagnostic("slow collector", _hang):
        yield "cluster"

@then("the pool is healthy")
def healthy():
    attach("api", "pool object", {{"metadata": {{"name": "bgp-default"}}, "spec": {{"token": "{CANARY}"}}}})

@then("the route is present")
def route():
    attach("router", "table excerpt", "Authorization: Bearer {CANARY}\\n" + {PEM!r})
    raise AssertionError("route 172.29.52.200/32 missing at udm: secret {CANARY}")

@then("nothing else runs")
def never():
    pass

@then("the ingress is dual-stack")
def ingress():
    assert False, "ingress has only ipv4"
'''

WAIVERS = """\
- scenario: "Known broken ingress"
  reason: waiting for the ingress-nginx upgrade
  expires: 2030-01-31
- scenario: "*fixed_thing*"
  reason: was broken in May
  expires: 2030-01-31
- scenario: "Old waiver"
  reason: router firmware
  expires: 2020-01-01
"""


@pytest.fixture
def report_run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, str]]:
    monkeypatch.setenv("HOME_OPS_TODAY", "2025-06-12")
    monkeypatch.setenv("HOME_OPS_RUN_ID", "0612-test")
    pytester.makefile(".feature", demo=FEATURE)
    pytester.makepyfile(test_demo=textwrap.dedent(STEPS))
    pytester.makefile(".yaml", waivers=WAIVERS)
    out = pytester.path / "out"
    result = pytester.runpytest_inprocess("-p", "harness.reporting.plugin", "--report-dir", str(out),
                                          "--waivers", "waivers.yaml", "--diagnostic-budget", "0.2")
    files = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    return result, files


def test_outcomes_in_run_json_and_exit_code(report_run: tuple[Any, dict[str, str]]) -> None:
    result, files = report_run
    doc = json.loads(files["run.json"])
    outcomes = {s["name"]: s["outcome"] for s in doc["scenarios"]}
    assert outcomes == {"Healthy pool": "passed", "Broken route": "failed", "Known broken ingress": "waived",
                        "Fixed thing still waived": "passed", "Old waiver, still broken": "failed"}
    assert doc["run_id"] == "0612-test" and doc["counts"] == {"passed": 2, "failed": 2, "waived": 1}
    assert result.ret == 1
    result.assert_outcomes(passed=2, failed=2, xfailed=1)


def test_messages_notes_and_steps(report_run: tuple[Any, dict[str, str]]) -> None:
    _, files = report_run
    by_name = {s["name"]: s for s in json.loads(files["run.json"])["scenarios"]}
    assert "route 172.29.52.200/32 missing at udm" in by_name["Broken route"]["message"]
    waived = by_name["Known broken ingress"]["message"]
    assert waived == "waived until 2030-01-31: waiting for the ingress-nginx upgrade"
    assert by_name["Fixed thing still waived"]["note"].startswith("waiver no longer needed")
    assert by_name["Old waiver, still broken"]["message"].startswith("waiver expired on 2020-01-01 (router firmware): ")
    steps = [(t["keyword"], t["name"], t["outcome"]) for t in by_name["Broken route"]["steps"]]
    assert steps == [("Given", "a cluster", "passed"), ("Then", "the route is present", "failed"),
                     ("And", "nothing else runs", "not run")]
    assert by_name["Broken route"]["feature"] == "Reporting demo"


def test_diagnostics_only_on_failure_and_never_hide_it(report_run: tuple[Any, dict[str, str]]) -> None:
    result, files = report_run
    md = files["report.md"]
    healthy = md.split("### ✅ Healthy pool")[1].split("### ")[0]
    assert "router bgp table" not in healthy
    broken = md.split("### ❌ Broken route")[1].split("### ")[0]
    assert "172.29.52.200/32 via mini01" in broken
    assert "diagnostic kube events failed: RuntimeError: router unreachable" in broken
    assert "diagnostic slow collector failed: no answer within 0.2s" in broken
    result.stdout.fnmatch_lines(["*diagnostic: router bgp table*"])


def test_html_is_self_contained_and_structured(report_run: tuple[Any, dict[str, str]]) -> None:
    _, files = report_run
    html = files["report.html"]
    assert "<style>" in html and "<script" not in html and "http://" not in html and "https://" not in html
    assert "0612-test" in html and "Reporting demo" in html and "Broken route" in html
    assert "table excerpt" in html and "pool object" in html


def test_junit_and_cucumber_written_by_default(report_run: tuple[Any, dict[str, str]]) -> None:
    _, files = report_run
    suite = ET.fromstring(files["junit.xml"]).find("testsuite")
    assert suite is not None and suite.get("failures") == "2"
    features = json.loads(files["cucumber.json"])
    assert {e["name"] for f in features for e in f["elements"]} >= {"Healthy pool", "Broken route"}


def test_canary_secret_never_written(report_run: tuple[Any, dict[str, str]]) -> None:
    result, files = report_run
    assert set(files) >= {"report.html", "report.md", "run.json", "junit.xml", "cucumber.json"}
    for name, text in files.items():
        assert CANARY not in text, f"{name} leaks the canary"
        assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7" not in text, f"{name} leaks the key"
    assert CANARY not in result.stdout.str()
    assert "<redacted private key>" in files["report.md"]


def test_bad_waiver_file_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_ok="def test_ok(): pass")
    pytester.makefile(".yaml", waivers="- scenario: x\n  reason: y\n  expires: someday\n")
    result = pytester.runpytest_inprocess("-p", "harness.reporting.plugin", "--waivers", "waivers.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*waivers.yaml:3: [[]0].expires: expected a date YYYY-MM-DD, got 'someday'*"])


def test_plain_tests_are_reported_without_report_dir_files(pytester: pytest.Pytester, tmp_path: Path) -> None:
    pytester.makepyfile(test_plain="def test_one():\n    pass\n")
    result = pytester.runpytest_inprocess("-p", "harness.reporting.plugin")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "junit.xml").exists()


def test_redacted_failures_cross_xdist_workers(pytester: pytest.Pytester) -> None:
    """A failure text the redactor changed still travels from a pytest-xdist worker (as plain text)."""
    pytester.makepyfile(test_key='def test_key():\n'
                                 '    raise AssertionError("-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n'
                                 '-----END PRIVATE KEY-----")\n')
    result = pytester.runpytest_subprocess("-p", "harness.reporting.plugin", "-n", "2", "-p", "no:cacheprovider")
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output and "MIIEvQIBADANBg" not in output, output
    result.assert_outcomes(failed=1)
