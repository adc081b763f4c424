"""The router probe on FRR's real answers (fixtures/upstream/frr/, shapes of FRR 8.1-10.x; see SOURCE.md).

Offline: every answer goes through a fake ``run`` into RouterProbe, exactly as vtysh's stdout would.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.core.errors import RouterError, RouterWarning
from harness.probes.router import (
    BgpSession,
    FrrVersion,
    RouterProbe,
    mapped_ipv4,
    parse_paths,
    parse_sessions,
    parse_version,
)
from tests.frr_fake import FakeVtysh

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "upstream" / "frr"
WHERE = "udm (172.29.51.1)"
SUMMARY = "show bgp summary json"
NEIGHBORS = "show bgp neighbors json"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def probe(**answers: str) -> tuple[RouterProbe, FakeVtysh]:
    fake = FakeVtysh({k.replace("_", " "): v for k, v in answers.items()})
    return RouterProbe(fake, "udm", "172.29.51.1"), fake


def with_answers(answers: dict[str, str]) -> tuple[RouterProbe, FakeVtysh]:
    fake = FakeVtysh(answers)
    return RouterProbe(fake, "udm", "172.29.51.1"), fake


def by_key(sessions: tuple[BgpSession, ...]) -> dict[tuple[str, str], BgpSession]:
    return {(s.peer, s.family): s for s in sessions}


# --- sessions -------------------------------------------------------------------------------------

def test_owner_topology_ipv4_sessions_carry_both_families() -> None:
    router, fake = with_answers({SUMMARY: sample("summary-8.4-owner-v4-sessions.json"),
                                 NEIGHBORS: sample("neighbors-8.4-owner-v4-sessions.json")})
    sessions = by_key(router.sessions())
    assert sorted(sessions) == [(f"172.29.51.1{i}", f) for i in (1, 2, 3) for f in ("ipv4", "ipv6")]
    for (_, family), s in sessions.items():
        assert s.families == ("ipv4", "ipv6") and s.id_type == "ipv4" and s.remote_as == 64512
        assert s.is_established and s.negotiated is True and s.carries_family and s.peer_state == "OK"
        assert s.prefixes_received == (2 if family == "ipv4" else 1)
        assert s.hostname == ""  # GoBGP sends no hostname capability; FRR then omits the key
    assert fake.calls == [SUMMARY, NEIGHBORS] and fake.round_trips == 1


def test_peer_active_10_2_shape() -> None:
    router, _ = with_answers({SUMMARY: sample("summary-10.2-peer-active.json"),
                              NEIGHBORS: sample("neighbors-10.2-peer-active.json")})
    sessions = by_key(router.sessions())
    down = sessions[("172.29.51.13", "ipv6")]
    assert down.state == "Active" and not down.is_established and not down.carries_family
    assert down.prefixes_received == 0 and down.negotiated is None
    up = sessions[("172.29.51.12", "ipv6")]
    assert up.is_established and up.negotiated is True and up.prefixes_received == 1


def test_separate_ipv6_sessions_and_admin_shutdown() -> None:
    router, _ = with_answers({SUMMARY: sample("summary-9.1-separate-sessions.json"),
                              NEIGHBORS: sample("neighbors-9.1-separate-sessions.json")})
    sessions = by_key(router.sessions())
    assert sessions[("172.29.51.11", "ipv4")].families == ("ipv4",)
    v6 = sessions[("fd47:25e1:2f96:51::11", "ipv6")]
    assert v6.families == ("ipv6",) and v6.id_type == "ipv6" and v6.carries_family
    shut = sessions[("fd47:25e1:2f96:51::12", "ipv6")]
    assert shut.state == "Idle (Admin)" and shut.peer_state == "Admin" and not shut.is_established
    assert ("172.29.51.11", "ipv6") not in sessions  # not activated for IPv6: absent, not "down"


def test_established_but_family_not_negotiated() -> None:
    """FRR's JSON says "Established" for a family the neighbour did not negotiate (text view: NoNeg)."""
    router, _ = with_answers({SUMMARY: sample("summary-8.4-ipv6-not-negotiated.json"),
                              NEIGHBORS: sample("neighbors-8.4-ipv6-not-negotiated.json")})
    sessions = by_key(router.sessions())
    s = sessions[("172.29.51.12", "ipv6")]
    assert s.state == "Established" and s.is_established
    assert s.negotiated is False and not s.carries_family and s.prefixes_received == 0
    assert sessions[("172.29.51.12", "ipv4")].carries_family


def test_no_neighbors_is_no_sessions_and_no_second_question() -> None:
    router, fake = probe(show_bgp_summary_json=sample("summary-no-neighbors.json"))
    assert router.sessions() == ()
    assert fake.round_trips == 1   # the neighbours' capabilities come in the same round trip, unused


