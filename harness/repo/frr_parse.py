"""Parse an FRR configuration file (vtysh syntax) into a :class:`RouterConfig`.

    router = parse_frr(Path("udm-pro-bgp-no-auth.conf"))
    router.asn, router.neighbors["172.29.51.11"].peer_group, router.rejected_lines
    running = parse_running_config(ssh.run("vtysh -c 'show running-config'"), "udm (172.29.51.1) running-config")

Commands are recognised by keyword, not indentation (vtysh accepts both). Lines FRR would refuse
(``ipv6 prefix-list`` with an IPv4 prefix, ``ge`` above ``le``) are kept out of the model and listed in
``rejected_lines`` with file:line, so a check can say why a list is empty. ``ip prefix-list`` with an
IPv6 prefix is the IPv6 command to FRR ("ip" abbreviates "ipv6"), and is read as one. Unknown commands are
ignored: only BGP neighbors, address families, route-maps and prefix-lists are modelled.
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from dataclasses import dataclass, field, replace
from pathlib import Path

from harness.core.errors import ConfigError
from harness.core.netaddr import Family, family_of
from harness.repo.frr import Neighbor, PrefixList, PrefixListEntry, RouteMapEntry, RouterConfig

_PLIST = re.compile(r"(ip|ipv6) prefix-list (\S+)(?: seq (\d+))? (permit|deny) (\S+)(?: ge (\d+))?(?: le (\d+))?\s*$")
_FAMILY = {"ip": "ipv4", "ipv6": "ipv6"}


@dataclass
class _Neighbor:
    is_group: bool = False
    remote_as: int | None = None
    peer_group: str | None = None
    description: str = ""
    activate: dict[str, bool] = field(default_factory=dict)
    route_map_in: dict[str, str] = field(default_factory=dict)
    prefix_list_in: dict[str, str] = field(default_factory=dict)


@dataclass
class _State:
    source: str
    asn: int | None = None
    router_id: str | None = None
    neighbors: dict[str, _Neighbor] = field(default_factory=dict)
    route_maps: dict[str, list[RouteMapEntry]] = field(default_factory=dict)
    plists: dict[tuple[str, str], list[PrefixListEntry]] = field(default_factory=dict)
    rejected: list[str] = field(default_factory=list)
    misfiled: dict[tuple[str, str], list[PrefixListEntry]] = field(default_factory=dict)
    ebgp_requires_policy: bool = True
    default_ipv4: bool = True
    context: str = "top"             # top | bgp | af | route-map
    family: str = "ipv4"             # the address-family being read (FRR also has l2vpn, ...)
    route_map: RouteMapEntry | None = None
    current_map: str = ""


def parse_frr(path: Path, source: str | None = None) -> RouterConfig:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{source or path}: cannot read FRR config: {exc.strerror or exc}") from exc
    return parse_frr_text(text, source or str(path))


#: what vtysh prints before the configuration (lib/command.c / vtysh/vtysh.c ``show running-config``)
_RUNNING_HEADER = ("Building configuration...", "Current configuration:")


def parse_running_config(text: str, source: str) -> RouterConfig:
    """The router's running configuration as ``vtysh -c 'show running-config'`` prints it, read with the
    same rules as a configuration file (vtysh's header lines and the closing ``end`` are skipped).
    ValueError when ``text`` is not a running configuration (no ``frr version`` nor vtysh's header)."""
    lines = text.splitlines()
    if not any(line.startswith(("frr version", *_RUNNING_HEADER)) for line in lines[:10]):
        # never quoted back: a configuration can hold passwords (neighbor ... password, snmp communities)
        raise ValueError(f"not a running configuration ({len(lines)} line(s), none of the first ten is "
                         "'frr version' or vtysh's 'Current configuration:')")
    return parse_frr_text("\n".join("!" if line.strip() in _RUNNING_HEADER else line for line in lines), source)


def parse_frr_text(text: str, source: str) -> RouterConfig:
    state = _State(source)
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith(("#", "!")):
            _line(state, line, number)
    _close_route_map(state)
    return RouterConfig(
        source, state.asn, state.router_id,
        {name: _freeze(name, n) for name, n in state.neighbors.items()},
        {name: tuple(entries) for name, entries in state.route_maps.items()},
        {key: PrefixList(key[1], Family(key[0]), tuple(v)) for key, v in state.plists.items()},
        state.ebgp_requires_policy, state.default_ipv4, tuple(state.rejected),
        {key: PrefixList(key[1], Family(key[0]), tuple(v)) for key, v in state.misfiled.items()})


def _freeze(name: str, n: _Neighbor) -> Neighbor:
    return Neighbor(name, n.is_group, n.remote_as, n.peer_group, n.description, tuple(n.activate.items()),
                    tuple(n.route_map_in.items()), tuple(n.prefix_list_in.items()))


def _line(state: _State, line: str, number: int) -> None:
    words = line.split()
    if line.startswith(("ip prefix-list ", "ipv6 prefix-list ")):
        _close_route_map(state)
        _prefix_list(state, line, number)
    elif words[:2] == ["router", "bgp"]:
        _close_route_map(state)
        state.context, state.asn = "bgp", _int(state, words[2], number) if len(words) > 2 else None
    elif words[0] == "route-map" and len(words) >= 4:
        _close_route_map(state)
        state.context = "route-map"
        state.route_map = RouteMapEntry(int(words[3]), words[2], (), number)
        state.route_maps.setdefault(words[1], [])
        state.current_map = words[1]
    elif words[0] in ("exit-address-family",):
        state.context = "bgp"
    elif words[0] in ("exit", "end"):
        _close_route_map(state)
        state.context = "bgp" if state.context == "af" else "top"
    elif state.context == "route-map":
        _route_map_line(state, words)
    elif state.context in ("bgp", "af"):
        _bgp_line(state, line, words, number)


def _close_route_map(state: _State) -> None:
    if state.route_map is not None:
        state.route_maps[state.current_map].append(state.route_map)
        state.route_map = None
    if state.context == "route-map":
        state.context = "top"


def _route_map_line(state: _State, words: list[str]) -> None:
    entry = state.route_map
    assert entry is not None, "route-map lines are only read inside a route-map block"
    if words[:2] in (["match", "ip"], ["match", "ipv6"]) and words[2:4] == ["address", "prefix-list"]:
        state.route_map = replace(entry, prefix_lists=(*entry.prefix_lists, (_FAMILY[words[1]], words[4])))
    elif words[0] == "match":
        state.route_map = replace(entry, unsupported=(*entry.unsupported, " ".join(words)))


def _bgp_line(state: _State, line: str, words: list[str], number: int) -> None:
    if words[:2] == ["bgp", "router-id"]:
        state.router_id = words[2]
    elif words == ["no", "bgp", "ebgp-requires-policy"]:
        state.ebgp_requires_policy = False
    elif words == ["no", "bgp", "default", "ipv4-unicast"]:
        state.default_ipv4 = False
    elif words[0] == "address-family" and len(words) >= 2:
        state.context, state.family = "af", {"ipv4": "ipv4", "ipv6": "ipv6"}.get(words[1], words[1])
    elif words[0] == "neighbor" and len(words) >= 3:
        _neighbor_line(state, line, words, number)
    elif words[:2] == ["no", "neighbor"] and len(words) == 4 and words[3] == "activate":
        # how a running configuration shows a neighbour taken out of IPv4 unicast (default ipv4-unicast on)
        state.neighbors.setdefault(words[2], _Neighbor()).activate[state.family] = False


def _neighbor_line(state: _State, line: str, words: list[str], number: int) -> None:
    name, verb, rest = words[1], words[2], words[3:]
    n = state.neighbors.setdefault(name, _Neighbor())
    if verb == "peer-group":
        if rest:
            n.peer_group = rest[0]
        else:
            n.is_group = True
    elif verb == "remote-as" and rest:
        n.remote_as = _int(state, rest[0], number)
    elif verb == "description":
        n.description = " ".join(shlex.split(line.split("description", 1)[1]))
    elif verb == "activate":
        n.activate[state.family] = True
    elif verb in ("route-map", "prefix-list") and len(rest) >= 2 and rest[1] == "in":
        (n.route_map_in if verb == "route-map" else n.prefix_list_in)[state.family] = rest[0]


def _int(state: _State, text: str, number: int) -> int | None:
    if text.isdigit():
        return int(text)
    state.rejected.append(f"{state.source}:{number}: {text!r} is not a number")
    return None


def _prefix_list(state: _State, line: str, number: int) -> None:
    m = _PLIST.match(line)
    if m is None:
        state.rejected.append(f"{state.source}:{number}: unreadable prefix-list line: {line}")
        return
    afi, name, seq, action, prefix, ge, le = m.groups()
    family = _FAMILY[afi]
    try:
        net = ipaddress.ip_network("0.0.0.0/0" if family == "ipv4" else "::/0") if prefix == "any" \
            else ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        state.rejected.append(f"{state.source}:{number}: {prefix!r} is not a prefix: {line}")
        return
    low, high = (int(ge) if ge else None), (int(le) if le else None)
    if prefix == "any":
        high = 32 if family == "ipv4" else 128
    if low is not None and high is not None and low > high:
        state.rejected.append(f"{state.source}:{number}: invalid range ge {low} > le {high}: {line}")
        return
    if family_of(net) != family and afi == "ip":
        # FRR's CLI takes a keyword by any unambiguous beginning, and "ip" begins "ipv6": the line
        # cannot be the IPv4 command (its grammar takes A.B.C.D/M, le up to 32), so it is the IPv6 one,
        # and FRR keeps it as `ipv6 prefix-list NAME ...` (FRR 8.4.4 loading such a file does exactly
        # that: tests/lab/test_twin.py pins it against the real bgpd)
        family, table = family_of(net), state.plists
    elif family_of(net) != family:
        state.rejected.append(f"{state.source}:{number}: `{afi} prefix-list` takes an {family} prefix; "
                              f"FRR rejects {prefix} (use `ip prefix-list`)")
        family, table = family_of(net), state.misfiled
    else:
        table = state.plists
    entries = table.setdefault((family, name), [])
    number_seq = int(seq) if seq else (max((e.seq for e in entries), default=0) // 5) * 5 + 5
    entries.append(PrefixListEntry(number_seq, action, net, low, high, number))
