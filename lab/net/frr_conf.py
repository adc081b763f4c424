"""Render the UDM Pro's FRR configuration from the lab spec, with the owner's policy.

    text = render_frr_conf(spec)           # frr.conf for bgpd (router bgp 64513 ...)
    (etc / "frr.conf").write_text(text)

Mirrors the owner's router config (udm-pro-bgp-no-auth.conf in their GitOps repo): a ``home-ops`` peer
group for the cluster ASN, inbound route-maps that accept only the LB ranges
(``le 32`` / ``le 128``), outbound route-maps that send only the home supernet, and
``soft-reconfiguration inbound`` so rejected routes stay visible in
``show bgp ... neighbors X received-routes`` (FRR docs: https://docs.frrouting.org/en/latest/bgp.html).
How the families travel follows the spec's ``sessions`` (the profile's ``bgp.sessions``):

- ``ipv4-carries-both`` (the owner's): the nodes' IPv4 addresses are the only neighbours, in the
  ``home-ops`` peer group, and both ``address-family ipv4 unicast`` and ``address-family ipv6
  unicast`` activate that group, each with its route-maps and ``soft-reconfiguration inbound``:
  IPv6 routes travel over the IPv4 sessions (MP-BGP), exactly as in the owner's file;
- ``per-family``: IPv6 neighbours in their own ``home-ops-v6`` group, activated for IPv6 only.

Additions for the lab: fast timers so sessions establish within a second or two, and ``no bgp
default ipv4-unicast`` (every family is activated explicitly, as the owner's file does anyway).
"""

from __future__ import annotations

from lab.net.spec import PER_FAMILY, NetworkSpec, Session

PEER_GROUP_V4 = "home-ops"
PEER_GROUP_V6 = "home-ops-v6"


def render_frr_conf(spec: NetworkSpec) -> str:
    return "\n".join([
        "frr defaults traditional",
        "hostname udm",
        "log stdout informational",
        # route-map changes are applied at once, not after FRR's default 5 s batching delay
        "bgp route-map delay-timer 0",
        "!",
        *_prefix_lists(spec),
        "!",
        *_route_maps(),
        "!",
        *_router_bgp(spec),
        "!",
        "line vty",
        "!",
        "",
    ])


def render_vtysh_conf() -> str:
    return "service integrated-vtysh-config\nhostname udm\n"


def _prefix_lists(spec: NetworkSpec) -> list[str]:
    router = spec.router
    lines = [f"ip prefix-list CLUSTER-ROUTES seq {10 * (i + 1)} permit {net} le 32"
             for i, net in enumerate(router.lb_ranges_v4)]
    lines += [f"ipv6 prefix-list CLUSTER-ROUTES-V6 seq {10 * (i + 1)} permit {net} le 128"
              for i, net in enumerate(router.lb_ranges_v6)]
    lines += [
        f"ip prefix-list HOME-SUPERNET seq 10 permit {router.supernet_v4} le 32",
        f"ipv6 prefix-list HOME-SUPERNET-V6 seq 10 permit {router.supernet_v6} le 64",
    ]
    return lines


def _route_maps() -> list[str]:
    maps = [
        ("ACCEPT-FROM-CLUSTER", "ip", "CLUSTER-ROUTES"),
        ("ACCEPT-FROM-CLUSTER-V6", "ipv6", "CLUSTER-ROUTES-V6"),
        ("ADVERTISE-TO-CLUSTER", "ip", "HOME-SUPERNET"),
        ("ADVERTISE-TO-CLUSTER-V6", "ipv6", "HOME-SUPERNET-V6"),
    ]
    lines: list[str] = []
    for name, afi, plist in maps:
        lines += [f"route-map {name} permit 10", f" match {afi} address prefix-list {plist}",
                  "exit"]
    return lines


def peer_group(spec: NetworkSpec, family: str) -> str:
    """The peer group whose sessions carry ``family`` (the owner's: home-ops for both)."""
    return PEER_GROUP_V6 if spec.session_family(family) == "ipv6" else PEER_GROUP_V4


