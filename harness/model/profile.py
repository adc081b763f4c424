"""The cluster profile: the required state from the owner's architecture, as typed values.

    profile = load_profile(Path("fixtures/profiles/home-ops.yaml"))
    profile.pool("bgp-ingress").blocks[0].contains(ip)      # steps read values only from here

A malformed profile raises ProfileError naming file, line and field path (``parse_profile``, below).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import urlsplit

from harness.core.errors import ConfigError, UnknownCiliumVersion
from harness.core.netaddr import FAMILIES, AddressBlock, Family, IPAddress, IPNetwork, family_of
from harness.core.yamldoc import Node
from harness.model.cilium_versions import CiliumVersion

T = TypeVar("T")


@dataclass(frozen=True)
class ByFamily(Generic[T]):
    """One value per IP family the profile states (``ipv4`` and/or ``ipv6``)."""

    values: tuple[tuple[Family, T], ...]

    def get(self, family: Family) -> T | None:
        return dict(self.values).get(family)

    def require(self, family: Family, what: str) -> T:
        value = self.get(family)
        if value is None:
            raise ConfigError(f"the profile states no {family} value for {what}")
        return value

    @property
    def families(self) -> tuple[Family, ...]:
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
    def families(self) -> tuple[Family, ...]:
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

    def session_family(self, family: Family) -> Family:
        """The address family of the session that carries ``family`` ("ipv4" for both on one IPv4 session)."""
        return family if self.per_family else Family.IPV4


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
    (harness/model/cilium_versions.py), what the lab runs, what the repo and the cluster are judged against."""

    version: CiliumVersion
    bgp_control_plane: bool = True          # cilium-config enable-bgp-control-plane
    lb_acceleration: str = "disabled"       # cilium-config bpf-lb-acceleration (XDP): disabled | native | best-effort


@dataclass(frozen=True)
class FluxStage:
    name: str                          # the architecture's words, e.g. "Cert Manager & Monitoring"
    kustomizations: tuple[str, ...]    # the Flux Kustomizations that make the stage up


@dataclass(frozen=True)
class Platform:
    """The platform services the architecture names beyond the network: Flux's dependency chain, the
    1Password Connect store of External Secrets, Longhorn's replicas and disks, cert-manager's issuer,
    and the outpost's own workloads. Absent from a profile: their scenarios skip, saying so."""

    flux_namespace: str = "flux-system"
    flux_stages: tuple[FluxStage, ...] = ()
    secret_store: str = ""                         # ClusterSecretStore name (1Password Connect)
    secret_store_provider: str = "onepassword"
    outpost_token: tuple[str, str] | None = None   # (namespace, ExternalSecret name)
    longhorn_namespace: str = "longhorn-system"
    longhorn_replicas: int | None = None
    issuer: str = ""                               # ClusterIssuer name
    issuer_acme_server: str = ""
    outpost_deployment: str = ""
    outpost_redis: str = ""                        # Deployment/StatefulSet and Service name
    redis_env: str = "AUTHENTIK_REDIS__HOST"


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
    platform: Platform = field(default_factory=Platform)
    notes: tuple[str, ...] = ()   # what in the required state itself deserves a look (printed with every run)

    def pool(self, name: str) -> LbPool:
        for pool in self.pools:
            if pool.name == name:
                return pool
        raise ConfigError(f"profile {self.source} has no LB pool {name!r}; it has: "
                          f"{', '.join(p.name for p in self.pools)}")

    def pools_of_family(self, family: Family) -> tuple[LbPool, ...]:
        return tuple(p for p in self.pools if family in p.families)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)


def load_profile(path: Path) -> Profile:
    return parse_profile(path)


# -- loading: the YAML file into a Profile, validating every field --------------------------------

TOP = {"cluster", "networks", "lb_pools", "bgp", "ingress", "identity", "disks", "cilium", "platform", "timeouts",
       "lab"}


