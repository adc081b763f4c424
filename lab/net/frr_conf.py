"""Render the UDM Pro's FRR configuration from the lab spec, with the owner's policy.

    text = render_frr_conf(spec)           # frr.conf for bgpd (router bgp 64513 ...)
    (etc / "frr.conf").write_text(text)

Mirrors the owner's router config (udm-pro-bgp-no-auth.conf in their GitOps repo): a ``home-ops`` peer
group for the cluster ASN, inbound route-maps that accept only the LB ranges
(``le 32`` / ``le 128``), outbound route-maps that send only the home supernet, and
``soft-reconfiguration inbound`` so rejected routes stay visible in
``show bgp ... neighbors X received-routes`` (FRR docs: https://docs.frrouting.org/en/latest/bgp.html).
Additions for the lab: IPv6 neighbours in their own ``home-ops-v6`` group (the owner's file
lists IPv4 ones only) and fast timers so sessions establish within a second or two.
"""

from __future__ import annotations

from lab.net.spec import NetworkSpec

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
    for group in (PEER_GROUP_V4, PEER_GROUP_V6):
        lines += [
            f" neighbor {group} peer-group",
            f" neighbor {group} remote-as {router.cluster_asn}",
            f" neighbor {group} timers connect {router.connect_retry_s}",
            f" neighbor {group} advertisement-interval 0",
        ]
    for node in spec.nodes:
        for addr, group in ((node.ipv4.ip, PEER_GROUP_V4), (node.ipv6.ip, PEER_GROUP_V6)):
            lines += [f" neighbor {addr} peer-group {group}",
                      f" neighbor {addr} description Talos node {node.name}"]
    lines += _address_family("ipv4", str(router.supernet_v4), PEER_GROUP_V4, "")
    lines += _address_family("ipv6", str(router.supernet_v6), PEER_GROUP_V6, "-V6")
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
