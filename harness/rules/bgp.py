"""BGP checks at the router: sessions, accepted routes and next hops, filtered announcements.

    session_problems(profile, router.sessions(), router.where, "ipv6")       # [] when every node peers
    route_problems(profile, router.paths("ipv4"), "172.29.52.100/32", "ipv4", router.where)

Sessions are keyed by *session address* and families by AFI, as FRR keys them. Which address a
node's session for a family has comes from the profile's ``bgp.sessions``: on the owner's topology
(``ipv4-carries-both``) IPv6 routes travel over the IPv4 session, so the IPv6 family is listed under
the node's IPv4 address and every IPv6 path's peer is that IPv4 address; with ``per-family`` each
family has a session on the node's own address of that family.

Nothing passes without evidence: a family activated but not negotiated, a path FRR marks not
valid, or an FRR refusal (``{"warning": ...}``) where data was expected are failures that name the
router, the command and FRR's answer.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping, Sequence

from harness.core.errors import RouterWarning
from harness.core.netaddr import Family
from harness.model.cilium_versions import CiliumVersion, bgp_v2_missing, peering_policy_ignored
from harness.model.profile import ClusterNode, Profile
from harness.probes.packets import SynAnswer
from harness.probes.router import FAMILY_KEYS, BgpPath, BgpSession, ReceivedRoute, same_address

NEIGHBORS = "show bgp neighbors json"


def _key(text: str) -> str:
    """An address in one canonical spelling (``fd47::0011`` and ``fd47::11`` are one key)."""
    try:
        return str(ipaddress.ip_address(text.split("%", 1)[0]))
    except ValueError:
        return text


def session_address(profile: Profile, node: ClusterNode, family: Family) -> str:
    """The address of ``node``'s session that carries ``family`` (its IPv4 address for both families
    on the owner's topology)."""
    carrier = profile.bgp.session_family(family)
    return str(node.addresses.require(carrier, f"{node.name}'s {carrier} address (its session for {family}, "
                                               f"bgp.sessions: {profile.bgp.sessions})"))


def _node_by_session(profile: Profile, family: Family) -> dict[str, str]:
    """Session address (canonical) -> node name, for the sessions that carry ``family``."""
    carrier = profile.bgp.session_family(family)
    return {_key(str(n.addresses.get(carrier))): n.name for n in profile.nodes if n.addresses.get(carrier) is not None}


def _session_label(profile: Profile, family: Family, node: str, address: str) -> str:
    carrier = profile.bgp.session_family(family)
    if carrier == family:
        return f"{family} BGP session with {node} ({address})"
    return f"{family} on the {carrier} BGP session with {node} ({address})"


def session_problems(profile: Profile, sessions: Sequence[BgpSession], where: str, family: Family) -> list[str]:
    """Every node's session for ``family`` is Established *and* has ``family`` negotiated."""
    seen = {(_key(s.peer), s.family): s for s in sessions}
    present = sorted({s.peer for s in sessions if s.family == family})
    problems = []
    for node in profile.nodes:
        address = session_address(profile, node, family)
        label = _session_label(profile, family, node.name, address)
        session = seen.get((_key(address), family))
        if session is None:
            problems.append(_absent(profile, sessions, seen, node, address, family, where, present))
        elif not session.is_established:
            problems.append(f"{label} at {where} is {session.state}, expected Established")
        elif session.negotiated is False:
            problems.append(
                f"{family} not negotiated on the Established session with {node.name} ({address}) at {where} "
                f"(FRR's summary says Established; {NEIGHBORS!r} lists neighborCapabilities."
                f"multiprotocolExtensions.{FAMILY_KEYS[family]} without advertisedAndReceived: "
                f"the neighbour did not offer {family}); expected {family} negotiated")
        elif not session.carries_family:
            problems.append(
                f"cannot tell whether {family} was negotiated on the Established session with {node.name} "
                f"({address}) at {where}: {NEIGHBORS!r} gave no multiprotocol capability for it")
    return problems


