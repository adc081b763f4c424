"""BGP between the gobgpd node speakers and FRR on the udm, with the owner's policy, on both topologies.

    pytest tests/lab/net/test_labnet_bgp.py

``labnet`` is the owner's topology (one IPv4 session per node carrying both families);
``labnet_per_family`` has a separate IPv6 session per node. The node speakers originate paths
as Cilium does (unspecified next hop, filled in by GoBGP): over an IPv4 session an IPv6 path
arrives with the IPv4-mapped next hop ``::ffff:<node IPv4>``.
"""

from __future__ import annotations

import ipaddress
import json
import subprocess
from collections.abc import Callable
from typing import Any

import pytest

from lab.net import LabNetwork
from lab.net.frr_conf import rejoin_peer_group, standalone_neighbor, vtysh_config_argv
from tests.lab.net.conftest import connector

pytestmark = pytest.mark.lab

Eventually = Callable[[Callable[[], str | None], float, str], None]
CASES = [
    # family, node, accepted prefix, rejected prefix (outside the LB prefix-list)
    ("ipv4", "mini01", "172.29.52.200/32", "10.99.0.0/24"),
    ("ipv6", "mini02", "fd47:25e1:2f96:52::200/128", "fd00:99::/64"),
]


def vtysh_json(net: LabNetwork, command: str) -> Any:
    return json.loads(net.vtysh(command))


def _session_address(net: LabNetwork, node: str, family: str) -> str:
    (session,) = [s for s in net.spec.sessions_of(node) if family in s.families]
    return session.node_address


def _expected_next_hop_ok(net: LabNetwork, node: str, family: str, hop: str) -> bool:
    """The node's own address of the family, or (IPv6 over its IPv4 session) its IPv4 address mapped."""
    spec = net.spec.node(node)
    ip = ipaddress.ip_address(hop)
    if net.spec.session_family(family) == family:
        return ip == ipaddress.ip_address(spec.address(family))
    return isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped == spec.ipv4.ip


def test_every_node_session_is_established_per_family(any_labnet: LabNetwork) -> None:
    sessions = {(s.peer, s.family): s.state for s in any_labnet.router.sessions()}
    expected = {(s.node_address, fam) for s in any_labnet.spec.all_sessions() for fam in s.families}
    assert set(sessions) == expected, f"udm peers: expected {expected}, seen {set(sessions)}"
    down = {k: v for k, v in sessions.items() if v != "Established"}
    assert not down, f"sessions at udm not Established: {down}"


def test_owner_topology_lists_each_ipv4_session_under_both_families(labnet: LabNetwork) -> None:
    peers = {(s.peer, s.family) for s in labnet.router.sessions()}
    assert peers == {(f"172.29.51.1{i}", f) for i in (1, 2, 3) for f in ("ipv4", "ipv6")}
    caps = vtysh_json(labnet, "show bgp neighbors json")
    for i in (1, 2, 3):
        multi = caps[f"172.29.51.1{i}"]["neighborCapabilities"]["multiprotocolExtensions"]
        assert multi["ipv6Unicast"] == {"advertisedAndReceived": True}, multi


@pytest.mark.parametrize(("family", "node", "good", "bad"), CASES)
def test_announce_accept_reject_withdraw(
    any_labnet: LabNetwork, eventually: Eventually, family: str, node: str, good: str, bad: str
) -> None:
    labnet = any_labnet
    speaker = labnet.speaker(node)
    peer = _session_address(labnet, node, family)
    speaker.announce(good, family)
    speaker.announce(bad, family)
    assert speaker.announced() >= {(good, family), (bad, family)}

    def received_both() -> str | None:
        seen = {r.prefix for r in labnet.router.received_routes(peer, family)}
        return None if {good, bad} <= seen else f"received from {peer}: {sorted(seen)}"

    eventually(received_both, 5, f"{family} routes received at udm from {node}")
    accepted = {r.prefix: r for r in labnet.router.accepted_routes(peer, family)}
    assert good in accepted, f"{good} not accepted from {peer}; accepted: {sorted(accepted)}"
    hop = accepted[good].next_hops[0]
    assert _expected_next_hop_ok(labnet, node, family, hop), (
        f"next hop of {good} at udm ({labnet.spec.sessions}): {accepted[good].next_hops}")
    assert bad not in accepted, f"{bad} is outside the LB prefix-list but was accepted"

    speaker.withdraw(good, family)
    speaker.withdraw(bad, family)
    assert (good, family) not in speaker.announced()

    def gone() -> str | None:
        left = [r.prefix for r in labnet.router.routes(family) if r.prefix in (good, bad)]
        return f"still in udm table: {left}" if left else None

    eventually(gone, 5, f"withdrawn {family} routes leave the udm")


