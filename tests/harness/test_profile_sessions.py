"""The profile's bgp.sessions: how BGP carries the families (required: per family; the owner's today: IPv6
over the IPv4 sessions, kept as a second profile)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import ProfileError
from harness.model.profile import load_profile
from tests.edits import replace_once

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"
IPV4_SESSIONS = ROOT / "fixtures" / "profiles" / "home-ops-ipv4-sessions.yaml"


def test_required_state_has_one_session_per_family() -> None:
    bgp = load_profile(PROFILE).bgp
    assert bgp.sessions == "per-family" and bgp.per_family
    assert bgp.session_family("ipv4") == "ipv4" and bgp.session_family("ipv6") == "ipv6"


def test_owner_topology_profile_differs_in_bgp_sessions_only() -> None:
    bgp = load_profile(IPV4_SESSIONS).bgp
    assert bgp.sessions == "ipv4-carries-both" and bgp.session_family("ipv6") == "ipv4"
    required = PROFILE.read_text().splitlines()
    variant = [line for line in IPV4_SESSIONS.read_text().splitlines() if line not in required]
    assert variant[-1] == "  sessions: ipv4-carries-both" and all(line.startswith("#") for line in variant[:-1]), \
        variant
    only_required = [line for line in required if line not in IPV4_SESSIONS.read_text().splitlines()]
    assert only_required == ["  sessions: per-family"], (
        f"home-ops.yaml changed without {IPV4_SESSIONS.name}: copy it over again (keeping the header) and set "
        f"bgp.sessions: ipv4-carries-both; lines missing there: {only_required}")


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "profile.yaml"
    path.write_text(replace_once(PROFILE.read_text(), old, new))
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("old", "new", "words"), [
    ("  sessions: per-family\n", "  sessions: both\n",
     "expected one of ipv4-carries-both, per-family, got 'both'"),
    ("  sessions: per-family\n", "  sessions: [ipv4]\n", "expected a single value, got a list"),
])
def test_bad_sessions_value_names_file_line_and_field(tmp_path: Path, old: str, new: str, words: str) -> None:
    path = _variant(tmp_path, old, new)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value) == f"{path}:{_line_of(path, '  sessions:')}: bgp.sessions: {words}"


def test_missing_sessions_is_an_error_at_the_bgp_section(tmp_path: Path) -> None:
    path = _variant(tmp_path, "  sessions: per-family\n", "")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value) == f"{path}:{_line_of(path, 'cluster_asn:')}: bgp: missing required field 'sessions'"


def test_per_family_needs_every_node_ipv6_address(tmp_path: Path) -> None:
    path = _variant(tmp_path, "  sessions: per-family\n", "  sessions: per-family\n")
    path.write_text(replace_once(path.read_text(), '{ipv4: 172.29.51.12, ipv6: "fd47:25e1:2f96:51::12"}',
                                 "{ipv4: 172.29.51.12}"))
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    assert str(info.value) == (f"{path}:{_line_of(path, '  sessions:')}: bgp.sessions: per-family needs an ipv6 "
                               "session address at the router and every node; none for mini02")
    # the owner's topology needs only the IPv4 ones
    path.write_text(replace_once(path.read_text(), "  sessions: per-family\n", "  sessions: ipv4-carries-both\n"))
    assert load_profile(path).nodes[1].addresses.families == ("ipv4",)