def test_prefix_count_omitted_is_none_not_zero() -> None:
    data = json.loads(sample("summary-8.4-owner-v4-sessions.json"))
    del data["ipv6Unicast"]["peers"]["172.29.51.11"]["pfxRcd"]
    sessions = by_key(parse_sessions(data))
    assert sessions[("172.29.51.11", "ipv6")].prefixes_received is None
    assert sessions[("172.29.51.11", "ipv4")].prefixes_received == 2


# --- accepted paths -------------------------------------------------------------------------------

def test_ipv4_table_8_4_valid_absent_and_local_route_skipped() -> None:
    router, _ = probe(show_bgp_ipv4_unicast_json=sample("routes-ipv4-8.4.json"))
    paths = router.paths("ipv4")
    assert {p.prefix for p in paths} == {"172.29.52.100/32", "172.29.52.101/32", "172.29.52.102/32"}
    assert all(p.peer != "(unspec)" for p in paths)
    hundred = {p.peer: p for p in paths if p.prefix == "172.29.52.100/32"}
    assert sorted(hundred) == ["172.29.51.11", "172.29.51.12", "172.29.51.13"]
    assert [p.peer for p in hundred.values() if p.is_best] == ["172.29.51.11"]
    assert hundred["172.29.51.12"].next_hops == ("172.29.51.12",) and hundred["172.29.51.12"].is_valid
    assert hundred["172.29.51.12"].link_local_next_hops == () and hundred["172.29.51.12"].mapped_ipv4 is None
    (bad,) = [p for p in paths if p.prefix == "172.29.52.102/32"]
    assert not bad.is_valid and bad.next_hops == ("172.29.60.13",)  # "valid" absent -> not valid


def test_ipv4_table_10_2_hostname_and_best() -> None:
    router, _ = probe(show_bgp_ipv4_unicast_json=sample("routes-ipv4-10.2.json"))
    paths = [p for p in router.paths("ipv4") if p.prefix == "172.29.52.200/32"]
    assert {p.peer: p.hostname for p in paths} == {"172.29.51.11": "mini01", "172.29.51.12": "mini02",
                                                   "172.29.51.13": "mini03"}
    assert [p.hostname for p in paths if p.is_best] == ["mini02"]
    assert all(p.is_valid for p in paths)


def test_json_detail_bestpath_object_and_valid_false() -> None:
    router, _ = probe(show_bgp_ipv4_unicast_json=sample("routes-ipv4-9.1-json-detail.json"))
    paths = router.paths("ipv4")
    best = [p for p in paths if p.is_best]
    assert [(p.prefix, p.peer) for p in best] == [("172.29.52.100/32", "172.29.51.11")]
    (bad,) = [p for p in paths if p.prefix == "172.29.52.102/32"]
    assert bad.peer == "172.29.51.13" and not bad.is_valid


def test_bestpath_object_without_overall_is_not_best() -> None:
    data = json.loads(sample("routes-ipv4-9.1-json-detail.json"))
    first = data["routes"]["172.29.52.100/32"]["paths"][0]
    first["bestpath"] = {"bestpathFromAs": 64512}
    paths = parse_paths(data, "ipv4")
    assert [p.peer for p in paths if p.is_best] == ["172.29.51.11"]


def test_ipv6_global_and_link_local_next_hops() -> None:
    router, _ = probe(show_bgp_ipv6_unicast_json=sample("routes-ipv6-10.2-global-link-local.json"))
    (path,) = [p for p in router.paths("ipv6")
               if p.prefix == "fd47:25e1:2f96:51:100::64/128" and p.peer == "fd47:25e1:2f96:51::11"]
    assert path.next_hops == ("fd47:25e1:2f96:51::11",)
    assert path.link_local_next_hops == ("fe80::5054:ff:fe3a:1b11",)
    assert path.has_next_hop("fd47:25e1:2f96:51:0:0:0:11") and not path.has_next_hop("fe80::5054:ff:fe3a:1b11")
    assert [h.scope for h in path.hops if h.used] == ["link-local"]
    assert path.mapped_ipv4 is None and path.is_best and path.is_valid


@pytest.mark.parametrize("name", ["routes-ipv6-8.4-mapped-next-hop.json", "routes-ipv6-10.3-mapped-next-hop.json"])
def test_ipv6_over_ipv4_session_mapped_next_hop(name: str) -> None:
    """FRR <= 10.2 prints ::ffff:ac1d:330b, >= 10.3 ::ffff:172.29.51.11: both are 172.29.51.11."""
    router, _ = probe(show_bgp_ipv6_unicast_json=sample(name))
    paths = {p.peer: p for p in router.paths("ipv6") if p.prefix == "fd47:25e1:2f96:51:100::64/128"}
    assert sorted(paths) == ["172.29.51.11", "172.29.51.12", "172.29.51.13"]
    for peer, path in paths.items():
        assert path.mapped_ipv4 == peer and path.is_valid
        assert path.has_next_hop(f"::ffff:{peer}")
        assert not path.has_next_hop(f"fd47:25e1:2f96:51::{peer.rsplit('.', 1)[1]}")
    if name.startswith("routes-ipv6-10.3"):
        assert paths["172.29.51.12"].link_local_next_hops == ("fe80::5054:ff:fe3a:1b12",)
        assert paths["172.29.51.12"].next_hops == ("::ffff:172.29.51.12",)
    else:
        assert paths["172.29.51.11"].next_hops == ("::ffff:ac1d:330b",)


