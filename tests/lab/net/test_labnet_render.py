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
from lab.net.frr_conf import render_frr_conf
from lab.net.gobgp import render_gobgpd_conf

SPEC = NetworkSpec.home_ops("tr")


def test_frr_conf_carries_owner_policy_and_both_families() -> None:
    conf = render_frr_conf(SPEC)
    for line in [
        "router bgp 64513",
        " bgp router-id 172.29.51.1",
        " neighbor home-ops remote-as 64512",
        " neighbor home-ops-v6 remote-as 64512",
        " neighbor 172.29.51.12 peer-group home-ops",
        " neighbor fd47:25e1:2f96:51::13 peer-group home-ops-v6",
        "ip prefix-list CLUSTER-ROUTES seq 10 permit 172.29.52.0/24 le 32",
        "ipv6 prefix-list CLUSTER-ROUTES-V6 seq 10 permit fd47:25e1:2f96:52::/64 le 128",
        "  neighbor home-ops route-map ACCEPT-FROM-CLUSTER in",
        "  neighbor home-ops-v6 route-map ADVERTISE-TO-CLUSTER-V6 out",
        "  neighbor home-ops-v6 soft-reconfiguration inbound",
        " timers bgp 1 3",
    ]:
        assert line in conf.splitlines(), f"frr.conf lacks {line!r}"
    assert "ebgp-requires-policy" not in conf, "explicit policies should make this unnecessary"


def test_gobgpd_conf_peers_with_udm_per_family() -> None:
    conf = tomllib.loads(render_gobgpd_conf(SPEC, "mini02"))
    assert conf["global"]["config"] == {
        "as": 64512, "router-id": "172.29.51.12",
        "local-address-list": ["172.29.51.12", "fd47:25e1:2f96:51::12"]}
    peers = {n["config"]["neighbor-address"]: n for n in conf["neighbors"]}
    assert set(peers) == {"172.29.51.1", "fd47:25e1:2f96:51::1"}
    v6 = peers["fd47:25e1:2f96:51::1"]
    assert v6["afi-safis"][0]["config"]["afi-safi-name"] == "ipv6-unicast"
    assert v6["config"]["peer-as"] == 64513 and v6["timers"]["config"]["connect-retry"] == 1


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
