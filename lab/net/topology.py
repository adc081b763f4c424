"""Wire the lab's namespaces: a bridge for VLAN 51, a client veth to the udm, routes.

    build(spec)          # namespaces, links, addresses, routes — nothing in the root netns
    LINKS.node_mgmt      # "eth0", the node side of the VLAN 51 segment

Every ``ip`` call uses ``-n <ns>`` and creates veth pairs *from inside* a lab namespace
with the peer placed straight into another lab namespace (``peer name X netns Y``), so
no interface, address, route or sysctl ever appears in the root namespace.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from lab.net import netns
from lab.net.netns import run
from lab.net.spec import IPInterface, NetworkSpec


@dataclass(frozen=True)
class LinkNames:
    bridge: str = "br51"
    udm_mgmt: str = "eth51"
    udm_client: str = "eth53"
    node_mgmt: str = "eth0"
    client: str = "eth0"

    @staticmethod
    def fabric_port(role: str) -> str:
        return f"p-{role}"[:15]


LINKS = LinkNames()


def build(spec: NetworkSpec) -> None:
    """Create every namespace and wire it as the spec says."""
    for role in spec.roles():
        netns.create(spec.netns(role))
    _build_fabric(spec)
    _build_udm(spec)
    _build_client(spec)
    for node in spec.nodes:
        _build_node(spec, node.name, (node.ipv4, node.ipv6))


def _ip(ns: str, *args: str) -> None:
    run(["ip", "-n", ns, *args])


def _add_address(ns: str, dev: str, iface: IPInterface) -> None:
    extra = ["nodad"] if iface.version == 6 else []
    _ip(ns, "addr", "add", str(iface), "dev", dev, *extra)


def _build_fabric(spec: NetworkSpec) -> None:
    fabric = spec.netns("fabric")
    # the fabric is pure L2: no addresses of its own, no IPv6 on its ports
    netns.sysctl(fabric, {"net.ipv6.conf.all.disable_ipv6": "1",
                          "net.ipv6.conf.default.disable_ipv6": "1"})
    _ip(fabric, "link", "add", LINKS.bridge, "type", "bridge",
        "stp_state", "0", "forward_delay", "0", "mcast_snooping", "0")
    _ip(fabric, "link", "set", LINKS.bridge, "up")
    peers = [("udm", LINKS.udm_mgmt)] + [(n.name, LINKS.node_mgmt) for n in spec.nodes]
    for role, peer_dev in peers:
        port = LINKS.fabric_port(role)
        _ip(fabric, "link", "add", port, "type", "veth",
            "peer", "name", peer_dev, "netns", spec.netns(role))
        _ip(fabric, "link", "set", port, "master", LINKS.bridge, "up")


def _build_udm(spec: NetworkSpec) -> None:
    udm, router = spec.netns("udm"), spec.router
    netns.sysctl(udm, {
        "net.ipv4.ip_forward": "1",
        "net.ipv6.conf.all.forwarding": "1",
        # unreachables must answer every probe at once, not be rate limited
        "net.ipv4.icmp_ratelimit": "0",
        "net.ipv6.icmp.ratelimit": "0",
    })
    _ip(udm, "link", "add", LINKS.udm_client, "type", "veth",
        "peer", "name", LINKS.client, "netns", spec.netns("client"))
    for dev, addrs in ((LINKS.udm_mgmt, (router.ipv4, router.ipv6)),
                       (LINKS.udm_client, (router.client_ipv4, router.client_ipv6))):
        for iface in addrs:
            _add_address(udm, dev, iface)
        _ip(udm, "link", "set", dev, "up")


def _build_client(spec: NetworkSpec) -> None:
    client, router = spec.netns("client"), spec.router
    for iface in (spec.client.ipv4, spec.client.ipv6):
        _add_address(client, LINKS.client, iface)
    _ip(client, "link", "set", LINKS.client, "up")
    _route_lab_prefixes(spec, client, str(router.client_ipv4.ip), str(router.client_ipv6.ip))


def _build_node(spec: NetworkSpec, name: str, addrs: tuple[IPInterface, IPInterface]) -> None:
    ns = spec.netns(name)
    for iface in addrs:
        _add_address(ns, LINKS.node_mgmt, iface)
    _ip(ns, "link", "set", LINKS.node_mgmt, "up")
    router = spec.router
    _route_lab_prefixes(spec, ns, str(router.ipv4.ip), str(router.ipv6.ip))


def _route_lab_prefixes(spec: NetworkSpec, ns: str, via4: str, via6: str) -> None:
    """Routes for the lab prefixes only, via the udm; there is never a default route."""
    for prefix in spec.client.lab_prefixes:
        via = via4 if prefix.version == 4 else via6
        _ip(ns, "route", "replace", str(prefix), "via", via)


def add_address(spec: NetworkSpec, node: str, ip: str, dev: str = "lo") -> None:
    """Put a host address (/32 or /128) on a node's ``dev``: a service address on lo (routed traffic is
    answered), a shared VIP on the management link (answered by ARP on the segment)."""
    _ip(spec.netns(node), "addr", "replace", _host_prefix(ip), "dev", dev)


def remove_address(spec: NetworkSpec, node: str, ip: str, dev: str = "lo") -> None:
    _ip(spec.netns(node), "addr", "del", _host_prefix(ip), "dev", dev)


def _host_prefix(ip: str) -> str:
    addr = ipaddress.ip_address(ip)
    return f"{addr}/{addr.max_prefixlen}"
