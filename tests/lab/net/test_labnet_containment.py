"""Containment: the lab reaches nothing outside itself and fails fast where nothing is.

    pytest tests/lab/net/test_labnet_containment.py
"""

from __future__ import annotations

import json
import socket
import subprocess
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from lab.net import LabNetwork

pytestmark = pytest.mark.lab

# (address, acceptable errors): outside addresses have no route in the client at all;
# unannounced LB addresses are refused by the udm with ICMP unreachable
IPV6_RECVERR = 25  # linux/in6.h; not exported by Python's socket module
FAST_FAILURES = [
    ("192.0.2.1", {"Network is unreachable"}),
    ("2001:db8::1", {"Network is unreachable"}),
    ("172.29.52.250", {"Network is unreachable", "No route to host"}),
]


@pytest.mark.parametrize(("host", "errors"), FAST_FAILURES)
def test_unrouted_addresses_fail_at_once(
    client_connect: Callable[[str, int], Any], host: str, errors: set[str]
) -> None:
    outcome = client_connect(host, 80)
    assert outcome.error in errors, f"connect to {host} from client: expected {errors}, saw {outcome}"
    assert outcome.seconds < 0.5, f"connect to {host} took {outcome.seconds:.3f}s; expected < 0.5s"


def test_unannounced_ipv6_lb_address_gets_icmp_unreachable_at_once(labnet: LabNetwork) -> None:
    """The udm answers with ICMPv6 no-route at once (seen on a UDP socket with RECVERR).

    A TCP connect() sees it only at the first SYN retransmit (~1 s): on this zero-latency veth
    path the ICMPv6 arrives while connect() still owns the socket and Linux keeps it as a soft
    error (TcpExtLockDroppedIcmps; net/ipv6/tcp_ipv6.c tcp_v6_err).
    """
    seen: list[tuple[str, float]] = []

    def probe() -> None:
        labnet.enter("client")
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)
            sock.settimeout(0.5)
            start = time.monotonic()
            sock.connect(("fd47:25e1:2f96:52::250", 9))
            sock.send(b"probe")
            try:
                sock.recv(64)
                seen.append(("answered", time.monotonic() - start))
            except OSError as exc:
                seen.append((type(exc).__name__ if exc.errno is None else
                             str(exc.strerror), time.monotonic() - start))

    worker = threading.Thread(target=probe)
    worker.start()
    worker.join(5)
    assert seen and seen[0][0] == "Network is unreachable", f"UDP probe saw {seen}"
    assert seen[0][1] < 0.5, f"ICMPv6 unreachable took {seen[0][1]:.3f}s"


def test_tcp_to_unannounced_ipv6_lb_address_is_unreachable_not_a_timeout(
    client_connect: Callable[[str, int], Any]
) -> None:
    outcome = client_connect("fd47:25e1:2f96:52::250", 80)
    assert outcome.error == "Network is unreachable", outcome
    assert outcome.seconds < 1.6, outcome


def test_no_lab_veth_has_its_peer_in_the_root_namespace(labnet: LabNetwork) -> None:
    lab_names = set(labnet.status()["namespaces"])
    for ns in sorted(lab_names):
        ids = json.loads(subprocess.run(["ip", "-n", ns, "-j", "netns", "list-id"],
                                        capture_output=True, text=True, check=True).stdout or "[]")
        id_to_name = {entry["nsid"]: entry.get("name") for entry in ids}
        links = json.loads(subprocess.run(["ip", "-n", ns, "-j", "-d", "link", "show"],
                                          capture_output=True, text=True, check=True).stdout)
        for link in links:
            if "link_netnsid" not in link:
                continue
            peer_ns = id_to_name.get(link["link_netnsid"])
            assert peer_ns in lab_names, (
                f"{ns}: interface {link['ifname']} has its peer in netns "
                f"{peer_ns or 'id ' + str(link['link_netnsid'])}; expected a lab namespace")


def test_no_default_route_anywhere_in_the_lab(labnet: LabNetwork) -> None:
    for ns in labnet.status()["namespaces"]:
        for family in ("-4", "-6"):
            out = subprocess.run(["ip", "-n", ns, family, "route", "show", "default"],
                                 capture_output=True, text=True, check=True).stdout
            assert not out.strip(), f"{ns} has a default route ({family}): {out.strip()}"