def _router_bgp(spec: NetworkSpec) -> list[str]:
    router = spec.router
    lines = [
        f"router bgp {router.asn}",
        f" bgp router-id {router.router_id}",
        " bgp log-neighbor-changes",
        " no bgp default ipv4-unicast",
        " no bgp network import-check",
        f" timers bgp {router.keepalive_s} {router.hold_s}",
    ]
    groups = (PEER_GROUP_V4, PEER_GROUP_V6) if spec.sessions == PER_FAMILY else (PEER_GROUP_V4,)
    for group in groups:
        lines += [
            f" neighbor {group} peer-group",
            f" neighbor {group} remote-as {router.cluster_asn}",
            f" neighbor {group} timers connect {router.connect_retry_s}",
            f" neighbor {group} advertisement-interval 0",
        ]
    for session in spec.all_sessions():
        group = PEER_GROUP_V6 if session.family == "ipv6" else PEER_GROUP_V4
        lines += [f" neighbor {session.node_address} peer-group {group}",
                  f" neighbor {session.node_address} description Talos node {session.node}"]
    lines += _address_family("ipv4", str(router.supernet_v4), peer_group(spec, "ipv4"), "")
    lines += _address_family("ipv6", str(router.supernet_v6), peer_group(spec, "ipv6"), "-V6")
    lines.append("exit")
    return lines


def _address_family(afi: str, supernet: str, group: str, suffix: str) -> list[str]:
    return [
        f" address-family {afi} unicast",
        f"  network {supernet}",
        "  redistribute connected",
        "  redistribute static",
        f"  neighbor {group} activate",
        f"  neighbor {group} route-map ACCEPT-FROM-CLUSTER{suffix} in",
        f"  neighbor {group} route-map ADVERTISE-TO-CLUSTER{suffix} out",
        f"  neighbor {group} soft-reconfiguration inbound",
        " exit-address-family",
    ]


# -- reconfiguring one neighbour at run time (faults) ----------------------------------------------
# Each function returns vtysh lines to run after "configure terminal" (vtysh -c line -c line ...).

def _policy(family: str) -> tuple[str, str]:
    suffix = "-V6" if family == "ipv6" else ""
    return f"ACCEPT-FROM-CLUSTER{suffix}", f"ADVERTISE-TO-CLUSTER{suffix}"


def standalone_neighbor(spec: NetworkSpec, session: Session, no_soft_reconfig: str) -> list[str]:
    """Take ``session``'s neighbour out of its peer group and configure it on its own with the group's
    policy, except ``soft-reconfiguration inbound`` in family ``no_soft_reconfig``.

    A peer-group member cannot switch off a flag its group sets: FRR treats ``no neighbor X
    soft-reconfiguration inbound`` on a member as "inherit from the group" (frr-8.4.4
    ``bgpd/bgpd.c`` L4719-4722, peer_af_flag_modify: ``peer_group_active(peer) && set == invert``
    -> ``peer_af_flag_inherit``), so the neighbour must leave the group, as an operator who
    configured it by hand would have it. The session resets."""
    router, addr = spec.router, session.node_address
    lines = [f"router bgp {router.asn}",
             f"no neighbor {addr} peer-group {peer_group(spec, session.families[0])}",
             f"neighbor {addr} remote-as {router.cluster_asn}",
             f"neighbor {addr} description Talos node {session.node}",
             f"neighbor {addr} timers connect {router.connect_retry_s}",
             f"neighbor {addr} advertisement-interval 0"]
    for family in session.families:
        accept, advertise = _policy(family)
        lines += [f"address-family {family} unicast", f"neighbor {addr} activate",
                  f"neighbor {addr} route-map {accept} in", f"neighbor {addr} route-map {advertise} out"]
        if family != no_soft_reconfig:
            lines.append(f"neighbor {addr} soft-reconfiguration inbound")
        lines.append("exit-address-family")
    return lines


def rejoin_peer_group(spec: NetworkSpec, session: Session) -> list[str]:
    """Undo :func:`standalone_neighbor`: the neighbour back in its peer group, as rendered at start."""
    addr = session.node_address
    return [f"router bgp {spec.router.asn}", f"no neighbor {addr}",
            f"neighbor {addr} peer-group {peer_group(spec, session.families[0])}",
            f"neighbor {addr} description Talos node {session.node}"]


def vtysh_config_argv(lines: list[str]) -> list[str]:
    """``vtysh -c 'configure terminal' -c line ...``: one vtysh call, in order, as typed at the prompt."""
    argv = ["vtysh", "-c", "configure terminal"]
    for line in lines:
        argv += ["-c", line]
    return argv
