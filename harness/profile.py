"""The cluster profile: the required state from the owner's architecture, as typed values.

    profile = load_profile(Path("fixtures/profiles/home-ops.yaml"))
    profile.pool("bgp-ingress").blocks[0].contains(ip)      # steps read values only from here

A malformed profile raises ProfileError naming file, line and field path (see profile_load).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from harness.cilium_versions import CiliumVersion
from harness.netaddr import FAMILIES, AddressBlock, IPAddress, IPNetwork

T = TypeVar("T")


@dataclass(frozen=True)
class ByFamily(Generic[T]):
    """One value per IP family the profile states (``ipv4`` and/or ``ipv6``)."""

    values: tuple[tuple[str, T], ...]

    def get(self, family: str) -> T | None:
        return dict(self.values).get(family)

    def require(self, family: str, what: str) -> T:
        value = self.get(family)
        if value is None:
            from harness.errors import ConfigError
            raise ConfigError(f"the profile states no {family} value for {what}")
        return value

    @property
    def families(self) -> tuple[str, ...]:
        present = dict(self.values)
        return tuple(f for f in FAMILIES if f in present)


@dataclass(frozen=True)
class ClusterNode:
    name: str
    addresses: ByFamily[IPAddress]


@dataclass(frozen=True)
class Networks:
    management: ByFamily[IPNetwork]
    pods: ByFamily[IPNetwork]
    services: ByFamily[IPNetwork]
    load_balancer: ByFamily[IPNetwork]
    pod_mask_sizes: ByFamily[int]


@dataclass(frozen=True)
class LbPool:
    name: str
    blocks: tuple[AddressBlock, ...]
    selector: dict[str, Any]          # a Kubernetes LabelSelector, as Cilium's serviceSelector
    advertised: bool

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(f for f in FAMILIES if any(b.family == f for b in self.blocks))

    def contains(self, ip: IPAddress) -> bool:
        return any(b.contains(ip) for b in self.blocks)

    def describe_blocks(self) -> str:
        return ", ".join(str(b) for b in self.blocks)


@dataclass(frozen=True)
class SshAccess:
    user: str
    port: int
    key_env: str                       # environment variable holding the key *path* on live runs


@dataclass(frozen=True)
class Router:
    name: str
    asn: int
    addresses: ByFamily[IPAddress]
    ssh: SshAccess
    accepted: ByFamily[IPNetwork]      # what the router's inbound prefix-lists must accept
    config_file: str | None = None     # the router's FRR config in the GitOps repo (repo-relative), if it keeps one


#: how BGP carries the two families between the nodes and the router
SESSIONS_IPV4_CARRIES_BOTH = "ipv4-carries-both"   # one IPv4 session per node, IPv6 unicast activated on it (MP-BGP)
SESSIONS_PER_FAMILY = "per-family"                 # an IPv4 session and a separate IPv6 session per node
SESSION_KINDS = (SESSIONS_IPV4_CARRIES_BOTH, SESSIONS_PER_FAMILY)


@dataclass(frozen=True)
class Bgp:
    cluster_asn: int
    router: Router
    sessions: str = SESSIONS_IPV4_CARRIES_BOTH

    @property
    def per_family(self) -> bool:
        return self.sessions == SESSIONS_PER_FAMILY

    def session_family(self, family: str) -> str:
        """The address family of the session that carries ``family`` ("ipv4" for both on one IPv4 session)."""
        return family if self.per_family else "ipv4"


@dataclass(frozen=True)
class Ingress:
    class_name: str
    namespace: str
    service: str
    pool: str
    addresses: ByFamily[IPAddress]


@dataclass(frozen=True)
class Identity:
    protected_domain: str
    outpost_namespace: str
    outpost_ingress: str
    authentik_host: str
    hosts: tuple[str, ...]
    dns_servers: ByFamily[IPAddress]


@dataclass(frozen=True)
class Disks:
    install_model: str                 # glob, as Talos installDiskSelector.model
    user_volume: str
    user_volume_model: str             # exact model, as the CEL match disk.model == "..."
    user_volume_filesystem: str
    encrypted: tuple[tuple[str, str], ...]   # (volume id, provider), e.g. ("STATE", "luks2")


@dataclass(frozen=True)
class Cilium:
    """The Cilium release of the required state: which API versions and BGP semantics it brings
    (harness/cilium_versions.py), what the lab runs, what the repo and the cluster are judged against."""

    version: CiliumVersion
    bgp_control_plane: bool = True          # cilium-config enable-bgp-control-plane
    lb_acceleration: str = "disabled"       # cilium-config bpf-lb-acceleration (XDP): disabled | native | best-effort


@dataclass(frozen=True)
class Timeouts:
    """Budgets per kind of operation, in seconds (Chainsaw-style)."""

    apply: float = 30.0
    assert_: float = 30.0
    cleanup: float = 60.0
    request: float = 10.0
    pending_hold: float = 2.0
    lock_wait: float = 60.0      # how long a mutating run waits for another run's lock before refusing
    lock_lease: float = 60.0     # the run lock's lease duration (renewed every third of it)


@dataclass(frozen=True)
class Profile:
    source: Path
    cluster_name: str
    nodes: tuple[ClusterNode, ...]
    networks: Networks
    kube_proxy_replaced: bool
    pools: tuple[LbPool, ...]
    bgp: Bgp
    ingress: Ingress
    identity: Identity
    disks: Disks
    cilium: Cilium
    timeouts: Timeouts = field(default_factory=Timeouts)
    lab: dict[str, Any] = field(default_factory=dict)
    api_endpoint: tuple[str, int] | None = None   # (host, port) of the Kubernetes API (the VIP)

    def pool(self, name: str) -> LbPool:
        for pool in self.pools:
            if pool.name == name:
                return pool
        from harness.errors import ConfigError
        raise ConfigError(f"profile {self.source} has no LB pool {name!r}; it has: "
                          f"{', '.join(p.name for p in self.pools)}")

    def pools_of_family(self, family: str) -> tuple[LbPool, ...]:
        return tuple(p for p in self.pools if family in p.families)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)


def load_profile(path: Path) -> Profile:
    from harness.profile_load import parse_profile
    return parse_profile(path)
