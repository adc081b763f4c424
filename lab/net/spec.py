"""The lab network's shape: which namespaces exist and which addresses they carry.

    spec = NetworkSpec.home_ops(prefix="t1a2")        # the owner's addresses, per-run prefix
    spec.netns("mini01")  # -> "t1a2-mini01"

Every address, ASN and prefix the lab uses comes from these frozen values; nothing
downstream hard-codes them. The defaults mirror the owner's router config
(udm-pro-bgp-no-auth.conf in their GitOps repo) and their architecture document.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field

IPInterface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_PREFIX_RE = re.compile(r"^[a-z][a-z0-9]{0,7}$")
ROLES = ("fabric", "udm", "client")
FAMILIES = ("ipv4", "ipv6")
#: how BGP carries the families (the profile's bgp.sessions): the owner's router config has IPv4
#: neighbours only with IPv6 unicast activated on them; "per-family" adds an IPv6 session per node
IPV4_CARRIES_BOTH = "ipv4-carries-both"
PER_FAMILY = "per-family"
SESSION_KINDS = (IPV4_CARRIES_BOTH, PER_FAMILY)


@dataclass(frozen=True)
class NodeSpec:
    """A Talos node: its management addresses on the VLAN 51 segment."""

    name: str
    ipv4: ipaddress.IPv4Interface
    ipv6: ipaddress.IPv6Interface

    @property
    def router_id(self) -> str:
        return str(self.ipv4.ip)

    def address(self, family: str) -> str:
        return str(self.ipv4.ip if family == "ipv4" else self.ipv6.ip)


@dataclass(frozen=True)
class Session:
    """One BGP session between a node and the udm, and the families it carries."""

    node: str
    family: str                    # the transport family (the addresses' family)
    node_address: str
    router_address: str
    families: tuple[str, ...]      # AFI/SAFIs activated on it: ("ipv4", "ipv6") for the owner's


@dataclass(frozen=True)
class RouterSpec:
    """The UDM Pro: management and client-side addresses, BGP identity and policy."""

    ipv4: ipaddress.IPv4Interface
    ipv6: ipaddress.IPv6Interface
    client_ipv4: ipaddress.IPv4Interface
    client_ipv6: ipaddress.IPv6Interface
    asn: int = 64513
    cluster_asn: int = 64512
    #: inbound policy: prefixes nodes may announce (``le 32`` / ``le 128`` is implied)
    lb_ranges_v4: tuple[ipaddress.IPv4Network, ...] = ()
    lb_ranges_v6: tuple[ipaddress.IPv6Network, ...] = ()
    #: outbound policy: the home supernets advertised to the cluster
    supernet_v4: ipaddress.IPv4Network = ipaddress.IPv4Network("172.29.0.0/18")
    supernet_v6: ipaddress.IPv6Network = ipaddress.IPv6Network("fd47:25e1:2f96::/60")
    keepalive_s: int = 1
    hold_s: int = 3
    connect_retry_s: int = 1

    @property
    def router_id(self) -> str:
        return str(self.ipv4.ip)

    def address(self, family: str) -> str:
        return str(self.ipv4.ip if family == "ipv4" else self.ipv6.ip)


@dataclass(frozen=True)
class ClientSpec:
    """The namespace the harness probes from; routes only the lab prefixes via the udm."""

    ipv4: ipaddress.IPv4Interface
    ipv6: ipaddress.IPv6Interface
    lab_prefixes: tuple[IPNetwork, ...] = ()


@dataclass(frozen=True)
class NetworkSpec:
    """The whole lab network. ``prefix`` namespaces every name so labs can coexist."""

    prefix: str
    router: RouterSpec
    client: ClientSpec
    nodes: tuple[NodeSpec, ...] = field(default_factory=tuple)
    sessions: str = IPV4_CARRIES_BOTH

    def __post_init__(self) -> None:
        if self.sessions not in SESSION_KINDS:
            raise ValueError(f"sessions must be one of {SESSION_KINDS}; got {self.sessions!r}")
        if not _PREFIX_RE.match(self.prefix):
            raise ValueError(
                f"lab prefix {self.prefix!r} must match {_PREFIX_RE.pattern} "
                "(short, so interface and namespace names stay within limits)"
            )
        names = [n.name for n in self.nodes]
        clash = set(names) & set(ROLES)
        if clash or len(set(names)) != len(names):
            raise ValueError(f"node names must be unique and not one of {ROLES}; got {names}")

    def netns(self, role: str) -> str:
        """Namespace name for ``udm``, ``client``, ``fabric`` or a node name."""
        if role not in ROLES and role not in {n.name for n in self.nodes}:
            raise KeyError(f"no lab namespace role {role!r}; known: {self.roles()}")
        return f"{self.prefix}-{role}"

    def roles(self) -> list[str]:
        return [*ROLES, *(n.name for n in self.nodes)]

    def session_family(self, family: str) -> str:
        """The transport family of the session that carries ``family``."""
        return family if self.sessions == PER_FAMILY else "ipv4"

    def sessions_of(self, node_name: str) -> tuple[Session, ...]:
        """The node's sessions with the udm: one IPv4 session carrying both families (the owner's),
        or one per family."""
        node = self.node(node_name)
        transports = FAMILIES if self.sessions == PER_FAMILY else ("ipv4",)
        return tuple(Session(node.name, t, node.address(t), self.router.address(t),
                             tuple(f for f in FAMILIES if self.session_family(f) == t))
                     for t in transports)

    def all_sessions(self) -> tuple[Session, ...]:
        return tuple(s for n in self.nodes for s in self.sessions_of(n.name))

    def node(self, name: str) -> NodeSpec:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(f"no node {name!r} in lab spec; nodes: {[n.name for n in self.nodes]}")

    @classmethod
    def home_ops(cls, prefix: str, sessions: str = IPV4_CARRIES_BOTH) -> NetworkSpec:
        """The owner's addressing: VLAN 51 management, VLAN 52 LB pool, VLAN 53 client."""
        v4, v6 = "172.29.51.", "fd47:25e1:2f96:51::"
        nodes = tuple(
            NodeSpec(
                name=f"mini0{i}",
                ipv4=ipaddress.IPv4Interface(f"{v4}{10 + i}/24"),
                ipv6=ipaddress.IPv6Interface(f"{v6}{10 + i}/64"),
            )
            for i in (1, 2, 3)
        )
        router = RouterSpec(
            ipv4=ipaddress.IPv4Interface(f"{v4}1/24"),
            ipv6=ipaddress.IPv6Interface(f"{v6}1/64"),
            client_ipv4=ipaddress.IPv4Interface("172.29.53.1/24"),
            client_ipv6=ipaddress.IPv6Interface("fd47:25e1:2f96:53::1/64"),
            lb_ranges_v4=(ipaddress.IPv4Network("172.29.52.0/24"),),
            lb_ranges_v6=(ipaddress.IPv6Network("fd47:25e1:2f96:52::/64"),),
        )
        client = ClientSpec(
            ipv4=ipaddress.IPv4Interface("172.29.53.10/24"),
            ipv6=ipaddress.IPv6Interface("fd47:25e1:2f96:53::10/64"),
            lab_prefixes=(
                ipaddress.IPv4Network("172.29.0.0/16"),
                ipaddress.IPv6Network("fd47:25e1:2f96::/48"),
            ),
        )
        return cls(prefix=prefix, router=router, client=client, nodes=nodes, sessions=sessions)
