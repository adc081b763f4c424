"""The udm's BGP state, read from FRR's JSON and parsed at the edge into frozen values.

    view = RouterView(udm.vtysh_json)
    view.sessions()                                 # [BgpSession(peer, family, state), ...]
    view.accepted_routes("172.29.51.11", "ipv4")    # post-policy, from that neighbour
    view.neighbor("172.29.51.11").negotiated        # ("ipv4", "ipv6") on the owner's topology

JSON shapes are those of FRR 8.4's ``show bgp summary json``, ``show bgp <afi> unicast json``
and ``show bgp <afi> unicast neighbors X received-routes|routes json``
(https://docs.frrouting.org/en/latest/bgp.html#displaying-bgp-information).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SUMMARY_KEYS = {"ipv4": "ipv4Unicast", "ipv6": "ipv6Unicast"}


@dataclass(frozen=True)
class BgpSession:
    peer: str
    family: str
    state: str
    prefixes_received: int

    @property
    def is_established(self) -> bool:
        return self.state == "Established"


@dataclass(frozen=True)
class NeighborState:
    """One neighbour as ``show bgp neighbors X json`` describes it."""

    peer: str
    state: str                         # bgpState: "Established", "Active", "Idle", ... ("" when unknown)
    negotiated: tuple[str, ...]        # families advertised and received in OPEN

    def carries(self, families: tuple[str, ...]) -> bool:
        return self.state == "Established" and set(families) <= set(self.negotiated)


@dataclass(frozen=True)
class BgpRoute:
    """One path in the udm's BGP table (accepted, i.e. after inbound policy)."""

    prefix: str
    peer: str
    next_hops: tuple[str, ...]
    is_best: bool


@dataclass(frozen=True)
class ReceivedRoute:
    """One route as received from a neighbour, before inbound policy (soft-reconfig)."""

    prefix: str
    next_hop: str


class RouterView:
    def __init__(self, vtysh_json: Callable[[str], Any]) -> None:
        self._json = vtysh_json

    def sessions(self) -> list[BgpSession]:
        data = self._json("show bgp summary json")
        found: list[BgpSession] = []
        for family, key in _SUMMARY_KEYS.items():
            for peer, info in (data.get(key) or {}).get("peers", {}).items():
                found.append(BgpSession(peer=peer, family=family, state=str(info.get("state")),
                                        prefixes_received=int(info.get("pfxRcd", 0))))
        return found

    def neighbor(self, peer: str) -> NeighborState:
        info = self._json(f"show bgp neighbors {peer} json").get(peer) or {}
        caps = (info.get("neighborCapabilities") or {}).get("multiprotocolExtensions") or {}
        return NeighborState(peer, str(info.get("bgpState", "")),
                             tuple(f for f, key in _SUMMARY_KEYS.items()
                                   if (caps.get(key) or {}).get("advertisedAndReceived") is True))

    def routes(self, family: str) -> list[BgpRoute]:
        return _parse_table(self._json(f"show bgp {family} unicast json"))

    def accepted_routes(self, peer: str, family: str) -> list[BgpRoute]:
        return _parse_table(self._json(f"show bgp {family} unicast neighbors {peer} routes json"))

    def received_routes(self, peer: str, family: str) -> list[ReceivedRoute]:
        data = self._json(f"show bgp {family} unicast neighbors {peer} received-routes json")
        return [ReceivedRoute(prefix=prefix, next_hop=str(info.get("nextHop", "")))
                for prefix, info in (data.get("receivedRoutes") or {}).items()]


def _parse_table(data: dict[str, Any]) -> list[BgpRoute]:
    return [
        BgpRoute(
            prefix=prefix,
            peer=str(path.get("peerId", "")),
            next_hops=tuple(str(nh.get("ip", "")) for nh in path.get("nexthops", [])),
            is_best=bool(path.get("bestpath", False)),
        )
        for prefix, paths in (data.get("routes") or {}).items()
        for path in paths
    ]