def test_empty_table_is_no_paths() -> None:
    router, _ = probe(show_bgp_ipv6_unicast_json=sample("routes-empty-8.4.json"))
    assert router.paths("ipv6") == ()
    assert router.excerpt("ipv6") == "  (no such routes)"


def test_no_bgp_instance_is_not_an_empty_table() -> None:
    router, _ = probe(show_bgp_ipv4_unicast_json=sample("routes-no-bgp-instance.json"))
    with pytest.raises(RouterError, match=r"udm \(172\.29\.51\.1\): 'show bgp ipv4 unicast json' answered "
                                          r"without a routes table"):
        router.paths("ipv4")


def test_excerpt_shows_mapped_and_invalid() -> None:
    router, _ = probe(show_bgp_ipv6_unicast_json=sample("routes-ipv6-8.4-mapped-next-hop.json"),
                      show_bgp_ipv4_unicast_json=sample("routes-ipv4-8.4.json"))
    assert "::ffff:ac1d:330b (IPv4-mapped 172.29.51.11) from 172.29.51.11 () best" in router.excerpt("ipv6")
    assert "172.29.52.102/32 via 172.29.60.13 from 172.29.51.13 () INVALID" in router.excerpt("ipv4")


# --- received routes ------------------------------------------------------------------------------

def received_command(peer: str, family: str) -> str:
    return f"show bgp {family} unicast neighbors {peer} received-routes json"


def test_received_routes_new_key() -> None:
    router, _ = with_answers({received_command("172.29.51.12", "ipv4"): sample("received-8.4-ipv4.json")})
    routes = router.received("172.29.51.12", "ipv4")
    assert {r.prefix for r in routes} == {"172.29.52.100/32", "172.29.52.200/32", "172.29.60.0/24"}
    assert {r.next_hop for r in routes} == {"172.29.51.12"} and {r.peer for r in routes} == {"172.29.51.12"}
    assert {r.as_path for r in routes} == {"64512"}


def test_received_routes_old_key_frr_8_1() -> None:
    router, _ = with_answers({received_command("172.29.51.11", "ipv4"): sample("received-8.1-ipv4-old-key.json")})
    assert {r.prefix for r in router.received("172.29.51.11", "ipv4")} == {"172.29.52.100/32", "172.29.52.200/32"}


def test_received_nothing_is_empty() -> None:
    router, _ = with_answers({received_command("172.29.51.13", "ipv4"): sample("received-8.4-empty.json")})
    assert router.received("172.29.51.13", "ipv4") == ()


def test_received_ipv6_mapped_next_hop_global() -> None:
    router, _ = with_answers({received_command("172.29.51.11", "ipv6"): sample("received-10.2-ipv6-mapped.json")})
    routes = {r.prefix: r for r in router.received("172.29.51.11", "ipv6")}
    assert set(routes) == {"fd47:25e1:2f96:51:100::64/128", "fd47:25e1:2f96:51:100::c8/128", "fd47:25e1:2f96:60::/64"}
    assert {r.next_hop for r in routes.values()} == {"::ffff:ac1d:330b"}
    assert {r.mapped_ipv4 for r in routes.values()} == {"172.29.51.11"}


def test_received_without_either_key_is_an_error() -> None:
    router, _ = with_answers({received_command("172.29.51.11", "ipv4"): '{"totalPrefixCounter": 0}'})
    with pytest.raises(RouterError, match="neither of receivedRoutes, advertisedRoutes"):
        router.received("172.29.51.11", "ipv4")


# --- refusals: never "no routes" ------------------------------------------------------------------

REFUSALS = [
    ("warning-no-such-neighbor.json", "No such neighbor in this view/vrf"),
    ("warning-no-neighbor-or-family.json", "No such neighbor or address family"),
    ("warning-soft-reconfig-off.json", "Inbound soft reconfiguration not enabled"),
    ("warning-soft-reconfig-off-10.5.json", "Inbound soft reconfiguration not enabled"),
    ("warning-no-default-instance.json", "Default BGP instance not found"),
]


