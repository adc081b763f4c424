"""Lab stand-ins configured from the cluster profile, and Cilium's per-node agent.

    spec = network_spec(profile, prefix="hoc1a2b")   # the lab network mirrors the profiled cluster
    agent = NodeAgent(net, "mini01")                  # announces via GoBGP and answers on the address

The lab's client namespace (where the harness probes from) sits on its own segment behind the
router, like the owner's workstation LAN; its addresses come from the profile's `lab:` section.
"""

from __future__ import annotations

import ipaddress
import threading
from typing import Any

from harness.model.profile import Profile
from lab.net import LabNetwork, NetworkSpec
from lab.net.spec import ClientSpec, NodeSpec, RouterSpec


def _iface(address: Any, network: Any) -> str:
    return f"{address}/{ipaddress.ip_network(network, strict=False).prefixlen}"


def network_spec(profile: Profile, prefix: str, sessions: str | None = None) -> NetworkSpec:
    mgmt = profile.networks.management
    nodes = tuple(NodeSpec(n.name, ipaddress.IPv4Interface(_iface(n.addresses.get("ipv4"), mgmt.get("ipv4"))),
                           ipaddress.IPv6Interface(_iface(n.addresses.get("ipv6"), mgmt.get("ipv6"))))
                  for n in profile.nodes)
    router = profile.bgp.router
    client = profile.lab["client"]
    accepted = router.accepted
    spec_router = RouterSpec(
        ipv4=ipaddress.IPv4Interface(_iface(router.addresses.get("ipv4"), mgmt.get("ipv4"))),
        ipv6=ipaddress.IPv6Interface(_iface(router.addresses.get("ipv6"), mgmt.get("ipv6"))),
        client_ipv4=ipaddress.IPv4Interface(client["router_addresses"]["ipv4"]),
        client_ipv6=ipaddress.IPv6Interface(client["router_addresses"]["ipv6"]),
        asn=router.asn, cluster_asn=profile.bgp.cluster_asn,
        lb_ranges_v4=tuple(ipaddress.IPv4Network(n) for n in [accepted.get("ipv4")] if n is not None),
        lb_ranges_v6=tuple(ipaddress.IPv6Network(n) for n in [accepted.get("ipv6")] if n is not None),
    )
    spec_client = ClientSpec(
        ipv4=ipaddress.IPv4Interface(client["addresses"]["ipv4"]),
        ipv6=ipaddress.IPv6Interface(client["addresses"]["ipv6"]),
        lab_prefixes=(ipaddress.ip_network(client["routes"]["ipv4"]), ipaddress.ip_network(client["routes"]["ipv6"])),
    )
    return NetworkSpec(prefix=prefix, router=spec_router, client=spec_client, nodes=nodes,
                       sessions=sessions or profile.bgp.sessions)


class NodeAgent:
    """What Cilium's agent does on one node for a LoadBalancer address: announce it and answer on it.

    Faults (set by the lab's fault control) make the agent misbehave on purpose: prefixes inside a
    ``suppressed`` network are never announced; ``extra`` prefixes are announced whatever the policy says.
    """

    def __init__(self, net: LabNetwork, node: str) -> None:
        self._net, self.node = net, node
        self._speaker = net.speaker(node)
        self._lock = threading.Lock()
        self._wanted: set[tuple[str, str]] = set()
        self.suppressed: set[str] = set()
        self.extra: set[tuple[str, str]] = set()

    def announce(self, prefix: str, family: str) -> None:
        with self._lock:
            self._wanted.add((prefix, family))
            self._sync()

    def withdraw(self, prefix: str, family: str) -> None:
        with self._lock:
            self._wanted.discard((prefix, family))
            self._sync()

    def announced(self) -> set[tuple[str, str]]:
        with self._lock:
            return set(self._wanted)

    def set_faults(self, suppressed: set[str], extra: set[tuple[str, str]]) -> None:
        with self._lock:
            self.suppressed, self.extra = set(suppressed), set(extra)
            self._sync()

    def is_suppressed(self, prefix: str) -> bool:
        net = ipaddress.ip_network(prefix, strict=False)
        return any(net.version == s.version and net.subnet_of(s)  # type: ignore[arg-type]
                   for s in (ipaddress.ip_network(x, strict=False) for x in self.suppressed))

    def _sync(self) -> None:
        target = {(p, f) for p, f in self._wanted if not self.is_suppressed(p)} | self.extra
        current = self._speaker.announced()
        for prefix, family in sorted(current - target):
            self._speaker.withdraw(prefix, family)
            if (prefix, family) not in self.extra and _is_host(prefix):
                self._net.remove_address(self.node, prefix.split("/")[0])
        for prefix, family in sorted(target - current):
            if _is_host(prefix):     # a service address answers on the node; a pod CIDR is routed to pods
                self._net.add_address(self.node, prefix.split("/")[0])
            self._speaker.announce(prefix, family)


def _is_host(prefix: str) -> bool:
    net = ipaddress.ip_network(prefix, strict=False)
    return net.prefixlen == net.max_prefixlen
