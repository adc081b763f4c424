"""The router probe: BGP sessions and routes at the UDM Pro (FRR), read over SSH with vtysh JSON.

    router = RouterProbe(run=ssh.run, name="udm", address="172.29.51.1")
    router.sessions()                       # (BgpSession(peer, family, state, ...), ...)
    router.paths("ipv4")                    # accepted paths, after inbound policy
    router.received("172.29.51.11", "ipv4") # what the neighbour sent, before policy (soft-reconfig)

FRR JSON is parsed here into frozen values (the shapes of FRR 8.x `show bgp ... json`); a
snapshot is kept until ``invalidate()`` so one phase reads each table once.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.errors import RouterError

SUMMARY_KEYS = {"ipv4": "ipv4Unicast", "ipv6": "ipv6Unicast"}


@dataclass(frozen=True)
class BgpSession:
    peer: str
    family: str
    state: str
    hostname: str
    prefixes_received: int

    @property
    def is_established(self) -> bool:
        return self.state == "Established"


@dataclass(frozen=True)
class BgpPath:
    prefix: str
    family: str
    peer: str
    next_hops: tuple[str, ...]
    hostname: str
    is_best: bool


@dataclass(frozen=True)
class ReceivedRoute:
    prefix: str
    peer: str
    next_hop: str


def parse_sessions(data: dict[str, Any]) -> tuple[BgpSession, ...]:
    out = []
    for family, key in SUMMARY_KEYS.items():
        for peer, info in ((data.get(key) or {}).get("peers") or {}).items():
            out.append(BgpSession(peer, family, str(info.get("state", "")), str(info.get("hostname", "")),
                                  int(info.get("pfxRcd", info.get("prefixReceivedCount", 0)) or 0)))
    return tuple(out)


def parse_paths(data: dict[str, Any], family: str) -> tuple[BgpPath, ...]:
    out = []
    for prefix, paths in (data.get("routes") or {}).items():
        for path in paths:
            peer = str(path.get("peerId", ""))
            if peer in ("(unspec)", ""):
                continue  # originated by the router itself
            hops = tuple(str(h.get("ip")) for h in path.get("nexthops") or [] if h.get("scope", "global") == "global")
            host = next((str(h["hostname"]) for h in path.get("nexthops") or [] if h.get("hostname")), "")
            out.append(BgpPath(prefix, family, peer, hops, host, bool(path.get("bestpath", False))))
    return tuple(out)


def parse_received(data: dict[str, Any], peer: str) -> tuple[ReceivedRoute, ...]:
    return tuple(ReceivedRoute(prefix, peer, str(info.get("nextHop", "")))
                 for prefix, info in (data.get("receivedRoutes") or {}).items())


class RouterProbe:
    def __init__(self, run: Callable[[str], str], name: str, address: str) -> None:
        self._run, self.name, self.address = run, name, address
        self._cache: dict[str, Any] = {}

    @property
    def where(self) -> str:
        return f"{self.name} ({self.address})"

    def invalidate(self) -> None:
        self._cache.clear()

    def _json(self, command: str) -> dict[str, Any]:
        if command not in self._cache:
            text = self._run(f"vtysh -c {shlex.quote(command)}")
            try:
                self._cache[command] = json.loads(text) if text.strip() else {}
            except ValueError:
                raise RouterError(f"{self.where}: {command!r} did not return JSON: {text[:120]!r}") from None
        data = self._cache[command]
        if not isinstance(data, dict):
            raise RouterError(f"{self.where}: {command!r} returned {type(data).__name__}, expected an object")
        return data

    def sessions(self) -> tuple[BgpSession, ...]:
        return parse_sessions(self._json("show bgp summary json"))

    def paths(self, family: str) -> tuple[BgpPath, ...]:
        return parse_paths(self._json(f"show bgp {family} unicast json"), family)

    def received(self, peer: str, family: str) -> tuple[ReceivedRoute, ...]:
        return parse_received(self._json(f"show bgp {family} unicast neighbors {peer} received-routes json"), peer)

    def excerpt(self, family: str, prefix: str | None = None) -> str:
        """A few table lines for a failure report."""
        rows = [p for p in self.paths(family) if prefix is None or p.prefix == prefix]
        return "\n".join(f"  {p.prefix} via {','.join(p.next_hops)} from {p.peer} ({p.hostname})"
                         f"{' best' if p.is_best else ''}" for p in rows) or "  (no such routes)"
