"""BGP checks at the router: sessions, accepted routes and next hops, filtered announcements.

    session_problems(profile, router.sessions(), router.where, "ipv4")       # [] when every node peers
    route_problems(profile, router.paths("ipv4"), "172.29.52.100/32", "ipv4", router.where)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence

from harness.packets import SynAnswer
from harness.profile import Profile
from harness.router import BgpPath, BgpSession, ReceivedRoute


def _node_by_address(profile: Profile, family: str) -> dict[str, str]:
    return {str(n.addresses.get(family)): n.name for n in profile.nodes if n.addresses.get(family) is not None}


def session_problems(profile: Profile, sessions: Sequence[BgpSession], where: str, family: str) -> list[str]:
    seen = {s.peer: s for s in sessions if s.family == family}
    problems = []
    for node in profile.nodes:
        address = str(node.addresses.require(family, f"{node.name} address"))
        session = seen.get(address)
        if session is None:
            problems.append(f"{family} BGP session with {node.name} ({address}) not configured at {where}; "
                            f"peers present: {', '.join(sorted(seen)) or 'none'}")
        elif not session.is_established:
            problems.append(f"{family} BGP session with {node.name} ({address}) at {where} is {session.state}, "
                            f"expected Established")
    return problems


def route_problems(profile: Profile, paths: Sequence[BgpPath], prefix: str, family: str, where: str) -> list[str]:
    """Every node must be an accepted path for ``prefix``, with its own address as next hop."""
    names = _node_by_address(profile, family)
    mine = [p for p in paths if p.prefix == prefix]
    from_nodes = {names.get(p.peer, p.peer): p for p in mine}
    expected = [n.name for n in profile.nodes]
    missing = [n for n in expected if n not in from_nodes]
    problems = []
    if missing:
        got = ", ".join(sorted(from_nodes)) or "no node"
        problems.append(f"route {prefix} ({family}) missing at {where} from {', '.join(missing)}: "
                        f"received from {got}; expected all of {', '.join(expected)}")
    for node, path in sorted(from_nodes.items()):
        want = str(profile.nodes[expected.index(node)].addresses.get(family)) if node in expected else None
        if want is not None and want not in path.next_hops:
            problems.append(f"route {prefix} from {node} at {where} has next hop "
                            f"{', '.join(path.next_hops) or 'none'}, expected {want} ({node}'s own address)")
    return problems


def withdrawn_problems(profile: Profile, paths: Sequence[BgpPath], prefix: str, family: str,
                       where: str) -> list[str]:
    names = _node_by_address(profile, family)
    left = sorted(names.get(p.peer, p.peer) for p in paths if p.prefix == prefix)
    return [f"route {prefix} ({family}) still present at {where} from {', '.join(left)} after the service "
            f"was deleted; expected it withdrawn everywhere"] if left else []


def outside_problems(profile: Profile, family: str, where: str, paths: Sequence[BgpPath],
                     received: Callable[[str], Sequence[ReceivedRoute]]) -> list[str]:
    """Routes from nodes outside the profile's LB ranges: accepted (router policy) or sent (node)."""
    allowed = [n for n in [profile.networks.load_balancer.get(family)] if n is not None]
    names = _node_by_address(profile, family)

    def outside(prefix: str) -> bool:
        net = ipaddress.ip_network(prefix, strict=False)
        return not any(net.version == a.version and net.subnet_of(a) for a in allowed)  # type: ignore[arg-type]

    ranges = ", ".join(str(a) for a in allowed) or "none"
    problems = []
    for path in paths:
        if path.peer in names and outside(path.prefix):
            problems.append(f"{where} ACCEPTED {path.prefix} ({family}) from {names[path.peer]}, outside the LB "
                            f"ranges {ranges}: the router's inbound policy lets it through")
    accepted = {(p.peer, p.prefix) for p in paths}
    for address, node in sorted(names.items(), key=lambda kv: kv[1]):
        for route in received(address):
            if outside(route.prefix) and (address, route.prefix) not in accepted:
                problems.append(f"{node} advertised {route.prefix} ({family}) to {where}, outside the LB ranges "
                                f"{ranges}; {where} filtered it (received, not accepted)")
    return problems


def syn_problem(answer: SynAnswer, address: str, router: str) -> str | None:
    """None when ``address`` itself answered the SYN and a router sat on the path."""
    problems = []
    if answer.state != "open" or answer.responder != address:
        problems.append(f"expected a SYN-ACK from {address}, got {answer.state}"
                        + (f" from {answer.responder}" if answer.responder else ""))
    if not answer.first_hop or answer.first_hop == address:
        problems.append(f"no router answered the hop-limit-1 probe: the path does not go through {router}")
    return f"{answer.describe()}: " + "; ".join(problems) if problems else None