def parse_profile(path: Path) -> Profile:
    doc = Node.load(path)
    doc.reject_unknown(TOP)
    cluster = doc.at("cluster")
    cluster.reject_unknown({"name", "nodes", "kube_proxy", "api_endpoint"})
    nets = _networks(doc.at("networks"))
    nodes = tuple(_node(n) for n in cluster.at("nodes").items())
    if not nodes:
        raise cluster.at("nodes").fail("at least one node is required")
    pools = tuple(_pool(p) for p in doc.at("lb_pools").items())
    _unique([p.name for p in pools], doc.at("lb_pools"), "pool name")
    _unique([n.name for n in nodes], cluster.at("nodes"), "node name")
    ingress = _ingress(doc.at("ingress"), {p.name for p in pools})
    bgp = _bgp(doc.at("bgp"))
    _check_sessions(bgp, nodes, doc.at("bgp").at("sessions"))
    lab = doc.opt("lab")
    return Profile(
        source=path,
        cluster_name=cluster.at("name").text(),
        nodes=nodes,
        networks=nets,
        kube_proxy_replaced=cluster.at("kube_proxy").choice("replaced-by-cilium", "kube-proxy")
        == "replaced-by-cilium",
        pools=pools,
        bgp=bgp,
        ingress=ingress,
        identity=_identity(doc.at("identity")),
        disks=_disks(doc.at("disks")),
        cilium=_cilium(doc.at("cilium")),
        timeouts=_timeouts(doc.opt("timeouts")),
        lab=lab.plain() if lab is not None else {},
        api_endpoint=_endpoint(cluster.opt("api_endpoint")),
        platform=_platform(doc.opt("platform")),
        notes=_network_notes(path, doc.at("networks"), nets),
    )


def _network_notes(path: Path, node: Node, nets: Networks) -> tuple[str, ...]:
    """Networks written with host bits (Cilium, Kubernetes and Python all read them as the network they
    fall in), and pod networks that overlap another network of the profile. Not errors: the values
    are the architecture's, and the owner decides; every run says so."""
    notes = []
    for key in ("management", "pods", "services", "load_balancer"):
        for family, child in node.at(key).entries():
            text = str(child.value())
            try:
                ipaddress.ip_network(text, strict=True)
            except ValueError:
                means = ipaddress.ip_network(text, strict=False)
                notes.append(f"{path}: networks.{key}.{family} {text} has host bits set: it means {means}")
    for family, pods in nets.pods.values:
        for key, others in (("management", nets.management), ("services", nets.services),
                            ("load_balancer", nets.load_balancer)):
            other = others.get(family)
            if other is not None and pods.overlaps(other):
                notes.append(f"{path}: networks.pods.{family} {pods} overlaps networks.{key}.{family} {other}: "
                             f"per-node pod CIDRs carved from it can hold node, service or LB addresses")
    return tuple(notes)


def _endpoint(node: Node | None) -> tuple[str, int] | None:
    if node is None:
        return None
    url = urlsplit(node.text())
    if url.scheme != "https" or not url.hostname:
        raise node.fail(f"expected https://HOST:PORT, got {node.text()!r}")
    return url.hostname, url.port or 443


def _by_family(node: Node, parse: Callable[[Node], T]) -> ByFamily[T]:
    node.reject_unknown({"ipv4", "ipv6"})
    values: list[tuple[Family, T]] = []
    for key, child in node.entries():
        family = Family(key)
        value = parse(child)
        seen = getattr(value, "version", None)
        if seen is not None and family_of(value) != family:  # type: ignore[arg-type]
            raise child.fail(f"{child.value()!r} is not an {family} value")
        values.append((family, value))
    return ByFamily(tuple(values))


def _ips(node: Node) -> ByFamily[IPAddress]:
    return _by_family(node, lambda n: n.ip())


def _networks(node: Node) -> Networks:
    node.reject_unknown({"management", "pods", "services", "load_balancer", "pod_mask_sizes"})
    nets = {key: _by_family(node.at(key), lambda n: n.network())
            for key in ("management", "pods", "services", "load_balancer")}
    masks = node.opt("pod_mask_sizes")
    return Networks(**nets, pod_mask_sizes=_by_family(masks, lambda n: n.integer(1, 128))
                    if masks is not None else ByFamily(()))


def _node(node: Node) -> ClusterNode:
    node.reject_unknown({"name", "addresses"})
    return ClusterNode(node.at("name").text(), _ips(node.at("addresses")))