def _absent(profile: Profile, sessions: Sequence[BgpSession], seen: Mapping[tuple[str, Family], BgpSession],
            node: ClusterNode, address: str, family: Family, where: str, present: list[str]) -> str:
    """Why no session carries ``family`` for ``node``: not activated on its session, carried on its
    other address (the router's topology is not the profile's), or not configured at all."""
    others = sorted({s.family for s in sessions if _key(s.peer) == _key(address)})
    elsewhere = [str(a) for _, a in node.addresses.values
                 if _key(str(a)) != _key(address) and (_key(str(a)), family) in seen]
    topology = f"bgp.sessions says {profile.bgp.sessions}"
    if elsewhere:
        return (f"{_session_label(profile, family, node.name, address)} not configured at {where}: {family} is "
                f"carried on the session with {', '.join(elsewhere)} instead ({topology})")
    if others:
        return (f"{family} not activated on the session with {node.name} ({address}) at {where}: FRR lists it "
                f"for {', '.join(others)} only; expected {family} activated ({topology})")
    return (f"{_session_label(profile, family, node.name, address)} not configured at {where}; "
            f"peers present: {', '.join(present) or 'none'}")


def describe_next_hops(path: BgpPath) -> str:
    """Global next hops as FRR prints them, with the IPv4 inside a mapped one and any link-local."""
    text = ", ".join(path.next_hops) or "none"
    if path.mapped_ipv4:
        text += f" (IPv4-mapped {path.mapped_ipv4})"
    if path.link_local_next_hops:
        text += f", link-local {', '.join(path.link_local_next_hops)}"
    return text


def route_problems(profile: Profile, paths: Sequence[BgpPath], prefix: str, family: Family, where: str) -> list[str]:
    """Every node must be a valid accepted path for ``prefix``, with its own address as next hop.

    Over an IPv4 session (the owner's topology) an IPv6 path's next hop is the node's own address
    either as its IPv6 global address or IPv4-mapped (``::ffff:<its IPv4>``, what Cilium's GoBGP sends).
    """
    names = _node_by_session(profile, family)
    nodes = {n.name: n for n in profile.nodes}
    mine = [p for p in paths if p.prefix == prefix]
    from_nodes = {names.get(_key(p.peer), p.peer): p for p in mine}
    expected = [n.name for n in profile.nodes]
    missing = [n for n in expected if n not in from_nodes]
    problems = []
    if missing:
        got = ", ".join(sorted(from_nodes)) or "no node"
        problems.append(f"route {prefix} ({family}) missing at {where} from {', '.join(missing)}: "
                        f"received from {got}; expected all of {', '.join(expected)}")
    for name, path in sorted(from_nodes.items()):
        node = nodes.get(name)
        if node is None:
            continue
        if not path.is_valid:
            problems.append(f"route {prefix} ({family}) from {name} at {where} is not valid: "
                            f"'show bgp {family} unicast json' marks the path without \"valid\": true "
                            f"(next hop {describe_next_hops(path)}); FRR will not use it")
        wrong = _next_hop_problem(profile, node, path, family)
        if wrong is not None:
            problems.append(f"route {prefix} from {name} at {where} has next hop {describe_next_hops(path)}, "
                            f"expected {wrong} ({name}'s own address)")
    return problems


def _next_hop_problem(profile: Profile, node: ClusterNode, path: BgpPath, family: Family) -> str | None:
    """None when the path's next hop is the node; else what was expected."""
    own = node.addresses.get(family)
    carrier = profile.bgp.session_family(family)
    if carrier == family:
        return None if own is not None and path.has_next_hop(str(own)) else str(own)
    ipv4 = node.addresses.get(carrier)
    if (own is not None and path.has_next_hop(str(own))) or (
            ipv4 is not None and path.mapped_ipv4 is not None and same_address(path.mapped_ipv4, str(ipv4))):
        return None
    return " or ".join([*([str(own)] if own is not None else []),
                        *([f"the IPv4-mapped ::ffff:{ipv4}"] if ipv4 is not None else [])])


def withdrawn_problems(profile: Profile, paths: Sequence[BgpPath], prefix: str, family: Family,
                       where: str) -> list[str]:
    names = _node_by_session(profile, family)
    left = sorted(names.get(_key(p.peer), p.peer) for p in paths if p.prefix == prefix)
    return [f"route {prefix} ({family}) still present at {where} from {', '.join(left)} after the service "
            f"was deleted; expected it withdrawn everywhere"] if left else []


