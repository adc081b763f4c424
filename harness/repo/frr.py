"""The UDM Pro's FRR BGP configuration as typed values, and FRR's rules for accepting a route.

    router = parse_frr(Path("udm-pro-bgp-no-auth.conf"))
    router.accepts_from("172.29.51.11", "172.29.52.200/32"), router.accepted_range_problems(blocks)

Evaluation follows FRR (https://docs.frrouting.org/en/latest/filter.html, lib/plist.c, lib/routemap.c,
bgpd/bgp_route.c): a prefix-list's entries are tried in ``seq`` order and the first match decides, no
match denies; an entry without ge/le matches only its own length, ``ge``/``le`` bound the length of
routes inside the prefix. A route-map's entries are tried in ``seq`` order; an entry matches when all
its match clauses do (a clause naming a missing prefix-list never matches; an entry with a match
clause this model does not evaluate, e.g. community or as-path, is skipped and named); permit/deny of the first
matching entry decides, no match denies. An inbound route-map that is configured but not defined
denies everything; an eBGP neighbor with no inbound policy accepts nothing while
``bgp ebgp-requires-policy`` is on (the default since FRR 7.4). IPv4 unicast is active for every
neighbor unless ``no bgp default ipv4-unicast``; other families need ``activate``.

The same model judges a file from a GitOps repo (``parse_frr``) and the router's running
configuration (``parse_running_config``, from ``vtysh -c 'show running-config'``):
``policy_problems`` says what keeps a router from accepting the cluster's routes from its nodes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from harness.core.netaddr import AddressBlock, Family, IPNetwork, family_of

MAX_LEN = {"ipv4": 32, "ipv6": 128}
EXHAUSTIVE_LIMIT = 4096          # ranges up to this many addresses are checked address by address


@dataclass(frozen=True)
class PrefixListEntry:
    seq: int
    action: str                  # "permit" | "deny"
    prefix: IPNetwork            # "any" is 0.0.0.0/0 (::/0) le 32 (128)
    ge: int | None
    le: int | None
    line: int

    def matches(self, route: IPNetwork) -> bool:
        if route.version != self.prefix.version or not route.subnet_of(self.prefix):  # type: ignore[arg-type]
            return False
        if self.ge is None and self.le is None:
            return route.prefixlen == self.prefix.prefixlen
        low = self.ge if self.ge is not None else self.prefix.prefixlen
        high = self.le if self.le is not None else MAX_LEN[family_of(route)]
        return low <= route.prefixlen <= high

    def __str__(self) -> str:
        bounds = (f" ge {self.ge}" if self.ge is not None else "") + (f" le {self.le}" if self.le is not None else "")
        return f"seq {self.seq} {self.action} {self.prefix}{bounds}"


@dataclass(frozen=True)
class PrefixList:
    name: str
    family: Family
    entries: tuple[PrefixListEntry, ...]

    def decide(self, route: IPNetwork) -> PrefixListEntry | None:
        """The first matching entry (None: the implicit deny at the end)."""
        return next((e for e in sorted(self.entries, key=lambda e: e.seq) if e.matches(route)), None)

    def permits(self, route: IPNetwork) -> bool:
        entry = self.decide(route)
        return entry is not None and entry.action == "permit"


@dataclass(frozen=True)
class RouteMapEntry:
    seq: int
    action: str
    prefix_lists: tuple[tuple[str, str], ...]     # (family, prefix-list name) from match ip/ipv6 address
    line: int
    unsupported: tuple[str, ...] = ()             # other match clauses: such an entry is never taken


@dataclass(frozen=True)
class Neighbor:
    name: str                    # an address, or a peer-group name
    is_group: bool
    remote_as: int | None
    peer_group: str | None
    description: str
    activate: tuple[tuple[str, bool], ...]        # per family, when configured
    route_map_in: tuple[tuple[str, str], ...]
    prefix_list_in: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RouterConfig:
    source: str
    asn: int | None
    router_id: str | None
    neighbors: dict[str, Neighbor]
    route_maps: dict[str, tuple[RouteMapEntry, ...]]
    prefix_lists: dict[tuple[str, str], PrefixList]   # keyed by (family, name)
    ebgp_requires_policy: bool = True
    default_ipv4_unicast: bool = True
    rejected_lines: tuple[str, ...] = field(default=())   # lines FRR would refuse, with the reason
    misfiled: dict[tuple[str, str], PrefixList] = field(default_factory=dict)  # entries of rejected lines,
    # keyed by the family their prefix really has: what the author meant, for explaining a refusal

    # -- lookups through peer groups ------------------------------------------------------------
    def _chain(self, name: str) -> list[Neighbor]:
        chain, seen = [], set()
        current = self.neighbors.get(name)
        while current is not None and current.name not in seen:
            seen.add(current.name)
            chain.append(current)
            current = self.neighbors.get(current.peer_group) if current.peer_group else None
        return chain

    def _inherit(self, name: str, attr: str, family: Family) -> str | bool | None:
        for member in self._chain(name):
            value = dict(getattr(member, attr)).get(family)
            if value is not None:
                return value  # type: ignore[no-any-return]
        return None

    def remote_as(self, name: str) -> int | None:
        return next((n.remote_as for n in self._chain(name) if n.remote_as is not None), None)

    @property
    def peer_addresses(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.neighbors.values() if not n.is_group)

    def is_active(self, name: str, family: Family) -> bool:
        value = self._inherit(name, "activate", family)
        return bool(value) if value is not None else (family == "ipv4" and self.default_ipv4_unicast)

    def inbound_route_map(self, name: str, family: Family) -> str | None:
        value = self._inherit(name, "route_map_in", family)
        return str(value) if value else None

    # -- evaluation -----------------------------------------------------------------------------
    def explain(self, neighbor: str, prefix: str | IPNetwork) -> tuple[bool, str]:
        """Whether ``neighbor``'s route for ``prefix`` is accepted, and the rule that decided."""
        route = ipaddress.ip_network(prefix, strict=False) if isinstance(prefix, str) else prefix
        family = family_of(route)
        if neighbor not in self.neighbors or self.neighbors[neighbor].is_group:
            return False, f"{neighbor} is not a configured neighbor"
        if not self.is_active(neighbor, family):
            return False, f"{family} unicast is not activated for {neighbor}"
        plist = self._inherit(neighbor, "prefix_list_in", family)
        if plist and not self._plist_permits(family, str(plist), route):
            return False, f"inbound prefix-list {plist} denies {route}"
        rmap = self.inbound_route_map(neighbor, family)
        if rmap is None:
            if plist is None and self.ebgp_requires_policy and self.remote_as(neighbor) != self.asn:
                return False, f"no inbound policy for eBGP neighbor {neighbor} (bgp ebgp-requires-policy)"
            return True, "no inbound route-map"
        return self._route_map(rmap, family, route)

    def describe_prefix_lists(self, family: Family) -> str:
        """The family's prefix-lists as configured, for a failure report."""
        lists = [f"{pl.name}: {', '.join(str(e) for e in sorted(pl.entries, key=lambda e: e.seq))}"
                 for (fam, _), pl in sorted(self.prefix_lists.items()) if fam == family]
        return f"{family} prefix-lists: {'; '.join(lists)}" if lists else f"no {family} prefix-list"

    def accepts_from(self, neighbor: str, prefix: str | IPNetwork) -> bool:
        return self.explain(neighbor, prefix)[0]

    def _plist_permits(self, family: str, name: str, route: IPNetwork) -> bool:
        plist = self.prefix_lists.get((family, name))
        return plist is not None and plist.permits(route)

    def _route_map(self, name: str, family: Family, route: IPNetwork) -> tuple[bool, str]:
        entries = self.route_maps.get(name)
        if entries is None:
            return False, f"inbound route-map {name} is not defined (FRR denies all)"
        for entry in sorted(entries, key=lambda e: e.seq):
            if entry.unsupported:
                continue
            if all(f == family and self._plist_permits(f, p, route) for f, p in entry.prefix_lists):
                return entry.action == "permit", f"route-map {name} {entry.action} {entry.seq}"
        undefined = sorted({f"{'ip' if f == 'ipv4' else 'ipv6'} prefix-list {p}" for e in entries
                            for f, p in e.prefix_lists if (f, p) not in self.prefix_lists})
        skipped = [f"{e.seq} ({'; '.join(e.unsupported)})" for e in entries if e.unsupported]
        note = f"; undefined: {', '.join(undefined)}" if undefined else ""
        note += f"; entries not evaluated: {', '.join(skipped)}" if skipped else ""
        return False, f"route-map {name}: no entry matches {route} (implicit deny{note})"

    def accepted_range_problems(self, ranges: Iterable[AddressBlock | IPNetwork | str],
                                neighbors: Iterable[str] | None = None) -> list[str]:
        """Host routes (/32, /128, as Cilium advertises LB IPs) in ``ranges`` some neighbor would drop."""
        problems = []
        peers = list(neighbors) if neighbors is not None else list(self.peer_addresses)
        if not peers:
            return [f"{self.source}: no BGP neighbors configured"]
        for block in (_as_block(r) for r in ranges):
            for peer in peers:
                refused = _first_refused(self, peer, block)
                if refused is not None:
                    problems.append(f"{self.source}: {block} from {peer}: {refused}")
        return problems


