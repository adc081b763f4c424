"""The BGP checks (harness/rules/bgp.py) on FRR's real answers, for both topologies.

Offline: the recorded FRR samples (fixtures/upstream/frr/, see SOURCE.md) go through a fake vtysh
into RouterProbe exactly as vtysh's stdout would, and the checks judge what the probe parsed.
``home-ops-ipv4-sessions.yaml`` is the owner's current topology (IPv4 sessions carrying both families);
``home-ops.yaml`` (the required state) has a separate IPv6 session per node.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import RouterWarning
from harness.model.profile import load_profile
from harness.probes.router import BgpPath, BgpSession, ReceivedRoute, RouterProbe
from harness.rules import bgp
from tests.frr_fake import FakeVtysh

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "fixtures" / "upstream" / "frr"
OWNER = load_profile(ROOT / "fixtures" / "profiles" / "home-ops-ipv4-sessions.yaml")
PER_FAMILY = load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")
WHERE = "udm (172.29.51.1)"
SUMMARY, NEIGHBORS = "show bgp summary json", "show bgp neighbors json"
V6_C8 = "fd47:25e1:2f96:51:100::c8/128"
V6_64 = "fd47:25e1:2f96:51:100::64/128"


def sample(name: str) -> str:
    return (SAMPLES / name).read_text()


def edited(name: str, edit: Callable[[Any], None]) -> str:
    data = json.loads(sample(name))
    edit(data)
    return json.dumps(data)


def router(**answers: str) -> RouterProbe:
    """Answers by command, given as keyword arguments with "_" for " " (or via ``answers``)."""
    return RouterProbe(FakeVtysh({k.replace("_", " "): v for k, v in answers.items()}), "udm", "172.29.51.1")


def sessions(summary: str, neighbors: str) -> tuple[BgpSession, ...]:
    return RouterProbe(FakeVtysh({SUMMARY: summary, NEIGHBORS: neighbors}), "udm", "172.29.51.1").sessions()


def paths(name: str, family: str, text: str | None = None) -> tuple[BgpPath, ...]:
    command = f"show bgp {family} unicast json"
    return RouterProbe(FakeVtysh({command: text or sample(name)}), "udm", "172.29.51.1").paths(family)


OWNER_SESSIONS = ("summary-8.4-owner-v4-sessions.json", "neighbors-8.4-owner-v4-sessions.json")
SEPARATE_SESSIONS = ("summary-9.1-separate-sessions.json", "neighbors-9.1-separate-sessions.json")
NOT_NEGOTIATED = ("summary-8.4-ipv6-not-negotiated.json", "neighbors-8.4-ipv6-not-negotiated.json")


# --- sessions -------------------------------------------------------------------------------------

@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_owner_topology_passes_both_families_on_the_ipv4_sessions(family: str) -> None:
    found = sessions(*map(sample, OWNER_SESSIONS))
    assert bgp.session_problems(OWNER, found, WHERE, family) == []


def test_per_family_topology_passes_ipv4_and_names_the_admin_down_ipv6_session() -> None:
    found = sessions(*map(sample, SEPARATE_SESSIONS))
    assert bgp.session_problems(PER_FAMILY, found, WHERE, "ipv4") == []
    (problem,) = bgp.session_problems(PER_FAMILY, found, WHERE, "ipv6")
    assert problem == (f"ipv6 BGP session with mini02 (fd47:25e1:2f96:51::12) at {WHERE} is Idle (Admin), "
                       "expected Established")


def test_owner_profile_on_a_per_family_router_says_where_ipv6_travels() -> None:
    found = sessions(*map(sample, SEPARATE_SESSIONS))
    problems = bgp.session_problems(OWNER, found, WHERE, "ipv6")
    assert len(problems) == 3
    assert problems[0] == (f"ipv6 on the ipv4 BGP session with mini01 (172.29.51.11) not configured at {WHERE}: "
                           "ipv6 is carried on the session with fd47:25e1:2f96:51::11 instead "
                           "(bgp.sessions says ipv4-carries-both)")


def test_per_family_profile_on_the_owners_router_says_ipv6_rides_the_ipv4_session() -> None:
    found = sessions(*map(sample, OWNER_SESSIONS))
    assert bgp.session_problems(PER_FAMILY, found, WHERE, "ipv4") == []
    problems = bgp.session_problems(PER_FAMILY, found, WHERE, "ipv6")
    assert problems[2] == (f"ipv6 BGP session with mini03 (fd47:25e1:2f96:51::13) not configured at {WHERE}: "
                           "ipv6 is carried on the session with 172.29.51.13 instead (bgp.sessions says per-family)")


def test_family_established_but_not_negotiated_fails_naming_router_command_and_answer() -> None:
    """FRR's summary says Established for IPv6 on mini02's session; only `show bgp neighbors json`
    shows the neighbour did not offer it (the text view's NoNeg)."""
    found = sessions(*map(sample, NOT_NEGOTIATED))
    assert bgp.session_problems(OWNER, found, WHERE, "ipv4") == []
    (problem,) = bgp.session_problems(OWNER, found, WHERE, "ipv6")
    assert problem.startswith(f"ipv6 not negotiated on the Established session with mini02 (172.29.51.12) at {WHERE}")
    assert "FRR's summary says Established" in problem and "'show bgp neighbors json'" in problem
    assert "multiprotocolExtensions.ipv6Unicast without advertisedAndReceived" in problem
    assert "the neighbour did not offer ipv6" in problem


def test_unknown_negotiation_is_not_a_pass() -> None:
    found = tuple(replace(s, negotiated=None) if s.peer == "172.29.51.13" else s
                  for s in sessions(*map(sample, OWNER_SESSIONS)))
    (problem,) = bgp.session_problems(OWNER, found, WHERE, "ipv6")
    assert problem.startswith("cannot tell whether ipv6 was negotiated on the Established session with mini03 "
                              f"(172.29.51.13) at {WHERE}")


def test_family_not_activated_on_the_session() -> None:
    summary = edited(OWNER_SESSIONS[0], lambda d: d["ipv6Unicast"]["peers"].pop("172.29.51.12"))
    found = sessions(summary, sample(OWNER_SESSIONS[1]))
    (problem,) = bgp.session_problems(OWNER, found, WHERE, "ipv6")
    assert problem == (f"ipv6 not activated on the session with mini02 (172.29.51.12) at {WHERE}: FRR lists it for "
                       "ipv4 only; expected ipv6 activated (bgp.sessions says ipv4-carries-both)")


def test_session_not_established_and_absent() -> None:
    found = sessions(sample("summary-10.2-peer-active.json"), sample("neighbors-10.2-peer-active.json"))
    (problem,) = bgp.session_problems(OWNER, found, WHERE, "ipv6")
    assert problem == (f"ipv6 on the ipv4 BGP session with mini03 (172.29.51.13) at {WHERE} is Active, "
                       "expected Established")
    (none,) = [p for p in bgp.session_problems(OWNER, (), WHERE, "ipv4") if "mini01" in p]
    assert none == f"ipv4 BGP session with mini01 (172.29.51.11) not configured at {WHERE}; peers present: none"


def test_session_addresses_compare_as_addresses() -> None:
    found = tuple(replace(s, peer=s.peer.replace("::", ":0:0:0:")) for s in sessions(*map(sample, SEPARATE_SESSIONS)))
    assert "fd47:25e1:2f96:51:0:0:0:11" in {s.peer for s in found}
    assert [p for p in bgp.session_problems(PER_FAMILY, found, WHERE, "ipv6") if "mini01" in p] == []


# --- accepted routes --------------------------------------------------------------------------------

def test_ipv6_over_ipv4_sessions_mapped_next_hop_is_the_node() -> None:
    """Cilium (GoBGP) on an IPv4 session sends ::ffff:<node IPv4>; FRR <= 10.2 prints it in hex."""
    found = paths("routes-ipv6-8.4-mapped-next-hop.json", "ipv6")
    assert {p.peer for p in found} == {"172.29.51.11", "172.29.51.12", "172.29.51.13"}
    assert bgp.route_problems(OWNER, found, V6_C8, "ipv6", WHERE) == []
    assert bgp.route_problems(OWNER, paths("routes-ipv6-10.3-mapped-next-hop.json", "ipv6"), V6_64, "ipv6",
                              WHERE) == []


def test_mapped_next_hop_of_another_node_is_named_with_what_was_expected() -> None:
    def swap(data: Any) -> None:
        for path in data["routes"][V6_C8]:
            if path["peerId"] == "172.29.51.12":
                path["nexthops"][0]["ip"] = "::ffff:ac1d:330b"
    found = paths("", "ipv6", edited("routes-ipv6-8.4-mapped-next-hop.json", swap))
    (problem,) = bgp.route_problems(OWNER, found, V6_C8, "ipv6", WHERE)
    assert problem == (f"route {V6_C8} from mini02 at {WHERE} has next hop ::ffff:ac1d:330b (IPv4-mapped "
                       "172.29.51.11), expected fd47:25e1:2f96:51::12 or the IPv4-mapped ::ffff:172.29.51.12 "
                       "(mini02's own address)")


def test_per_family_global_and_link_local_next_hops() -> None:
    found = paths("routes-ipv6-10.2-global-link-local.json", "ipv6")
    assert bgp.route_problems(PER_FAMILY, found, V6_C8, "ipv6", WHERE) == []
    # the same table judged by the owner's topology: those are not its sessions
    (problem,) = bgp.route_problems(OWNER, found, V6_C8, "ipv6", WHERE)
    assert problem.startswith(f"route {V6_C8} (ipv6) missing at {WHERE} from mini01, mini02, mini03: received from "
                              "fd47:25e1:2f96:51::11")


def test_per_family_topology_rejects_a_mapped_next_hop_on_an_ipv6_session() -> None:
    def mapped(data: Any) -> None:
        for path in data["routes"][V6_C8]:
            if path["peerId"] == "fd47:25e1:2f96:51::13":
                path["nexthops"] = [{"ip": "::ffff:ac1d:330d", "afi": "ipv6", "scope": "global", "used": True}]
    found = paths("", "ipv6", edited("routes-ipv6-10.2-global-link-local.json", mapped))
    (problem,) = bgp.route_problems(PER_FAMILY, found, V6_C8, "ipv6", WHERE)
    assert problem == (f"route {V6_C8} from mini03 at {WHERE} has next hop ::ffff:ac1d:330d (IPv4-mapped "
                       "172.29.51.13), expected fd47:25e1:2f96:51::13 (mini03's own address)")


@pytest.mark.parametrize("name", ["routes-ipv4-8.4.json", "routes-ipv4-9.1-json-detail.json"])
def test_path_not_valid_fails_even_when_present(name: str) -> None:
    """8.4's table view omits "valid" on an unusable path; 9.1's detail view says false."""
    found = paths(name, "ipv4")
    assert bgp.route_problems(OWNER, found, "172.29.52.100/32", "ipv4", WHERE) == []
    problems = bgp.route_problems(OWNER, found, "172.29.52.102/32", "ipv4", WHERE)
    assert problems[0].startswith("route 172.29.52.102/32 (ipv4) missing at")
    assert problems[1] == (f"route 172.29.52.102/32 (ipv4) from mini03 at {WHERE} is not valid: 'show bgp ipv4 unicast "
                           "json' marks the path without \"valid\": true (next hop 172.29.60.13); FRR will not use it")
    assert problems[2] == (f"route 172.29.52.102/32 from mini03 at {WHERE} has next hop 172.29.60.13, expected "
                           "172.29.51.13 (mini03's own address)")


def test_invalid_mapped_path_is_a_failure_though_the_next_hop_is_right() -> None:
    def invalid(data: Any) -> None:
        for path in data["routes"][V6_C8]:
            if path["peerId"] == "172.29.51.11":
                del path["valid"]
    found = paths("", "ipv6", edited("routes-ipv6-8.4-mapped-next-hop.json", invalid))
    (problem,) = bgp.route_problems(OWNER, found, V6_C8, "ipv6", WHERE)
    assert "from mini01" in problem and "is not valid" in problem
    assert "(next hop ::ffff:ac1d:330b (IPv4-mapped 172.29.51.11))" in problem


def test_withdrawn_names_nodes_by_session_address() -> None:
    found = paths("routes-ipv6-8.4-mapped-next-hop.json", "ipv6")
    (problem,) = bgp.withdrawn_problems(OWNER, found, V6_C8, "ipv6", WHERE)
    assert problem.startswith(f"route {V6_C8} (ipv6) still present at {WHERE} from mini01, mini02, mini03")
    assert bgp.withdrawn_problems(OWNER, found, "fd47:25e1:2f96:51:100::99/128", "ipv6", WHERE) == []


# --- outside the LB ranges ----------------------------------------------------------------------

def received_answers(family: str, **by_address: str) -> Callable[[str], tuple[ReceivedRoute, ...]]:
    answers = {f"show bgp {family} unicast neighbors {a} received-routes json": text for a, text in by_address.items()}
    probe = RouterProbe(FakeVtysh(answers), "udm", "172.29.51.1")
    return lambda address: probe.received(address, family)


def test_outside_reads_received_routes_by_session_address_on_the_owners_topology() -> None:
    """IPv6 received-routes are asked of the IPv4 neighbour; its IPv6 route outside the range is named."""
    received = received_answers("ipv6", **{"172.29.51.11": sample("received-10.2-ipv6-mapped.json"),
                                           "172.29.51.12": sample("received-8.4-empty.json"),
                                           "172.29.51.13": sample("received-8.4-empty.json")})
    found = sessions(*map(sample, OWNER_SESSIONS))
    problems = bgp.outside_problems(OWNER, "ipv6", WHERE, paths("routes-ipv6-8.4-mapped-next-hop.json", "ipv6"),
                                    received, found)
    assert problems == [f"mini01 advertised fd47:25e1:2f96:60::/64 (ipv6) to {WHERE}, outside the LB ranges "
                        f"fd47:25e1:2f96:51:100::/120; {WHERE} filtered it (received, not accepted)"]


@pytest.mark.parametrize("warning", ["warning-soft-reconfig-off.json", "warning-soft-reconfig-off-10.5.json"])
def test_outside_fails_on_frr_warning_naming_router_node_family_and_frr_words(warning: str) -> None:
    received = received_answers("ipv6", **{"172.29.51.11": sample("received-8.4-empty.json"),
                                           "172.29.51.12": sample(warning),
                                           "172.29.51.13": sample("received-8.4-empty.json")})
    found = sessions(*map(sample, OWNER_SESSIONS))
    (problem,) = bgp.outside_problems(OWNER, "ipv6", WHERE, (), received, found)
    assert problem.startswith("cannot judge what mini02 advertised (ipv6): udm (172.29.51.1): "
                              "'show bgp ipv6 unicast neighbors 172.29.51.12 received-routes json' answered FRR "
                              "warning 'Inbound soft reconfiguration not enabled'"), problem


def test_outside_without_the_family_negotiated_is_not_a_pass() -> None:
    """Received-routes for a family not negotiated is an empty table: no evidence, so a failure."""
    received = received_answers("ipv6", **{a: sample("received-8.4-empty.json")
                                           for a in ("172.29.51.11", "172.29.51.12", "172.29.51.13")})
    found = sessions(*map(sample, NOT_NEGOTIATED))
    (problem,) = bgp.outside_problems(OWNER, "ipv6", WHERE, (), received, found)
    assert problem.startswith(f"cannot judge what mini02 advertised (ipv6) to {WHERE}: ipv6 not negotiated on the "
                              "Established session with mini02 (172.29.51.12)")


def test_outside_flags_an_accepted_path_outside_the_ranges() -> None:
    def outside(data: Any) -> None:
        data["routes"]["fd47:25e1:2f96:60::/64"] = data["routes"].pop(V6_64)
    found = paths("", "ipv6", edited("routes-ipv6-8.4-mapped-next-hop.json", outside))
    received = received_answers("ipv6", **{a: sample("received-8.4-empty.json")
                                           for a in ("172.29.51.11", "172.29.51.12", "172.29.51.13")})
    problems = bgp.outside_problems(OWNER, "ipv6", WHERE, found, received)
    assert f"{WHERE} ACCEPTED fd47:25e1:2f96:60::/64 (ipv6) from mini03, outside the LB ranges " \
           "fd47:25e1:2f96:51:100::/120: the router's inbound policy lets it through" in problems
    assert len(problems) == 3


def test_outside_per_family_asks_the_ipv6_neighbour() -> None:
    asked: list[str] = []

    def received(address: str) -> tuple[ReceivedRoute, ...]:
        asked.append(address)
        return ()

    found = sessions(*map(sample, SEPARATE_SESSIONS))
    problems = bgp.outside_problems(PER_FAMILY, "ipv6", WHERE, (), received, found)
    assert asked == ["fd47:25e1:2f96:51::11", "fd47:25e1:2f96:51::13"]
    assert problems == [f"cannot judge what mini02 advertised (ipv6) to {WHERE}: ipv6 BGP session with mini02 "
                        f"(fd47:25e1:2f96:51::12) at {WHERE} is Idle (Admin), expected Established"]


def test_router_warning_is_a_probe_error_the_wait_retries() -> None:
    probe = router(**{"show bgp ipv6 unicast neighbors 172.29.51.12 received-routes json":
                      sample("warning-soft-reconfig-off.json")})
    with pytest.raises(RouterWarning) as info:
        probe.received("172.29.51.12", "ipv6")
    assert info.value.answer == "Inbound soft reconfiguration not enabled"


def test_session_address_per_topology() -> None:
    mini01 = OWNER.nodes[0]
    assert bgp.session_address(OWNER, mini01, "ipv6") == "172.29.51.11"
    assert bgp.session_address(PER_FAMILY, mini01, "ipv6") == "fd47:25e1:2f96:51::11"


def test_mapped_only_note_is_evidence_for_a_failed_ipv6_probe() -> None:
    note = bgp.mapped_only_note(OWNER, paths("routes-ipv6-8.4-mapped-next-hop.json", "ipv6"), V6_C8, "ipv6", WHERE)
    assert note is not None and note.startswith(f"{WHERE} holds {V6_C8} only via IPv4-mapped next hops (mini03 "
                                                "::ffff:ac1d:330d (IPv4-mapped 172.29.51.13), mini02 ")
    assert bgp.mapped_only_note(PER_FAMILY, paths("routes-ipv6-10.2-global-link-local.json", "ipv6"), V6_C8, "ipv6",
                                WHERE) is None


# --- BGP configuration the running Cilium release ignores -------------------------------------------

def test_peering_policies_are_named_as_ignored_from_cilium_1_19() -> None:
    from harness.model.cilium_versions import CiliumVersion
    read_from = "DaemonSet kube-system/cilium image quay.io/cilium/cilium:v1.19.1"
    (problem,) = bgp.ignored_config_problems(CiliumVersion.parse("1.19.1"), read_from, "https://api:6443",
                                             ["bgp-legacy"], ["home-ops"])
    assert problem.startswith("CiliumBGPPeeringPolicy bgp-legacy at https://api:6443: Cilium 1.19.1 has no BGP "
                              "control plane v1"), problem
    assert problem.endswith(f"(release read from {read_from})"), problem
    assert bgp.ignored_config_problems(CiliumVersion.parse("1.17.6"), read_from, "u", ["bgp-legacy"], []) == []


def test_bgp_v2_configs_are_named_as_ignored_before_cilium_1_16() -> None:
    from harness.model.cilium_versions import CiliumVersion
    (problem,) = bgp.ignored_config_problems(CiliumVersion.parse("1.15.4"), "image", "u", [], ["home-ops"])
    assert problem.startswith("CiliumBGPClusterConfig home-ops at u: Cilium 1.15.4 has no BGP control plane v2")
