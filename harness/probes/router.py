"""The router probe: BGP sessions and routes at the UDM Pro (FRR), read over SSH with vtysh JSON.

    router = RouterProbe(run=ssh.run, name="udm", address="172.29.51.1")
    router.sessions()                       # (BgpSession(peer, family, state, ...), ...) one per (session, AFI)
    router.paths("ipv6")                    # accepted paths, after inbound policy, valid or not
    router.received("172.29.51.11", "ipv6") # what the neighbour sent, before policy (soft-reconfig)
    router.version()                        # FrrVersion(major=8, minor=4, patch=4)

FRR's JSON is parsed here into frozen values, in the shapes FRR 8.1-10.x print (samples and their
sources: ``fixtures/upstream/frr/``). What FRR does that a happy-path parser gets wrong:

- a refusal is an answer, not an error: ``{"warning": "No such neighbor in this view/vrf"}``,
  ``"No such neighbor or address family"``, ``"Inbound soft reconfiguration not enabled"`` ...
  come with vtysh's exit status 0. They raise :class:`RouterWarning`, never "no routes";
- ``show bgp summary json`` lists, per AFI (``ipv4Unicast``/``ipv6Unicast``), every neighbour
  *activated* for it, keyed by its session address (an IPv4 session carrying IPv6 shows under
  both); a family activated but not negotiated still says ``"state": "Established"`` (only the
  text view says ``NoNeg``), so negotiation is read from ``show bgp neighbors json``;
- ``valid`` is absent (table view) or false (detail view) on a path FRR cannot use;
  ``bestpath`` is ``true`` (table view) or ``{"overall": true, ...}`` (detail view);
- IPv6 next hops have ``scope`` ``global``/``link-local``; over an IPv4 session the global one may
  be IPv4-mapped, printed ``::ffff:ac1d:330b`` (FRR <= 10.2) or ``::ffff:172.29.51.11`` (>= 10.3);
- received routes sit under ``receivedRoutes`` (FRR >= 8.2) or ``advertisedRoutes`` (<= 8.1).

A snapshot of each answer is kept until ``invalidate()`` so one phase reads each table once;
refusals and unreadable answers are not kept.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from harness.core.errors import RouterError, RouterWarning
from harness.core.netaddr import Family

FAMILY_KEYS = {Family.IPV4: "ipv4Unicast", Family.IPV6: "ipv6Unicast"}

# Keys FRR answers with instead of data (each with exit status 0):
#   warning                 bgp_route.c / bgp_vty.c / bgpd.c, e.g. "No such neighbor in this view/vrf"
#   error                   kept for symmetry: any top-level "error" is a refusal too
#   malformedAddressOrName  bgpd.c peer_lookup_in_view: the neighbour is neither address, interface nor name
#   bgpNoSuchNeighbor       bgp_vty.c `show bgp neighbors X json` for an unknown X
REFUSAL_KEYS = ("warning", "error", "malformedAddressOrName", "bgpNoSuchNeighbor")

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Listeners told of every table answer a probe fetched (not of cached re-reads, refusals or unreadable
# answers), as (router, command, parsed JSON): the reporting keeps them as the run's evidence.
AnswerListener = Callable[[str, str, Mapping[str, Any]], None]
_listeners: list[AnswerListener] = []


def listen(listener: AnswerListener) -> Callable[[], None]:
    """Have ``listener`` see each answer read from now on; returns the function that stops it."""
    _listeners.append(listener)

    def stop() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return stop


def _ip(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def mapped_ipv4(text: str) -> str | None:
    """The IPv4 address inside an IPv4-mapped IPv6 address (either way FRR prints it), else None."""
    ip = _ip(text)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return str(ip.ipv4_mapped)
    return None


def same_address(a: str, b: str) -> bool:
    """Equal as addresses (``fd47::0011`` is ``fd47::11``); equal as text when either is not one."""
    ia, ib = _ip(a), _ip(b)
    return ia == ib if ia is not None and ib is not None else a == b


class FrrVersion(NamedTuple):
    """FRR's version as numbers; a tuple, so ``router.version() >= (8, 2)`` works."""

    major: int
    minor: int
    patch: int

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"


# lib/command.c show_version: "%s %s (%s) on %s(%s).\n" (8.1: "%s %s (%s).\n") with FRR_FULL_NAME
# "FRRouting" and FRR_VERSION = PACKAGE_VERSION [+ packager extra] [+ "-g<hash>" for git builds].
_VERSION = re.compile(r"^\s*FRRouting\s+(\d+)\.(\d+)(?:\.(\d+))?")


