"""Skipped, xfailed and waived scenarios are attributed to their feature file, line and scenario name —
in the terminal's short summary, JUnit, run.json and the HTML/Markdown reports — never to pytest-bdd's
own scenario.py, where pytest would locate a generated scenario test."""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from typing import Any

import pytest

pytest_plugins = ["pytester"]

FEATURE = """\
Feature: Attribution demo
  Scenario: Needs the router
    Given a cluster
    Then the route is present

  Scenario Outline: Address in <family>
    Given a cluster
    Then the <family> address is checked

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  Scenario: Known broken ingress
    Given a cluster
    Then the ingress is dual-stack
"""

STEPS = '''
import pytest
from pytest_bdd import given, parsers, scenarios, then

scenarios("demo.feature")

@given("a cluster")
def cluster():
    return "cluster"

@then("the route is present")
def route():
    raise AssertionError("never runs: skipped by its tag")

@then(parsers.parse("the {family} address is checked"))
def address(family):
    if family == "ipv6":
        pytest.skip("no IPv6 on this target")

@then("the ingress is dual-stack")
def ingress():
    assert False, "ingress has only ipv4"
'''

# what harness.pytest_plugin._evidence_skips does: a skip marker added while collecting
CONFTEST = '''
import pytest

def pytest_collection_modifyitems(items):
    for item in items:
        if "router" in item.name:
            item.add_marker(pytest.mark.skip(reason="needs live evidence (the router's BGP state); not judged "
                                                    "from a repo"))
'''

WAIVERS = """\
- scenario: "Known broken ingress"
  reason: waiting for the ingress-nginx upgrade
  expires: 2030-01-31
"""


@pytest.fixture
def attributed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, dict[str, str]]:
    monkeypatch.setenv("HOME_OPS_TODAY", "2025-06-12")
    monkeypatch.setenv("HOME_OPS_RUN_ID", "0612-skips")
    pytester.makefile(".feature", demo=FEATURE)
    pytester.makepyfile(test_demo=textwrap.dedent(STEPS))
    pytester.makeconftest(CONFTEST)
    pytester.makefile(".yaml", waivers=WAIVERS)
    out = pytester.path / "out"
    result = pytester.runpytest_inprocess("-p", "harness.reporting.plugin", "--report-dir", str(out), "-rsxX",
                                          "--waivers", "waivers.yaml", "-o", "junit_family=xunit1", "-vv")
    files = {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()}
    return result, files


def test_terminal_summary_names_feature_file_line_and_scenario(attributed: tuple[Any, dict[str, str]]) -> None:
    result, _ = attributed
    result.assert_outcomes(passed=1, skipped=2, xfailed=1)
    # pytest folds a marker skip without its line (_pytest/terminal.py _folded_skips); a tagged scenario keeps it
    result.stdout.fnmatch_lines([
        "test_demo.py::test_needs_the_router <- demo.feature SKIPPED*",
        "SKIPPED [[]1[]] demo.feature: Needs the router: needs live evidence (the router's BGP state); "
        "not judged from a repo",
        "SKIPPED [[]1[]] demo.feature:6: Address in ipv6: no IPv6 on this target",
        "XFAIL test_demo.py::test_known_broken_ingress - waived until 2030-01-31: waiting for the ingress-nginx "
        "upgrade",
    ])


def test_nothing_names_pytest_bdd_internals(attributed: tuple[Any, dict[str, str]]) -> None:
    result, files = attributed
    assert "pytest_bdd/" not in result.stdout.str() + result.stderr.str()
    for name, text in files.items():
        assert "pytest_bdd/" not in text and "scenario.py" not in text, name


def test_run_json_and_reports_carry_feature_file_and_line(attributed: tuple[Any, dict[str, str]]) -> None:
    _, files = attributed
    by_name = {s["name"]: s for s in json.loads(files["run.json"])["scenarios"]}
    assert set(by_name) == {"Needs the router", "Address in ipv4", "Address in ipv6", "Known broken ingress"}
    router = by_name["Needs the router"]
    assert (router["feature"], router["file"], router["line"], router["outcome"]) == (
        "Attribution demo", "demo.feature", 2, "skipped")
    assert router["message"] == "needs live evidence (the router's BGP state); not judged from a repo"
    assert (by_name["Address in ipv6"]["line"], by_name["Address in ipv6"]["message"]) == (6, "no IPv6 on this target")
    assert by_name["Known broken ingress"]["outcome"] == "waived"
    waived = by_name["Known broken ingress"]["message"]
    assert waived == "waived until 2030-01-31: waiting for the ingress-nginx upgrade"
    html, md = files["report.html"], files["report.md"]
    assert html.count("<b>Attribution demo</b>") == 1             # one group, skipped ones included
    assert "demo.feature:2</span> <span class='why'>— needs live evidence" in html
    assert "`demo.feature:6` · `test_demo.py::test_address_in_family[ipv6]`" in md


def test_junit_locates_scenarios_in_the_feature_file(attributed: tuple[Any, dict[str, str]]) -> None:
    _, files = attributed
    cases = {c.get("name"): c for c in ET.fromstring(files["junit.xml"]).iter("testcase")}
    assert {c.get("file") for c in cases.values()} == {"demo.feature"}
    skipped = cases["test_needs_the_router"].find("skipped")
    assert skipped is not None and skipped.get("message", "").startswith("Needs the router: needs live evidence")