def test_routed_service_address_is_answered_by_the_node(
    labnet: LabNetwork, eventually: Eventually, client_connect: Callable[[str, int], Any]
) -> None:
    speaker = labnet.speaker("mini03")
    speaker.announce("172.29.52.210/32", "ipv4")
    labnet.add_address("mini03", "172.29.52.210")
    try:
        def answered() -> str | None:
            # nothing listens on port 9: a refusal proves the node itself answered,
            # which needs the BGP route installed in the udm's kernel FIB by zebra
            outcome = client_connect("172.29.52.210", 9)
            return None if outcome.error == "Connection refused" else f"client saw {outcome}"

        # Usually well under a second; once in a few CI runs zebra installs the route seconds late
        # (the same transient the closing note records for the first lab run after bootstrap).
        eventually(answered, 15, "client -> udm -> mini03 for 172.29.52.210")
    finally:
        labnet.remove_address("mini03", "172.29.52.210")
        speaker.withdraw("172.29.52.210/32", "ipv4")


def _zebra_route(net: LabNetwork, prefix: str) -> dict[str, Any]:
    routes = vtysh_json(net, f"show ipv6 route {prefix} json").get(prefix) or [{}]
    route: dict[str, Any] = routes[0]
    return route


def test_ipv6_over_ipv4_session_is_accepted_but_never_forwarded(labnet: LabNetwork, eventually: Eventually) -> None:
    """What real Cilium (GoBGP) and FRR do on the owner's topology: the IPv6 service path arrives
    with next hop ::ffff:<node IPv4>; FRR resolves it over IPv4 and calls it valid and best, but
    zebra cannot install it (the kernel refuses an IPv6 gateway ::ffff:a.b.c.d, "No route to host",
    and has no IPv6 route via an IPv4 gateway), so the udm has no route and the client's IPv6
    traffic to the address is refused as unreachable at the router."""
    prefix, address = "fd47:25e1:2f96:52::211/128", "fd47:25e1:2f96:52::211"
    speaker = labnet.speaker("mini03")
    speaker.announce(prefix, "ipv6")
    labnet.add_address("mini03", address)
    try:
        def rib_verdict() -> str | None:
            route = _zebra_route(labnet, prefix)
            return None if route.get("selected") and not route.get("installed") and route.get("failed") \
                else f"zebra: {json.dumps(route)[:300]}"

        eventually(rib_verdict, 5, f"zebra's verdict on {prefix}")
        (path,) = vtysh_json(labnet, f"show bgp ipv6 unicast {prefix} json")["paths"]
        assert path["valid"] is True and path["bestpath"]["overall"] is True, path
        hops = [h["ip"] for h in path["nexthops"]]
        assert ipaddress.IPv6Address(hops[0]).ipv4_mapped == ipaddress.IPv4Address("172.29.51.13"), hops
        kernel = subprocess.run(["ip", "-n", labnet.spec.netns("udm"), "-6", "route", "show", address],
                                capture_output=True, text=True, check=True).stdout
        assert kernel.strip() == "", f"the udm's kernel routes {address}: {kernel}"
        outcome = connector(labnet)(address, 9)
        assert outcome.error == "Network is unreachable", outcome
    finally:
        labnet.remove_address("mini03", address)
        speaker.withdraw(prefix, "ipv6")


def test_ipv6_over_its_own_session_is_forwarded(labnet_per_family: LabNetwork, eventually: Eventually) -> None:
    """The same announcement on the per-family topology: global next hop, installed, answered."""
    net = labnet_per_family
    prefix, address = "fd47:25e1:2f96:52::212/128", "fd47:25e1:2f96:52::212"
    speaker = net.speaker("mini03")
    speaker.announce(prefix, "ipv6")
    net.add_address("mini03", address)
    try:
        connect = connector(net)

        def answered() -> str | None:
            outcome = connect(address, 9)
            return None if outcome.error == "Connection refused" else f"client saw {outcome}"

        eventually(answered, 15, f"client -> udm -> mini03 for {address}")
        (path,) = vtysh_json(net, f"show bgp ipv6 unicast {prefix} json")["paths"]
        assert [h["ip"] for h in path["nexthops"] if h.get("scope") == "global"] == ["fd47:25e1:2f96:51::13"]
    finally:
        net.remove_address("mini03", address)
        speaker.withdraw(prefix, "ipv6")