def _as_block(value: AddressBlock | IPNetwork | str) -> AddressBlock:
    if isinstance(value, AddressBlock):
        return value
    return AddressBlock.parse_cidr(str(value))


def _hosts(block: AddressBlock) -> Iterable[IPNetwork]:
    """Every address when the range is small, else the first and last of each CIDR it decomposes into."""
    width = MAX_LEN[block.family]
    if block.size <= EXHAUSTIVE_LIMIT:
        for value in range(int(block.first), int(block.last) + 1):
            yield ipaddress.ip_network((value, width))
        return
    for net in ipaddress.summarize_address_range(block.first, block.last):
        yield ipaddress.ip_network((net.network_address, width))
        yield ipaddress.ip_network((net.broadcast_address, width))


def _first_refused(router: RouterConfig, peer: str, block: AddressBlock) -> str | None:
    for host in _hosts(block):
        accepted, why = router.explain(peer, host)
        if not accepted:
            return f"{host} refused: {why}"
    return None


def policy_problems(conf: RouterConfig, *, router_asn: int, cluster_asn: int,
                    peers: Mapping[str, Mapping[str, str]],
                    ranges: Iterable[tuple[str, AddressBlock]]) -> list[str]:
    """What keeps ``conf`` from accepting the cluster's routes, one line each (empty: nothing).

    ``peers`` maps a family to the sessions that carry it (session address -> node name: on the
    owner's topology the nodes' IPv4 addresses carry both families); every ``(label, block)`` in
    ``ranges`` must be accepted, host route by host route, from every session carrying its family.
    """
    problems = [f"{conf.source}: FRR refuses a line: {line.split(': ', 1)[-1]}" for line in conf.rejected_lines]
    if conf.asn != router_asn:
        problems.append(f"{conf.source}: router bgp {conf.asn if conf.asn is not None else '(none)'}; "
                        f"expected router bgp {router_asn}")
    sessions = {address: node for by_address in peers.values() for address, node in by_address.items()}
    for address, node in sessions.items():
        if address not in conf.peer_addresses:
            problems.append(f"{conf.source}: {address} ({node}) is not a configured neighbor")
        elif conf.remote_as(address) != cluster_asn:
            problems.append(f"{conf.source}: neighbor {address} ({node}) remote-as {conf.remote_as(address)}; "
                            f"expected {cluster_asn}")
    for label, block in ranges:
        refused = [f"{address} ({node}): {why}" for address, node in peers.get(block.family, {}).items()
                   if address in conf.peer_addresses and (why := _first_refused(conf, address, block)) is not None]
        if refused:
            more = f" (and {len(refused) - 1} more neighbor(s))" if len(refused) > 1 else ""
            problems.append(f"{conf.source}: {label} {block} not accepted from {refused[0]}{more}; "
                            f"{conf.describe_prefix_lists(block.family)}")
    return problems
