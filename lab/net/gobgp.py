"""Node BGP speakers: one gobgpd per node namespace, driven with the ``gobgp`` CLI.

    speaker = GoBgpSpeaker(spec, "mini01")
    speaker.announce("172.29.52.200/32", "ipv4"); speaker.announced()  # {("172.29.52.200/32", "ipv4")}

gobgpd's TOML configuration (https://github.com/osrg/gobgp/blob/master/docs/sources/configuration.md)
is rendered from the spec: local ASN and router-id from the node, fast connect-retry, and the
sessions the spec's topology has (``NetworkSpec.sessions_of``): the owner's one session to the
udm's IPv4 address with both AFI-SAFIs (ipv4-unicast and ipv6-unicast, as Cilium configures a
CiliumBGPPeerConfig listing both families on one IPv4 peer), or one session per family. The gRPC
API listens on 127.0.0.1 inside the node's netns only.

Next hops are what a real Cilium node sends. Cilium originates every service path with an
*unspecified* next hop and lets GoBGP fill in the session's local address: cilium/cilium
``pkg/bgpv1/types/utils.go`` ``NewPathForPrefix`` (called per family by the BGPv2 service
reconciler, ``pkg/bgpv1/manager/reconcilerv2``) builds IPv4 paths with NEXT_HOP ``0.0.0.0`` and
IPv6 paths with MP_REACH_NLRI next hop ``::``, its doc comment saying the BGP implementation picks
the real one (introduced by cilium/cilium#19402; still so in the 1.17-era tree). GoBGP, for an eBGP peer,
replaces an unspecified next hop of a local path by the session's local address (osrg/gobgp v3.37.0,
the version Cilium's go.mod pins, ``internal/pkg/table/path.go`` L243-249 ``UpdatePathAttrs``,
``SetNexthop`` L465-481; the same in v3.10.0, the lab's gobgpd, L219-225 and L441-457). Over an IPv4
session that local address is IPv4, and an IPv6 MP_REACH_NLRI keeps it in its 16-byte form
(``pkg/packet/bgp/bgp.go`` v3.37.0 L11659-11662: ``To4()`` only when the AFI is not IPv6; serialised
as 16 bytes, L11566-11567 and L11593-11600; v4.8.0 L13086 says so in a comment), so the router
receives the IPv4-mapped next hop ``::ffff:172.29.51.11`` for every IPv6 service address, with no
link-local next hop. cilium/cilium#37831 reports exactly this on Cilium 1.17.x. The lab's speakers
announce with the same unspecified next hops and the same gobgpd logic fills them in.
"""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path
from typing import Literal, Protocol

from lab.net import netns
from lab.net.netns import NetnsError
from lab.net.spec import NetworkSpec, Session

Family = Literal["ipv4", "ipv6"]
API_PORT = 50051
FAMILIES: tuple[str, ...] = ("ipv4", "ipv6")
#: the unspecified next hop Cilium gives every path it originates (GoBGP fills in the session's local address)
UNSPECIFIED_NEXT_HOP = {"ipv4": "0.0.0.0", "ipv6": "::"}
AFI_SAFI = {"ipv4": "ipv4-unicast", "ipv6": "ipv6-unicast"}
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
    for session in spec.sessions_of(node_name):
        lines += [
            "", "[[neighbors]]",
            "  [neighbors.config]",
            f'    neighbor-address = "{session.router_address}"',
            f"    peer-as = {router.asn}",
            "  [neighbors.timers.config]",
            f"    connect-retry = {router.connect_retry_s}",
            f"    hold-time = {router.hold_s}",
            f"    keepalive-interval = {router.keepalive_s}",
            "  [neighbors.transport.config]",
            f'    local-address = "{session.node_address}"',
        ]
        for family in session.families:
            lines += [
                "  [[neighbors.afi-safis]]",
                "    [neighbors.afi-safis.config]",
                f'      afi-safi-name = "{AFI_SAFI[family]}"',
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

    def announce(self, prefix: str, family: str) -> None:
        """Originate ``prefix`` as Cilium does: origin IGP, next hop unspecified (see the module doc)."""
        _check_family(family)
        self._gobgp("global", "rib", "add", "-a", family, prefix,
                    "origin", "igp", "nexthop", UNSPECIFIED_NEXT_HOP[family])

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
        """Administratively shut this node's session(s) to the udm (a node-down fault); ``family``
        picks the session that carries it (on the owner's topology the one IPv4 session: both go)."""
        for session in self._sessions(family):
            self._gobgp("neighbor", session.router_address, "disable")

    def start_session(self, family: str | None = None) -> None:
        for session in self._sessions(family):
            self._gobgp("neighbor", session.router_address, "enable")

    def set_families(self, family: str, families: tuple[str, ...]) -> None:
        """Reconfigure the AFI-SAFIs of the session that carries ``family`` (``gobgp neighbor update``
        resends OPEN, so the session re-establishes offering only ``families``); a CiliumBGPPeerConfig
        that leaves a family out does the same to a real node."""
        for fam in families:
            _check_family(fam)
        if not families:
            raise NetnsError(f"a session of {self.node.name} needs at least one family")
        (session,) = self._sessions(family)
        self._gobgp("neighbor", "update", session.router_address,
                    "family", ",".join(AFI_SAFI[f] for f in families))

    def _sessions(self, family: str | None) -> list[Session]:
        if family is not None:
            _check_family(family)
        return [s for s in self.spec.sessions_of(self.node.name) if family is None or family in s.families]


def _is_local(path: dict[str, object]) -> bool:
    # gobgp marks paths it originated itself with no source/neighbor address
    source = str(path.get("source-id", "") or "")
    neighbor = str(path.get("neighbor-ip", "") or "")
    return source in ("", "<nil>", "0.0.0.0") and neighbor in ("", "<nil>", "0.0.0.0", "::")


def _check_family(family: str) -> None:
    if family not in FAMILIES:
        raise NetnsError(f"address family must be one of {FAMILIES}; got {family!r}")