def test_stop_session_takes_one_node_down(any_labnet: LabNetwork, eventually: Eventually) -> None:
    labnet = any_labnet
    speaker = labnet.speaker("mini02")
    mine = {s.node_address for s in labnet.spec.sessions_of("mini02")}
    speaker.stop_session()
    try:
        def mini02_down() -> str | None:
            up = sorted({s.peer for s in labnet.router.sessions() if s.peer in mine and s.is_established})
            return f"still Established: {up}" if up else None

        eventually(mini02_down, 5, "mini02 sessions down at udm")
        others = [s for s in labnet.router.sessions() if s.peer not in mine and not s.is_established]
        assert not others, f"other nodes' sessions went down too: {others}"
    finally:
        speaker.start_session()
    eventually(lambda: None if all(s.is_established for s in labnet.router.sessions())
               else "not all Established", 8, "mini02 sessions back")


def test_session_without_the_ipv6_afi_safi_is_established_but_not_negotiated(
        labnet: LabNetwork, eventually: Eventually) -> None:
    """The family-off fault: FRR's summary still lists mini02 under ipv6Unicast as Established; only
    the neighbour's capabilities show IPv6 advertised by the udm and not received."""
    speaker = labnet.speaker("mini02")
    speaker.set_families("ipv6", ("ipv4",))
    try:
        def not_negotiated() -> str | None:
            caps = vtysh_json(labnet, "show bgp neighbors 172.29.51.12 json")["172.29.51.12"]
            multi = caps.get("neighborCapabilities", {}).get("multiprotocolExtensions", {})
            return None if caps.get("bgpState") == "Established" and multi.get("ipv6Unicast") == {"advertised": True} \
                else f"mini02: {caps.get('bgpState')} {multi}"

        eventually(not_negotiated, 8, "mini02 re-established without IPv6")
        summary = vtysh_json(labnet, "show bgp summary json")
        assert summary["ipv6Unicast"]["peers"]["172.29.51.12"]["state"] == "Established"
    finally:
        speaker.set_families("ipv6", ("ipv4", "ipv6"))
    eventually(lambda: None if vtysh_json(labnet, "show bgp neighbors 172.29.51.12 json")["172.29.51.12"]
               .get("neighborCapabilities", {}).get("multiprotocolExtensions", {}).get("ipv6Unicast")
               == {"advertisedAndReceived": True} else "ipv6 not back", 8, "mini02 negotiates IPv6 again")


def test_neighbour_without_soft_reconfiguration_answers_frr_warning(
        labnet: LabNetwork, eventually: Eventually) -> None:
    """The soft-reconfig fault: mini01 leaves the peer group (a member cannot drop the group's flag)
    and is configured alone without soft-reconfiguration for IPv6 only."""
    (session,) = labnet.spec.sessions_of("mini01")

    def configure(lines: list[str]) -> None:
        subprocess.run(labnet.udm_argv(vtysh_config_argv(lines)), check=True, capture_output=True, timeout=10)

    configure(standalone_neighbor(labnet.spec, session, no_soft_reconfig="ipv6"))
    try:
        def warned() -> str | None:
            v6 = vtysh_json(labnet, "show bgp ipv6 unicast neighbors 172.29.51.11 received-routes json")
            v4 = vtysh_json(labnet, "show bgp ipv4 unicast neighbors 172.29.51.11 received-routes json")
            return None if v6 == {"warning": "Inbound soft reconfiguration not enabled"} and "receivedRoutes" in v4 \
                else f"ipv6: {v6}, ipv4: {str(v4)[:100]}"

        eventually(warned, 5, "received-routes answers FRR's warning for IPv6 only")
    finally:
        configure(rejoin_peer_group(labnet.spec, session))
    eventually(lambda: None if all(s.is_established for s in labnet.router.sessions())
               else "not all Established", 8, "mini01 back in its peer group")
    assert "receivedRoutes" in vtysh_json(labnet, "show bgp ipv6 unicast neighbors 172.29.51.11 received-routes json")