def _block(node: Node) -> AddressBlock:
    node.reject_unknown({"cidr", "start", "stop"})
    try:
        if node.has("cidr"):
            node.at("cidr").network()
            return AddressBlock.parse_cidr(node.at("cidr").text())
        start = node.at("start")
        start.ip()
        stop = node.opt("stop") or start
        stop.ip()
        return AddressBlock.parse_range(start.text(), stop.text())
    except ValueError as exc:
        raise node.fail(str(exc)) from exc


def _pool(node: Node) -> LbPool:
    node.reject_unknown({"name", "blocks", "service_selector", "advertised"})
    blocks = tuple(_block(b) for b in node.at("blocks").items())
    if not blocks:
        raise node.at("blocks").fail("a pool needs at least one block")
    selector = node.at("service_selector")
    selector.reject_unknown({"matchLabels", "matchExpressions"})
    advertised = node.opt("advertised")
    return LbPool(node.at("name").text(), blocks, selector.plain() or {},
                  advertised.boolean() if advertised is not None else True)


def _bgp(node: Node) -> Bgp:
    node.reject_unknown({"cluster_asn", "router", "sessions"})
    r = node.at("router")
    r.reject_unknown({"name", "asn", "addresses", "ssh", "accepted_prefixes", "config_file"})
    ssh = r.at("ssh")
    ssh.reject_unknown({"user", "port", "key_env"})
    port = ssh.opt("port")
    router = Router(
        name=r.at("name").text(), asn=r.at("asn").integer(1, 4294967295), addresses=_ips(r.at("addresses")),
        ssh=SshAccess(ssh.at("user").text(), port.integer(1, 65535) if port else 22, ssh.at("key_env").text()),
        accepted=_by_family(r.at("accepted_prefixes"), lambda n: n.network()),
        config_file=_repo_file(r.opt("config_file")),
    )
    return Bgp(node.at("cluster_asn").integer(1, 4294967295), router, node.at("sessions").choice(*SESSION_KINDS))


def _repo_file(node: Node | None) -> str | None:
    """A path inside the GitOps repo: relative, not leaving it."""
    if node is None:
        return None
    text = node.text().strip()
    if not text or text.startswith("/") or ".." in text.split("/"):
        raise node.fail(f"expected a path relative to the GitOps repo's root, got {text!r}")
    return text


def _check_sessions(bgp: Bgp, nodes: tuple[ClusterNode, ...], where: Node) -> None:
    """Every session the profile's topology implies has an address at both ends."""
    families = sorted({bgp.session_family(f) for n in nodes for f in n.addresses.families})
    for family in families:
        missing = ([f"{bgp.router.name} (bgp.router.addresses)"] if bgp.router.addresses.get(family) is None else [])
        missing += [n.name for n in nodes if n.addresses.get(family) is None]
        if missing:
            raise where.fail(f"{bgp.sessions} needs an {family} session address at the router and every node; "
                             f"none for {', '.join(missing)}")


def _ingress(node: Node, pools: set[str]) -> Ingress:
    node.reject_unknown({"class", "namespace", "service", "pool", "addresses"})
    pool = node.at("pool")
    if pool.text() not in pools:
        raise pool.fail(f"no LB pool named {pool.text()!r} in lb_pools")
    return Ingress(node.at("class").text(), node.at("namespace").text(), node.at("service").text(),
                   pool.text(), _ips(node.at("addresses")))


def _identity(node: Node) -> Identity:
    node.reject_unknown({"protected_domain", "outpost", "authentik_host", "hosts", "dns_servers"})
    outpost = node.at("outpost")
    outpost.reject_unknown({"namespace", "ingress"})
    domain = node.at("protected_domain").text()
    hosts = tuple(h.text() for h in node.at("hosts").items())
    for h, child in zip(hosts, node.at("hosts").items(), strict=True):
        if not h.endswith("." + domain):
            raise child.fail(f"host {h!r} is not under the protected domain {domain!r}")
    return Identity(domain, outpost.at("namespace").text(), outpost.at("ingress").text(),
                    node.at("authentik_host").text(), hosts, _ips(node.at("dns_servers")))


