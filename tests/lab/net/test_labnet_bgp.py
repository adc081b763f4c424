"""BGP between the gobgpd node speakers and FRR on the udm, with the owner's policy.

    pytest tests/lab/net/test_labnet_bgp.py
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from lab.net import LabNetwork

pytestmark = pytest.mark.lab

Eventually = Callable[[Callable[[], str | None], float, str], None]
CASES = [
    # family, node, accepted prefix, rejected prefix (outside the LB prefix-list)
    ("ipv4", "mini01", "172.29.52.200/32", "10.99.0.0/24"),
    ("ipv6", "mini02", "fd47:25e1:2f96:52::200/128", "fd00:99::/64"),
]


def test_every_node_session_is_established_per_family(labnet: LabNetwork) -> None:
    sessions = {(s.peer, s.family): s.state for s in labnet.router.sessions()}
    expected = {(str(n.ipv4.ip), "ipv4") for n in labnet.spec.nodes} | {
        (str(n.ipv6.ip), "ipv6") for n in labnet.spec.nodes}
    assert set(sessions) == expected, f"udm peers: expected {expected}, seen {set(sessions)}"
    down = {k: v for k, v in sessions.items() if v != "Established"}
    assert not down, f"sessions at udm not Established: {down}"


@pytest.mark.parametrize(("family", "node", "good", "bad"), CASES)
def test_announce_accept_reject_withdraw(
    labnet: LabNetwork, eventually: Eventually, family: str, node: str, good: str, bad: str
) -> None:
    speaker, spec = labnet.speaker(node), labnet.spec.node(node)
    peer = str(spec.ipv4.ip if family == "ipv4" else spec.ipv6.ip)
    speaker.announce(good, family)
    speaker.announce(bad, family)
    assert speaker.announced() >= {(good, family), (bad, family)}

    def received_both() -> str | None:
        seen = {r.prefix for r in labnet.router.received_routes(peer, family)}
        return None if {good, bad} <= seen else f"received from {peer}: {sorted(seen)}"

    eventually(received_both, 5, f"{family} routes received at udm from {node}")
    accepted = {r.prefix: r for r in labnet.router.accepted_routes(peer, family)}
    assert good in accepted, f"{good} not accepted from {peer}; accepted: {sorted(accepted)}"
    assert accepted[good].next_hops[0] == peer, (
        f"next hop of {good} at udm: expected {peer}, seen {accepted[good].next_hops}")
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

        eventually(answered, 5, "client -> udm -> mini03 for 172.29.52.210")
    finally:
        labnet.remove_address("mini03", "172.29.52.210")
        speaker.withdraw("172.29.52.210/32", "ipv4")


def test_stop_session_takes_one_node_down(labnet: LabNetwork, eventually: Eventually) -> None:
    speaker = labnet.speaker("mini02")
    node = labnet.spec.node("mini02")
    speaker.stop_session()
    try:
        def mini02_down() -> str | None:
            states = {s.peer: s.state for s in labnet.router.sessions()}
            up = [p for p in (str(node.ipv4.ip), str(node.ipv6.ip)) if states[p] == "Established"]
            return f"still Established: {up}" if up else None

        eventually(mini02_down, 5, "mini02 sessions down at udm")
        others = [s for s in labnet.router.sessions() if s.peer not in
                  (str(node.ipv4.ip), str(node.ipv6.ip)) and not s.is_established]
        assert not others, f"other nodes' sessions went down too: {others}"
    finally:
        speaker.start_session()
    eventually(lambda: None if all(s.is_established for s in labnet.router.sessions())
               else "not all Established", 8, "mini02 sessions back")