def parse_version(text: str) -> FrrVersion:
    """``FRRouting 8.4.4 (udm) on Linux(...).`` -> FrrVersion(8, 4, 4); ValueError when not FRR's."""
    for line in text.splitlines():
        found = _VERSION.match(line)
        if found:
            return FrrVersion(int(found[1]), int(found[2]), int(found[3] or 0))
    raise ValueError("no 'FRRouting <major>.<minor>[.<patch>]' line")


@dataclass(frozen=True)
class BgpSession:
    """One session in one address family, as ``show bgp summary json`` lists it.

    ``peer`` is the session address FRR keys the neighbour by (an interface name for unnumbered
    sessions); one IPv4 session carrying both families is two values, ``family`` "ipv4" and
    "ipv6", with the same ``peer`` and ``families == ("ipv4", "ipv6")``.
    """

    peer: str
    family: Family
    state: str                            # "Established", "Active", "Idle (Admin)", "Idle (PfxCt)", ...
    hostname: str                         # from the peer's hostname capability; "" when it sent none
    prefixes_received: int | None         # pfxRcd; None when FRR omitted it (not 0)
    families: tuple[Family, ...] = ()        # every family FRR lists this session under
    remote_as: int | None = None
    id_type: str = ""                     # "ipv4", "ipv6" or "interface"
    peer_state: str = ""                  # "OK", "Policy", "Admin", "Passive", "PfxCt", ...
    negotiated: bool | None = None        # family advertised and received in OPEN; None: not known

    @property
    def is_established(self) -> bool:
        return self.state == "Established"

    @property
    def carries_family(self) -> bool:
        """Established *and* this family negotiated: the only state in which routes can flow."""
        return self.is_established and self.negotiated is True


@dataclass(frozen=True)
class NextHop:
    ip: str                               # as FRR prints it
    scope: str                            # "global" or "link-local" (IPv4 next hops: "global")
    used: bool                            # the one FRR forwards to
    hostname: str = ""

    @property
    def mapped_ipv4(self) -> str | None:
        return mapped_ipv4(self.ip)


@dataclass(frozen=True)
class BgpPath:
    prefix: str
    family: Family
    peer: str
    next_hops: tuple[str, ...]            # global next hops as FRR prints them (IPv4-mapped ones included)
    hostname: str
    is_best: bool
    is_valid: bool = False                # FRR can use the path (next hop resolved, ...); absent -> False
    link_local_next_hops: tuple[str, ...] = ()
    hops: tuple[NextHop, ...] = ()

    @property
    def mapped_ipv4(self) -> str | None:
        """The IPv4 address of an IPv4-mapped global next hop (IPv6 over an IPv4 session), else None."""
        return next((m for m in map(mapped_ipv4, self.next_hops) if m is not None), None)

    def has_next_hop(self, address: str) -> bool:
        """``address`` is one of the global next hops, compared as addresses."""
        return any(same_address(hop, address) for hop in self.next_hops)


@dataclass(frozen=True)
class ReceivedRoute:
    prefix: str
    peer: str
    next_hop: str                         # nextHop (IPv4) or nextHopGlobal (IPv6), as FRR prints it
    as_path: str = ""

    @property
    def mapped_ipv4(self) -> str | None:
        return mapped_ipv4(self.next_hop)


def refusal(data: Mapping[str, Any]) -> tuple[str, str] | None:
    """(key, FRR's text) when ``data`` is a refusal rather than data (at the top level, or one level
    down as in the per-family objects of all-family answers), else None."""
    for obj in (data, *(v for v in data.values() if isinstance(v, Mapping))):
        for key in REFUSAL_KEYS:
            if key in obj:
                value = obj[key]
                return key, (value if isinstance(value, str) else json.dumps(value))
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None  # asdot text ("1.10") and absent values are not guessed at


def parse_sessions(data: Mapping[str, Any]) -> tuple[BgpSession, ...]:
    """``show bgp summary json``. ``{}`` is FRR's answer when no neighbour is active in any family
    (or no BGP instance): no sessions, which the checks report as such."""
    listed: dict[str, list[Family]] = {}
    for family, key in FAMILY_KEYS.items():
        for peer in _peers(data, key):
            listed.setdefault(peer, []).append(family)
    out = []
    for family, key in FAMILY_KEYS.items():
        for peer, info in _peers(data, key).items():
            received = info.get("pfxRcd")
            out.append(BgpSession(
                peer=peer, family=family, state=str(info.get("state", "")), hostname=str(info.get("hostname", "")),
                prefixes_received=_int(received), families=tuple(listed[peer]),
                remote_as=_int(info.get("remoteAs")), id_type=str(info.get("idType", "")),
                peer_state=str(info.get("peerState", ""))))
    return tuple(out)