def outside_problems(profile: Profile, family: Family, where: str, paths: Sequence[BgpPath],
                     received: Callable[[str], Sequence[ReceivedRoute]],
                     sessions: Sequence[BgpSession] | None = None) -> list[str]:
    """Routes from nodes outside the profile's LB ranges: accepted (router policy) or sent (node).

    ``received(session_address)`` reads what the node sent before policy (soft-reconfiguration);
    an FRR refusal there, or (with ``sessions``) a session that does not carry ``family``, leaves
    nothing to judge by: that is a problem, never a pass."""
    allowed = [n for n in [profile.networks.load_balancer.get(family)] if n is not None]
    names = _node_by_session(profile, family)
    state = {(_key(s.peer), s.family): s for s in sessions or ()}

    def outside(prefix: str) -> bool:
        net = ipaddress.ip_network(prefix, strict=False)
        return not any(net.version == a.version and net.subnet_of(a) for a in allowed)  # type: ignore[arg-type]

    ranges = ", ".join(str(a) for a in allowed) or "none"
    problems = []
    for path in paths:
        node = names.get(_key(path.peer))
        if node is not None and outside(path.prefix):
            problems.append(f"{where} ACCEPTED {path.prefix} ({family}) from {node}, outside the LB "
                            f"ranges {ranges}: the router's inbound policy lets it through")
    accepted = {(_key(p.peer), p.prefix) for p in paths}
    why = session_problems(profile, sessions, where, family) if sessions is not None else []
    for n in profile.nodes:
        address = session_address(profile, n, family)
        session = state.get((_key(address), family))
        if sessions is not None and (session is None or not session.carries_family):
            reason = next((w for w in why if f" with {n.name} (" in w), f"no session carries {family}")
            problems.append(f"cannot judge what {n.name} advertised ({family}) to {where}: {reason}")
            continue
        try:
            routes = received(address)
        except RouterWarning as exc:
            problems.append(f"cannot judge what {n.name} advertised ({family}): {exc}")
            continue
        for route in routes:
            if outside(route.prefix) and (_key(address), route.prefix) not in accepted:
                problems.append(f"{n.name} advertised {route.prefix} ({family}) to {where}, outside the LB ranges "
                                f"{ranges}; {where} filtered it (received, not accepted)")
    return problems


def mapped_only_note(profile: Profile, paths: Sequence[BgpPath], prefix: str, family: Family, where: str) -> str | None:
    """Evidence for a failed IPv6 probe: the router holds ``prefix`` only via IPv4-mapped next hops
    (IPv6 over IPv4 sessions, what Cilium's GoBGP sends there). A Linux router cannot forward IPv6
    to such a next hop: the kernel refuses the route (the lab shows zebra's "route install failed")."""
    mine = [p for p in paths if p.prefix == prefix]
    if family != "ipv6" or not mine or any(p.mapped_ipv4 is None for p in mine):
        return None
    names = _node_by_session(profile, family)
    hops = ", ".join(f"{names.get(_key(p.peer), p.peer)} {describe_next_hops(p)}" for p in mine)
    return (f"{where} holds {prefix} only via IPv4-mapped next hops ({hops}): IPv6 over the IPv4 sessions; "
            f"an IPv6 route to an IPv4 next hop cannot be installed in a Linux router's kernel")


def syn_problem(answer: SynAnswer, address: str, router: str) -> str | None:
    """None when ``address`` itself answered the SYN and a router sat on the path."""
    problems = []
    if answer.state != "open" or answer.responder != address:
        problems.append(f"expected a SYN-ACK from {address}, got {answer.state}"
                        + (f" from {answer.responder}" if answer.responder else ""))
    if not answer.first_hop or answer.first_hop == address:
        problems.append(f"no router answered the hop-limit-1 probe: the path does not go through {router}")
    return f"{answer.describe()}: " + "; ".join(problems) if problems else None


def ignored_config_problems(version: CiliumVersion, read_from: str, url: str, policies: Sequence[str],
                            v2_configs: Sequence[str]) -> list[str]:
    """BGP objects the running Cilium release does nothing with: CiliumBGPPeeringPolicies from 1.19 on
    (an upgraded cluster keeps the old CRD and its objects), BGPv2 ClusterConfigs before 1.16."""
    problems = []
    why_v1 = peering_policy_ignored(version)
    if why_v1 is not None:
        problems += [f"CiliumBGPPeeringPolicy {name} at {url}: {why_v1} (release read from {read_from})"
                     for name in policies]
    why_v2 = bgp_v2_missing(version)
    if why_v2 is not None:
        problems += [f"CiliumBGPClusterConfig {name} at {url}: {why_v2} (release read from {read_from})"
                     for name in v2_configs]
    return problems
