"""Node BGP speakers: one gobgpd per node namespace, driven with the ``gobgp`` CLI.

    speaker = GoBgpSpeaker(spec, "mini01")
    speaker.announce("172.29.52.200/32", "ipv4"); speaker.announced()  # {("172.29.52.200/32", "ipv4")}

gobgpd's TOML configuration (https://github.com/osrg/gobgp/blob/master/docs/sources/configuration.md)
is rendered from the spec: local ASN and router-id from the node, the udm's IPv4 and IPv6
addresses as neighbours, one address family per session, fast connect-retry. The gRPC API
listens on 127.0.0.1 inside the node's netns only.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Literal, Protocol

from lab.net import netns
from lab.net.netns import NetnsError
from lab.net.spec import NetworkSpec

Family = Literal["ipv4", "ipv6"]
API_PORT = 50051
FAMILIES: tuple[str, ...] = ("ipv4", "ipv6")
#: gobgp's API enum PeerState.SessionState (api/gobgp.proto)
_SESSION_STATES = {1: "idle", 2: "connect", 3: "active", 4: "opensent", 5: "openconfirm",
                   6: "established"}


class Speaker(Protocol):
    def announce(self, prefix: str, family: str) -> None: ...
    def withdraw(self, prefix: str, family: str) -> None: ...
    def announced(self) -> set[tuple[str, str]]: ...


def render_gobgpd_conf(spec: NetworkSpec, node_name: str) -> str:
    node, router = spec.node(node_name), spec.router
    lines = [
        "[global.config]",
        f"  as = {router.cluster_asn}",
        f'  router-id = "{node.router_id}"',
        f'  local-address-list = ["{node.ipv4.ip}", "{node.ipv6.ip}"]',
    ]
    sessions = ((router.ipv4.ip, node.ipv4.ip, "ipv4-unicast"),
                (router.ipv6.ip, node.ipv6.ip, "ipv6-unicast"))
    for peer, local, afi_safi in sessions:
        lines += [
            "", "[[neighbors]]",
            "  [neighbors.config]",
            f'    neighbor-address = "{peer}"',
            f"    peer-as = {router.asn}",
            "  [neighbors.timers.config]",
            f"    connect-retry = {router.connect_retry_s}",
            f"    hold-time = {router.hold_s}",
            f"    keepalive-interval = {router.keepalive_s}",
            "  [neighbors.transport.config]",
            f'    local-address = "{local}"',
            "  [[neighbors.afi-safis]]",
            "    [neighbors.afi-safis.config]",
            f'      afi-safi-name = "{afi_safi}"',
        ]
    return "\n".join(lines) + "\n"


def start_gobgpd(spec: NetworkSpec, node_name: str, state_dir: Path,
                 log: Path) -> subprocess.Popen[bytes]:
    conf = state_dir / "gobgp" / f"{node_name}.toml"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(render_gobgpd_conf(spec, node_name))
    # own UTS namespace so the hostname FRR learns (FQDN capability) is the node's name
    gobgpd = ["gobgpd", "-f", str(conf), "-t", "toml", "--api-hosts", f"127.0.0.1:{API_PORT}",
        "--log-level", "info", "--disable-stdlog"]
    script = f"hostname {shlex.quote(node_name)} && exec {shlex.join(gobgpd)}"
    argv = netns.in_ns(spec.netns(node_name), ["unshare", "--uts", "sh", "-c", script])
    with log.open("ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)


class GoBgpSpeaker:
    """A node's BGP speaker; the LB controller announces service addresses through it."""

    def __init__(self, spec: NetworkSpec, node_name: str) -> None:
        self.spec = spec
        self.node = spec.node(node_name)
        self.ns = spec.netns(node_name)

    def _gobgp(self, *args: str) -> str:
        return netns.run(netns.in_ns(self.ns, ["gobgp", "-p", str(API_PORT), *args]))

    def _next_hop(self, family: str) -> str:
        _check_family(family)
        return str(self.node.ipv4.ip if family == "ipv4" else self.node.ipv6.ip)

    def announce(self, prefix: str, family: str) -> None:
        self._gobgp("global", "rib", "add", "-a", family, prefix,
                    "origin", "igp", "nexthop", self._next_hop(family))

    def withdraw(self, prefix: str, family: str) -> None:
        _check_family(family)
        self._gobgp("global", "rib", "del", "-a", family, prefix)

    def announced(self) -> set[tuple[str, str]]:
        """Prefixes this node originates (its own local RIB paths, not ones learned)."""
        found: set[tuple[str, str]] = set()
        for family in FAMILIES:
            table = json.loads(self._gobgp("global", "rib", "-a", family, "-j") or "{}")
            for prefix, paths in (table or {}).items():
                if any(_is_local(path) for path in paths):
                    found.add((prefix, family))
        return found

    def neighbor_states(self) -> dict[str, str]:
        """udm address -> session state as this speaker sees it (e.g. "established")."""
        peers = json.loads(self._gobgp("neighbor", "-j") or "[]")
        return {p["state"]["neighbor_address"]:
                _SESSION_STATES.get(int(p["state"].get("session_state", 0)), "unknown")
                for p in peers}

    def stop_session(self, family: str | None = None) -> None:
        """Administratively shut this node's session(s) to the udm (a node-down fault)."""
        for peer in self._peers(family):
            self._gobgp("neighbor", peer, "disable")

    def start_session(self, family: str | None = None) -> None:
        for peer in self._peers(family):
            self._gobgp("neighbor", peer, "enable")

    def _peers(self, family: str | None) -> list[str]:
        families = FAMILIES if family is None else (family,)
        for fam in families:
            _check_family(fam)
        router = self.spec.router
        return [str(router.ipv4.ip if fam == "ipv4" else router.ipv6.ip) for fam in families]


def _is_local(path: dict[str, object]) -> bool:
    # gobgp marks paths it originated itself with no source/neighbor address
    source = str(path.get("source-id", "") or "")
    neighbor = str(path.get("neighbor-ip", "") or "")
    return source in ("", "<nil>", "0.0.0.0") and neighbor in ("", "<nil>", "0.0.0.0", "::")


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise NetnsError(f"address family must be one of {FAMILIES}; got {family!r}")