def _peers(data: Mapping[str, Any], key: str) -> dict[str, Mapping[str, Any]]:
    afi = data.get(key)
    peers = afi.get("peers") if isinstance(afi, Mapping) else None
    if not isinstance(peers, Mapping):
        return {}
    return {str(peer): info for peer, info in peers.items() if isinstance(info, Mapping)}


def parse_negotiated(data: Mapping[str, Any]) -> dict[tuple[str, str], bool]:
    """``show bgp neighbors json``: (peer, family) -> negotiated, for Established neighbours whose
    capabilities FRR printed (``neighborCapabilities.multiprotocolExtensions.<afi>``:
    ``advertisedAndReceived`` / ``advertised`` / ``received``)."""
    out: dict[tuple[str, str], bool] = {}
    for peer, info in data.items():
        if not isinstance(info, Mapping) or info.get("bgpState") != "Established":
            continue
        caps = info.get("neighborCapabilities")
        multi = caps.get("multiprotocolExtensions") if isinstance(caps, Mapping) else None
        if not isinstance(multi, Mapping):
            continue
        for family, key in FAMILY_KEYS.items():
            afi = multi.get(key)
            out[(str(peer), family)] = isinstance(afi, Mapping) and afi.get("advertisedAndReceived") is True
    return out


def _path_entries(value: Any) -> Iterable[Mapping[str, Any]]:
    # table view: a list of paths; `json detail` (>= 8.5): {"prefix": ..., "paths": [...]}
    items = value.get("paths") if isinstance(value, Mapping) else value
    if not isinstance(items, list):
        return ()
    # older `detail` output put a per-prefix header object first: it has neither peer nor next hops
    return [p for p in items if isinstance(p, Mapping) and ("nexthops" in p or "peerId" in p or "peer" in p)]


def _hops(path: Mapping[str, Any]) -> tuple[NextHop, ...]:
    out = []
    for hop in path.get("nexthops") or []:
        if isinstance(hop, Mapping) and "ip" in hop:
            out.append(NextHop(str(hop["ip"]), str(hop.get("scope") or "global"), hop.get("used") is True,
                               str(hop.get("hostname") or "")))
    return tuple(out)


def parse_paths(data: Mapping[str, Any], family: Family) -> tuple[BgpPath, ...]:
    """``show bgp <afi> unicast json`` (table view) or ``... json detail``. Paths the router
    originated itself (peerId ``(unspec)``) are left out. An answer without ``routes`` (FRR's
    ``{}`` when there is no BGP instance) parses to nothing here: ``RouterProbe.paths`` refuses it."""
    out = []
    routes = data.get("routes")
    for prefix, value in (routes.items() if isinstance(routes, Mapping) else ()):
        for path in _path_entries(value):
            peer_info = path.get("peer")
            peer_obj: Mapping[str, Any] = peer_info if isinstance(peer_info, Mapping) else {}
            peer = str(path.get("peerId") or peer_obj.get("peerId") or "")
            if peer in ("(unspec)", ""):
                continue
            hops = _hops(path)
            host = next((h.hostname for h in hops if h.hostname), str(peer_obj.get("hostname") or ""))
            best = path.get("bestpath")
            is_best = best is True or (isinstance(best, Mapping) and best.get("overall") is True)
            out.append(BgpPath(
                prefix=str(prefix), family=family, peer=peer,
                next_hops=tuple(h.ip for h in hops if h.scope != "link-local"), hostname=host, is_best=is_best,
                is_valid=path.get("valid") is True,
                link_local_next_hops=tuple(h.ip for h in hops if h.scope == "link-local"), hops=hops))
    return tuple(out)


RECEIVED_KEYS = ("receivedRoutes", "advertisedRoutes")  # FRR >= 8.2, FRR <= 8.1 (fixed by c1984955b7)


def parse_received(data: Mapping[str, Any], peer: str) -> tuple[ReceivedRoute, ...]:
    table = next((data[k] for k in RECEIVED_KEYS if isinstance(data.get(k), Mapping)), None)
    if table is None:
        raise ValueError(f"neither of {', '.join(RECEIVED_KEYS)} in the answer")
    return tuple(ReceivedRoute(str(prefix), peer, str(info.get("nextHop") or info.get("nextHopGlobal") or ""),
                               str(info.get("path") or ""))
                 for prefix, info in table.items() if isinstance(info, Mapping))


SUMMARY = "show bgp summary json"
NEIGHBORS = "show bgp neighbors json"


def paths_command(family: Family) -> str:
    return f"show bgp {family} unicast json"


def received_command(peer: str, family: Family) -> str:
    return f"show bgp {family} unicast neighbors {peer} received-routes json"


