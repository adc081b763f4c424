"""Offline: configuration rendered from the spec, and FRR JSON parsed into typed values.

    pytest tests/lab/net/test_labnet_render.py      # no root needed
"""

from __future__ import annotations

import ipaddress
import json
import tomllib
from typing import Any

import pytest

from lab.net import NetworkSpec, RouterView
from lab.net.frr_conf import rejoin_peer_group, render_frr_conf, standalone_neighbor, vtysh_config_argv
from lab.net.gobgp import render_gobgpd_conf

SPEC = NetworkSpec.home_ops("tr")                              # the owner's topology: IPv4 sessions carry both
PER_FAMILY = NetworkSpec.home_ops("tr", sessions="per-family")


def _router_bgp(conf: str) -> list[str]:
    lines = conf.splitlines()
    return lines[lines.index("router bgp 64513"):]


def test_frr_conf_owner_topology_ipv6_activated_on_the_ipv4_peer_group() -> None:
    """The owner's router config: IPv4 neighbours only, in home-ops; both families activate home-ops."""
    conf = render_frr_conf(SPEC)
    lines = conf.splitlines()
    for line in [
        "router bgp 64513",
        " bgp router-id 172.29.51.1",
        " neighbor home-ops remote-as 64512",
        " neighbor 172.29.51.12 peer-group home-ops",
        "ip prefix-list CLUSTER-ROUTES seq 10 permit 172.29.52.0/24 le 32",
        "ipv6 prefix-list CLUSTER-ROUTES-V6 seq 10 permit fd47:25e1:2f96:52::/64 le 128",
        " timers bgp 1 3",
    ]:
        assert line in lines, f"frr.conf lacks {line!r}"
    bgp = _router_bgp(conf)
    neighbours = [line.split()[1] for line in bgp if line.startswith(" neighbor ") and "peer-group" in line]
    assert neighbours == ["home-ops", "172.29.51.11", "172.29.51.12", "172.29.51.13"], neighbours
    assert "home-ops-v6" not in conf and "fd47:25e1:2f96:51::1" not in conf
    v6 = bgp[bgp.index(" address-family ipv6 unicast"):]
    v6 = v6[:v6.index(" exit-address-family")]
    for line in ["  neighbor home-ops activate", "  neighbor home-ops route-map ACCEPT-FROM-CLUSTER-V6 in",
                 "  neighbor home-ops route-map ADVERTISE-TO-CLUSTER-V6 out",
                 "  neighbor home-ops soft-reconfiguration inbound"]:
        assert line in v6, f"address-family ipv6 unicast lacks {line!r}"
    assert "ebgp-requires-policy" not in conf, "explicit policies should make this unnecessary"


def test_frr_conf_per_family_has_ipv6_neighbours_in_their_own_group() -> None:
    conf = render_frr_conf(PER_FAMILY)
    for line in [
        " neighbor home-ops-v6 remote-as 64512",
        " neighbor 172.29.51.12 peer-group home-ops",
        " neighbor fd47:25e1:2f96:51::13 peer-group home-ops-v6",
        "  neighbor home-ops route-map ACCEPT-FROM-CLUSTER in",
        "  neighbor home-ops-v6 activate",
        "  neighbor home-ops-v6 route-map ADVERTISE-TO-CLUSTER-V6 out",
        "  neighbor home-ops-v6 soft-reconfiguration inbound",
    ]:
        assert line in conf.splitlines(), f"frr.conf lacks {line!r}"
    bgp = _router_bgp(conf)
    v6 = bgp[bgp.index(" address-family ipv6 unicast"):]
    assert "  neighbor home-ops activate" not in v6[:v6.index(" exit-address-family")]


def test_gobgpd_conf_owner_topology_one_ipv4_session_with_both_afi_safis() -> None:
    conf = tomllib.loads(render_gobgpd_conf(SPEC, "mini02"))
    assert conf["global"]["config"] == {
        "as": 64512, "router-id": "172.29.51.12",
        "local-address-list": ["172.29.51.12", "fd47:25e1:2f96:51::12"]}
    (peer,) = conf["neighbors"]
    assert peer["config"] == {"neighbor-address": "172.29.51.1", "peer-as": 64513}
    assert peer["transport"]["config"]["local-address"] == "172.29.51.12"
    assert [a["config"]["afi-safi-name"] for a in peer["afi-safis"]] == ["ipv4-unicast", "ipv6-unicast"]


def test_gobgpd_conf_per_family_peers_with_udm_per_family() -> None:
    conf = tomllib.loads(render_gobgpd_conf(PER_FAMILY, "mini02"))
    peers = {n["config"]["neighbor-address"]: n for n in conf["neighbors"]}
    assert set(peers) == {"172.29.51.1", "fd47:25e1:2f96:51::1"}
    v6 = peers["fd47:25e1:2f96:51::1"]
    assert [a["config"]["afi-safi-name"] for a in v6["afi-safis"]] == ["ipv6-unicast"]
    assert v6["config"]["peer-as"] == 64513 and v6["timers"]["config"]["connect-retry"] == 1
    assert v6["transport"]["config"]["local-address"] == "fd47:25e1:2f96:51::12"