def _disks(node: Node) -> Disks:
    node.reject_unknown({"install_disk_model", "user_volume", "encryption"})
    uv = node.at("user_volume")
    uv.reject_unknown({"name", "disk_model", "filesystem"})
    enc = node.at("encryption")
    encrypted = tuple((vol, child.choice("luks2", "luks1")) for vol, child in enc.entries())
    return Disks(node.at("install_disk_model").text(), uv.at("name").text(), uv.at("disk_model").text(),
                 uv.at("filesystem").choice("xfs", "ext4"), encrypted)


def _cilium(node: Node) -> Cilium:
    node.reject_unknown({"version", "bgp_control_plane", "lb_acceleration"})
    version = node.at("version")
    raw = version.value()
    if not isinstance(raw, str):
        raise version.fail(f"expected a release written as a string, e.g. \"1.17.6\", got {raw!r}")
    try:
        release = CiliumVersion.release(raw)
    except UnknownCiliumVersion as exc:
        raise version.fail(str(exc)) from exc
    bgp, accel = node.opt("bgp_control_plane"), node.opt("lb_acceleration")
    return Cilium(release, bgp_control_plane=True if bgp is None else bgp.boolean(),
                  lb_acceleration="disabled" if accel is None else accel.choice("disabled", "native", "best-effort"))


def _platform(node: Node | None) -> Platform:
    if node is None:
        return Platform()
    node.reject_unknown({"flux", "secrets", "longhorn", "certificates", "outpost"})
    values: dict[str, Any] = {}
    if (flux := node.opt("flux")) is not None:
        flux.reject_unknown({"namespace", "stages"})
        stages = []
        for stage in flux.at("stages").items():
            stage.reject_unknown({"name", "kustomizations"})
            names = tuple(k.text() for k in stage.at("kustomizations").items())
            if not names:
                raise stage.at("kustomizations").fail("a stage needs at least one Kustomization")
            stages.append(FluxStage(stage.at("name").text(), names))
        everything = [k for s in stages for k in s.kustomizations]
        _unique(everything, flux.at("stages"), "Kustomization (a Kustomization belongs to one stage)")
        values["flux_stages"] = tuple(stages)
        if (ns := flux.opt("namespace")) is not None:
            values["flux_namespace"] = ns.text()
    if (secrets := node.opt("secrets")) is not None:
        secrets.reject_unknown({"store", "provider", "outpost_token"})
        values["secret_store"] = secrets.at("store").text()
        if (provider := secrets.opt("provider")) is not None:
            values["secret_store_provider"] = provider.text()
        if (token := secrets.opt("outpost_token")) is not None:
            token.reject_unknown({"namespace", "name"})
            values["outpost_token"] = (token.at("namespace").text(), token.at("name").text())
    if (longhorn := node.opt("longhorn")) is not None:
        longhorn.reject_unknown({"namespace", "default_replica_count"})
        values["longhorn_replicas"] = longhorn.at("default_replica_count").integer(1, 20)
        if (ns := longhorn.opt("namespace")) is not None:
            values["longhorn_namespace"] = ns.text()
    if (certs := node.opt("certificates")) is not None:
        certs.reject_unknown({"cluster_issuer", "acme_server"})
        values["issuer"] = certs.at("cluster_issuer").text()
        server = certs.at("acme_server")
        if urlsplit(server.text()).scheme != "https":
            raise server.fail(f"expected an https:// ACME directory URL, got {server.text()!r}")
        values["issuer_acme_server"] = server.text()
    if (outpost := node.opt("outpost")) is not None:
        outpost.reject_unknown({"deployment", "redis", "redis_env"})
        values["outpost_deployment"] = outpost.at("deployment").text()
        values["outpost_redis"] = outpost.at("redis").text()
        if (env := outpost.opt("redis_env")) is not None:
            values["redis_env"] = env.text()
    return Platform(**values)


def _timeouts(node: Node | None) -> Timeouts:
    if node is None:
        return Timeouts()
    names = {"apply": "apply", "assert": "assert_", "cleanup": "cleanup", "request": "request",
             "pending_hold": "pending_hold", "lock_wait": "lock_wait", "lock_lease": "lock_lease"}
    node.reject_unknown(set(names))
    return Timeouts(**{names[k]: child.number() for k, child in node.entries()})


def _unique(names: list[str], node: Node, what: str) -> None:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise node.fail(f"duplicate {what}(s): {', '.join(dupes)}")