class RouterProbe:
    def __init__(self, run: Callable[[str], str], name: str, address: str) -> None:
        self._run, self.name, self.address = run, name, address
        self._cache: dict[str, dict[str, Any]] = {}
        self._texts: dict[str, str] = {}
        self._raw: dict[str, str] = {}          # answers read ahead by prefetch(), not yet parsed

    @property
    def where(self) -> str:
        return f"{self.name} ({self.address})"

    def invalidate(self) -> None:
        self._cache.clear()
        self._texts.clear()
        self._raw.clear()

    def prefetch(self, commands: Iterable[str]) -> None:
        """Read several vtysh commands in one remote command (one SSH round trip instead of one
        each: ~0.1 s apiece over SSH); each answer is then parsed and judged exactly as if read alone."""
        wanted = [c for c in dict.fromkeys(commands) if c not in self._cache and c not in self._raw]
        if len(wanted) < 2:
            return
        mark = f"=== {secrets.token_hex(8)} ==="
        script = "; ".join(f"vtysh -c {shlex.quote(c)}; echo {shlex.quote(mark)}" for c in wanted)
        try:
            answers = self._run(script).split(mark + "\n")
        except RouterError:
            return   # unreachable, refused, ...: each command then asked alone reports it in its own words
        if len(answers) != len(wanted) + 1 or answers[-1].strip():
            raise RouterError(f"{self.where}: {len(wanted)} vtysh commands in one session answered "
                              f"{len(answers) - 1} separated outputs (expected {len(wanted)})")
        self._raw.update(zip(wanted, answers, strict=False))

    def _text(self, command: str) -> str:
        if command in self._raw:
            return self._raw.pop(command)
        return self._run(f"vtysh -c {shlex.quote(command)}")

    def _json(self, command: str) -> dict[str, Any]:
        if command in self._cache:
            return self._cache[command]
        text = self._text(command)
        if not text.strip():
            raise RouterError(f"{self.where}: {command!r} answered nothing (expected a JSON object)")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise RouterError(f"{self.where}: {command!r} did not return JSON: {text[:120]!r}") from exc
        if not isinstance(data, dict):
            raise RouterError(f"{self.where}: {command!r} returned {type(data).__name__}, expected an object")
        refused = refusal(data)
        if refused is not None:
            key, answer = refused
            raise RouterWarning(self.where, command, answer, key)
        self._cache[command] = data
        for listener in tuple(_listeners):
            listener(self.where, command, data)
        return data

    def sessions(self) -> tuple[BgpSession, ...]:
        """Every (session, family) FRR lists; ``negotiated`` is filled from ``show bgp neighbors
        json`` for Established ones (it is read only when one is Established)."""
        self.prefetch((SUMMARY, NEIGHBORS))
        found = parse_sessions(self._json(SUMMARY))
        if not any(s.is_established for s in found):
            return found
        negotiated = parse_negotiated(self._json(NEIGHBORS))
        return tuple(replace(s, negotiated=negotiated.get((s.peer, s.family))) if s.is_established else s
                     for s in found)

    def paths(self, family: Family) -> tuple[BgpPath, ...]:
        command = paths_command(family)
        data = self._json(command)
        if not isinstance(data.get("routes"), Mapping):
            raise RouterError(f"{self.where}: {command!r} answered without a routes table "
                              f"(no BGP instance?): {json.dumps(data)[:120]}")
        return parse_paths(data, family)

    def received(self, peer: str, family: Family) -> tuple[ReceivedRoute, ...]:
        command = received_command(peer, family)
        data = self._json(command)
        try:
            return parse_received(data, peer)
        except ValueError as exc:
            raise RouterError(f"{self.where}: {command!r}: {exc}: {json.dumps(data)[:120]}") from exc

    def version(self) -> FrrVersion:
        command = "show version"
        text = self._texts.get(command)
        if text is None:
            text = self._text(command)
        try:
            found = parse_version(text)
        except ValueError as exc:
            raise RouterError(f"{self.where}: {command!r}: unknown or unparsable FRR version: "
                              f"{text.strip()[:200]!r}") from exc
        self._texts[command] = text
        return found

    def excerpt(self, family: Family, prefix: str | None = None) -> str:
        """A few table lines for a failure report."""
        rows = [p for p in self.paths(family) if prefix is None or p.prefix == prefix]
        return "\n".join(
            f"  {p.prefix} via {','.join(p.next_hops) or 'none'}"
            + (f" (IPv4-mapped {p.mapped_ipv4})" if p.mapped_ipv4 else "")
            + (f" ll {','.join(p.link_local_next_hops)}" if p.link_local_next_hops else "")
            + f" from {p.peer} ({p.hostname})"
            + (" best" if p.is_best else "") + ("" if p.is_valid else " INVALID")
            for p in rows) or "  (no such routes)"
