"""Waiver files: parsing with file:line errors, matching, the verdict table, the injectable day.

def test_x(tmp_path): load_waivers(tmp_path / "w.yaml")
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.reporting.waivers import Waiver, judge, load_waivers, today

DAY = dt.date(2025, 6, 12)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_entries_with_dates(tmp_path: Path) -> None:
    path = _write(tmp_path, "- scenario: features/bgp.feature::*ipv6*\n  reason: FRR upgrade\n  expires: 2025-07-01\n"
                            "- scenario: No two pools overlap\n  reason: x\n  expires: '2025-06-12'\n")
    waivers = load_waivers(path)
    assert [w.expires for w in waivers.entries] == [dt.date(2025, 7, 1), dt.date(2025, 6, 12)]
    assert waivers.entries[1].where == f"{path}:4"


def test_empty_file_means_no_waivers(tmp_path: Path) -> None:
    assert load_waivers(_write(tmp_path, "# nothing waived\n")).entries == ()


@pytest.mark.parametrize(("text", "expected"), [
    ("- scenario: x\n  reason: y\n    bad: indent\n", ":3: <root>: malformed YAML: mapping values are not allowed"),
    ("- scenario: x\n  expires: 2025-01-01\n", ":1: [0]: missing required field 'reason'"),
    ("- scenario: x\n  reason: y\n  expires: 2025-13-01\n", ":3: [0].expires: expected a date YYYY-MM-DD"),
    ("- scenario: x\n  reason: y\n  expires: 2025-01-01\n  owner: me\n", ":1: [0]: unknown field(s) owner"),
    ("scenario: x\n", ":1: <root>: expected a list, got a mapping"),
])
def test_malformed_file_is_one_line_naming_file_and_line(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_waivers(path)
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message and "\n" not in message


def test_glob_matches_nodeid_and_plain_text_matches_substring_of_nodeid_or_name() -> None:
    glob = Waiver("features/bgp.feature::*ipv6*", "r", DAY, "w:1")
    assert glob.matches("features/bgp.feature::test_route[ipv6]", "Routes")
    assert not glob.matches("features/bgp.feature::test_route[ipv4]", "Routes ipv6")
    text = Waiver("pools overlap", "r", DAY, "w:1")
    assert text.matches("features/lb_pools.feature::test_no_two", "No two pools overlap")
    assert not text.matches("features/lb_pools.feature::test_no_two", "No two pools share")


def test_find_prefers_an_active_waiver(tmp_path: Path) -> None:
    path = _write(tmp_path, "- {scenario: pools, reason: old, expires: 2020-01-01}\n"
                            "- {scenario: pools, reason: new, expires: 2030-01-01}\n")
    found = load_waivers(path).find("x::pools", "pools", DAY)
    assert found is not None and found.reason == "new"
    assert load_waivers(path).find("x::other", "other", DAY) is None


def test_verdict_table() -> None:
    waiver = Waiver("x", "ingress upgrade", DAY, "w.yaml:1")
    assert judge(waiver, failed=True, today=DAY).xfail_reason == "waived until 2025-06-12: ingress upgrade"
    assert judge(waiver, failed=False, today=DAY).note.startswith("waiver no longer needed")
    later = DAY + dt.timedelta(days=1)
    expired_fail = judge(waiver, failed=True, today=later)
    assert expired_fail.xfail_reason is None
    assert expired_fail.message_prefix == "waiver expired on 2025-06-12 (ingress upgrade): "
    expired_pass = judge(waiver, failed=False, today=later)
    assert expired_pass.xfail_reason is None and expired_pass.message_prefix == ""
    assert expired_pass.note.startswith("waiver expired on 2025-06-12; remove it")
    assert judge(None, failed=True, today=DAY).xfail_reason is None


def test_today_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME_OPS_TODAY", "2024-02-29")
    assert today() == dt.date(2024, 2, 29)
    monkeypatch.setenv("HOME_OPS_TODAY", "tomorrow")
    with pytest.raises(ConfigError, match="HOME_OPS_TODAY='tomorrow': expected a date"):
        today()
    monkeypatch.delenv("HOME_OPS_TODAY")
    assert today() == dt.date.today()
