"""Packet probes with scapy: TCP SYN along the routed path, ICMP / ICMPv6 echo.

    answer = tcp_syn("172.29.52.200", 443, timeout=2)      # SynAnswer(state="open", hops=(...))
    echo = ping("fd47:25e1:2f96:51::11", timeout=2)        # EchoAnswer(replied=True, ...)

The only module importing scapy. scapy reads the routing table of the namespace it is used in,
so every probe resynchronises its routes first (the harness may have entered the lab's client
namespace after import). Raw sockets need root.
"""

from __future__ import annotations

import ipaddress
import logging
import random
from dataclasses import dataclass
from typing import Any

from harness.core.errors import ProbeError

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)


def _scapy() -> Any:
    """scapy's pieces the probes use, imported late (routes must be read in the right namespace) and
    by layer: ``scapy.all`` would load every protocol scapy knows (~1 s) for five names."""
    from types import SimpleNamespace

    from scapy.config import conf
    from scapy.layers.inet import ICMP, IP, TCP
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
    from scapy.sendrecv import sr1

    conf.verb = 0
    conf.route.resync()
    conf.route6.resync()
    return SimpleNamespace(conf=conf, IP=IP, IPv6=IPv6, TCP=TCP, ICMP=ICMP, ICMPv6EchoRequest=ICMPv6EchoRequest,
                           ICMPv6EchoReply=ICMPv6EchoReply, sr1=sr1)


def _ip_layer(s: Any, dst: str, ttl: int = 64) -> Any:
    return s.IP(dst=dst, ttl=ttl) if ipaddress.ip_address(dst).version == 4 else s.IPv6(dst=dst, hlim=ttl)


@dataclass(frozen=True)
class SynAnswer:
    target: str
    port: int
    state: str                 # "open" (SYN-ACK), "closed" (RST), "unreachable" (ICMP), "silent"
    responder: str
    first_hop: str             # who answered a TTL/hop-limit 1 probe: the router on the path

    def describe(self) -> str:
        return (f"TCP SYN to {self.target}:{self.port}: {self.state}"
                f"{' from ' + self.responder if self.responder else ''}; first hop {self.first_hop or 'silent'}")


def tcp_syn(dst: str, port: int, timeout: float) -> SynAnswer:
    try:
        s = _scapy()
        sport = random.randint(40000, 60000)
        hop = s.sr1(_ip_layer(s, dst, ttl=1) / s.TCP(sport=sport, dport=port, flags="S"), timeout=timeout)
        reply = s.sr1(_ip_layer(s, dst) / s.TCP(sport=sport + 1, dport=port, flags="S"), timeout=timeout)
    except OSError as exc:
        raise ProbeError(f"TCP SYN probe to {dst}:{port} could not be sent: {exc.strerror or exc}") from exc
    first_hop = str(hop[0].src) if hop is not None else ""
    if reply is None:
        return SynAnswer(dst, port, "silent", "", first_hop)
    src = str(reply[0].src)
    if reply.haslayer(s.TCP):
        flags = str(reply[s.TCP].flags)
        state = "open" if "S" in flags and "A" in flags else "closed" if "R" in flags else f"flags {flags}"
        return SynAnswer(dst, port, state, src, first_hop)
    return SynAnswer(dst, port, "unreachable", src, first_hop)


@dataclass(frozen=True)
class EchoAnswer:
    target: str
    replied: bool
    responder: str
    kind: str                  # "echo-reply", "unreachable", "silent"


def ping(dst: str, timeout: float) -> EchoAnswer:
    try:
        s = _scapy()
        v4 = ipaddress.ip_address(dst).version == 4
        probe = s.IP(dst=dst) / s.ICMP() if v4 else s.IPv6(dst=dst) / s.ICMPv6EchoRequest()
        reply = s.sr1(probe, timeout=timeout)
    except OSError as exc:
        raise ProbeError(f"echo request to {dst} could not be sent: {exc.strerror or exc}") from exc
    if reply is None:
        return EchoAnswer(dst, False, "", "silent")
    is_reply = reply.haslayer(s.ICMP) and reply[s.ICMP].type == 0 if v4 else reply.haslayer(s.ICMPv6EchoReply)
    return EchoAnswer(dst, bool(is_reply), str(reply[0].src), "echo-reply" if is_reply else "unreachable")