@pytest.mark.parametrize(("name", "text"), REFUSALS)
def test_warning_on_received_routes_raises(name: str, text: str) -> None:
    command = received_command("172.29.51.14", "ipv6")
    router, fake = with_answers({command: sample(name)})
    with pytest.raises(RouterWarning) as caught:
        router.received("172.29.51.14", "ipv6")
    message = str(caught.value)
    assert WHERE in message and repr(command) in message and text in message
    assert (caught.value.router, caught.value.command, caught.value.answer) == (WHERE, command, text)
    with pytest.raises(RouterWarning):  # a refusal is not cached: asked again, refused again
        router.received("172.29.51.14", "ipv6")
    assert fake.calls == [command, command]


@pytest.mark.parametrize(("call", "command"), [
    (lambda r: r.sessions(), SUMMARY),
    (lambda r: r.paths("ipv6"), "show bgp ipv6 unicast json"),
])
def test_warning_on_summary_and_table_raises(call: Callable[[RouterProbe], object], command: str) -> None:
    router, _ = with_answers({command: sample("warning-no-default-instance.json")})
    with pytest.raises(RouterWarning, match=re.escape(f"{WHERE}: {command!r} answered FRR warning "
                                                      f"'Default BGP instance not found'")):
        call(router)


def test_malformed_neighbor_name_raises() -> None:
    command = received_command("mini01", "ipv4")
    router, _ = with_answers({command: sample("malformed-address-or-name.json")})
    with pytest.raises(RouterWarning, match="malformedAddressOrName 'mini01'"):
        router.received("mini01", "ipv4")


def test_no_such_neighbor_flag_raises() -> None:
    router, _ = with_answers({SUMMARY: sample("summary-8.4-owner-v4-sessions.json"),
                              NEIGHBORS: sample("neighbors-no-such-neighbor.json")})
    with pytest.raises(RouterWarning, match="bgpNoSuchNeighbor"):
        router.sessions()


def test_warning_inside_a_family_object_raises() -> None:
    router, _ = probe(show_bgp_summary_json='{"ipv6Unicast": {"warning": "No such neighbor or address family"}}')
    with pytest.raises(RouterWarning, match="No such neighbor or address family"):
        router.sessions()


@pytest.mark.parametrize(("answer", "problem"), [
    ("", "answered nothing"),
    ("% Unknown command: show bgp sumary json", "did not return JSON"),
    ("[]", "returned list"),
])
def test_unreadable_answers_raise(answer: str, problem: str) -> None:
    router, _ = probe(show_bgp_summary_json=answer)
    with pytest.raises(RouterError, match=problem):
        router.sessions()


# --- version --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "expected"), [
    ("version-8.1.txt", (8, 1, 0)),
    ("version-8.4.4-debian.txt", (8, 4, 4)),
    ("version-9.1-git.txt", (9, 1, 0)),
    ("version-10.2.1.txt", (10, 2, 1)),
    ("version-10.5.1-extra.txt", (10, 5, 1)),
])
def test_version(name: str, expected: tuple[int, int, int]) -> None:
    router, fake = probe(show_version=sample(name))
    version = router.version()
    assert version == expected and isinstance(version, FrrVersion)
    assert router.version() >= (8, 1) and str(version) == ".".join(map(str, expected))
    assert fake.calls == ["show version"]  # kept until invalidate()


@pytest.mark.parametrize("text", [sample("version-garbage.txt"), "", "Hello, this is FRRouting (version 8.4.4).",
                                  "FRRouting vX (udm)."])
def test_unparsable_version_raises(text: str) -> None:
    router, _ = probe(show_version=text)
    with pytest.raises(RouterError, match=r"udm \(172\.29\.51\.1\): 'show version': unknown or unparsable FRR "
                                          r"version") as caught:
        router.version()
    assert text.strip()[:40] in str(caught.value)


def test_parse_version_ignores_leading_noise() -> None:
    assert parse_version("\n  FRRouting 10.2-dev (r1) on Linux(6.1).\n") == FrrVersion(10, 2, 0)


def test_mapped_ipv4_both_spellings() -> None:
    assert mapped_ipv4("::ffff:ac1d:330b") == mapped_ipv4("::ffff:172.29.51.11") == "172.29.51.11"
    assert mapped_ipv4("fd47:25e1:2f96:51::11") is None and mapped_ipv4("172.29.51.11") is None
    assert mapped_ipv4("not-an-address") is None


# --- the samples are all used and all sourced -----------------------------------------------------

def test_every_sample_has_a_source_line() -> None:
    source = sample("SOURCE.md")
    files = sorted(p.name for p in SAMPLES.iterdir() if p.name != "SOURCE.md")
    missing = [f for f in files if f"`{f}`" not in source]
    assert not missing, f"no SOURCE.md line for {missing}"
    used = Path(__file__).read_text()
    assert [f for f in files if f not in used] == []