def test_sessions_follow_the_topology() -> None:
    (owner,) = SPEC.sessions_of("mini01")
    assert (owner.node_address, owner.router_address, owner.families) == (
        "172.29.51.11", "172.29.51.1", ("ipv4", "ipv6"))
    v4, v6 = PER_FAMILY.sessions_of("mini01")
    assert (v4.node_address, v4.families) == ("172.29.51.11", ("ipv4",))
    assert (v6.node_address, v6.router_address, v6.families) == ("fd47:25e1:2f96:51::11", "fd47:25e1:2f96:51::1",
                                                                 ("ipv6",))
    assert SPEC.session_family("ipv6") == "ipv4" and PER_FAMILY.session_family("ipv6") == "ipv6"
    with pytest.raises(ValueError, match="sessions must be one of"):
        NetworkSpec.home_ops("tr", sessions="both")


def test_soft_reconfig_fault_takes_one_neighbour_out_of_its_group() -> None:
    """A peer-group member cannot switch off the group's soft-reconfiguration (FRR inherits), so the
    fault configures that neighbour on its own, with the same policy but without it in one family."""
    (session,) = SPEC.sessions_of("mini02")
    lines = standalone_neighbor(SPEC, session, no_soft_reconfig="ipv6")
    assert lines[:2] == ["router bgp 64513", "no neighbor 172.29.51.12 peer-group home-ops"]
    v4 = lines[lines.index("address-family ipv4 unicast"):lines.index("address-family ipv6 unicast")]
    v6 = lines[lines.index("address-family ipv6 unicast"):]
    assert "neighbor 172.29.51.12 soft-reconfiguration inbound" in v4
    assert "neighbor 172.29.51.12 soft-reconfiguration inbound" not in v6
    assert "neighbor 172.29.51.12 route-map ACCEPT-FROM-CLUSTER-V6 in" in v6
    assert rejoin_peer_group(SPEC, session)[1:3] == ["no neighbor 172.29.51.12",
                                                     "neighbor 172.29.51.12 peer-group home-ops"]
    assert vtysh_config_argv(["a", "b"]) == ["vtysh", "-c", "configure terminal", "-c", "a", "-c", "b"]


def test_spec_rejects_bad_prefix_and_unknown_roles() -> None:
    with pytest.raises(ValueError, match="lab prefix"):
        NetworkSpec.home_ops("Bad-Prefix")
    with pytest.raises(KeyError, match="no lab namespace role"):
        SPEC.netns("mini09")
    assert SPEC.netns("mini01") == "tr-mini01"
    assert SPEC.node("mini03").ipv6 == ipaddress.IPv6Interface("fd47:25e1:2f96:51::13/64")


RECORDED: dict[str, Any] = {
    "show bgp summary json": {"ipv4Unicast": {"peers": {
        "172.29.51.11": {"state": "Established", "pfxRcd": 2},
        "172.29.51.12": {"state": "Active", "pfxRcd": 0}}},
        "ipv6Unicast": {"peers": {"fd47:25e1:2f96:51::11": {"state": "Established"}}}},
    "show bgp ipv6 unicast neighbors fd47:25e1:2f96:51::11 routes json": {"routes": {
        "fd47:25e1:2f96:52::200/128": [{"bestpath": True, "peerId": "fd47:25e1:2f96:51::11",
                                        "nexthops": [{"ip": "fd47:25e1:2f96:51::11"},
                                                     {"ip": "fe80::1", "scope": "link-local"}]}]}},
    "show bgp ipv4 unicast neighbors 172.29.51.11 received-routes json": {"receivedRoutes": {
        "10.9.9.0/24": {"nextHop": "172.29.51.11"}}},
    "show bgp neighbors 172.29.51.12 json": {"172.29.51.12": {
        "bgpState": "Established", "neighborCapabilities": {"multiprotocolExtensions": {
            "ipv4Unicast": {"advertisedAndReceived": True}, "ipv6Unicast": {"advertised": True}}}}},
    "show bgp neighbors 172.29.51.13 json": {"bgpNoSuchNeighbor": True},
}


def test_router_view_parses_recorded_frr_json() -> None:
    view = RouterView(lambda cmd: json.loads(json.dumps(RECORDED[cmd])))
    sessions = {(s.peer, s.family): s for s in view.sessions()}
    assert sessions[("172.29.51.11", "ipv4")].prefixes_received == 2
    assert not sessions[("172.29.51.12", "ipv4")].is_established
    assert sessions[("fd47:25e1:2f96:51::11", "ipv6")].is_established
    (route,) = view.accepted_routes("fd47:25e1:2f96:51::11", "ipv6")
    assert route.next_hops == ("fd47:25e1:2f96:51::11", "fe80::1") and route.is_best
    (received,) = view.received_routes("172.29.51.11", "ipv4")
    assert (received.prefix, received.next_hop) == ("10.9.9.0/24", "172.29.51.11")


def test_router_view_reads_negotiated_families() -> None:
    view = RouterView(lambda cmd: json.loads(json.dumps(RECORDED[cmd])))
    mini02 = view.neighbor("172.29.51.12")
    assert (mini02.state, mini02.negotiated) == ("Established", ("ipv4",))
    assert mini02.carries(("ipv4",)) and not mini02.carries(("ipv4", "ipv6"))
    absent = view.neighbor("172.29.51.13")
    assert (absent.state, absent.negotiated) == ("", ()) and not absent.carries(("ipv4",))
