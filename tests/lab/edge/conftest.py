"""Fixtures for the edge lab tests: a lab network + API store + EdgeLab, and client-side probes.

    def test_x(edge: EdgeLab, in_client): chain = in_client(lambda: probe.fetch_chain(url, "ipv4"))

Needs root and knotd, nginx, FRR, gobgpd; otherwise the tests are skipped with the reason.
The ingress LB addresses are announced by mini01's BGP speaker (the udm routes them there)
and put on mini01's lo, as the lead's LB wiring does in the full lab.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from harness.core.wait import wait_until
from harness.model.profile import load_profile
from harness.probes.dns import DnsProbe
from harness.probes.http import HttpProbe
from lab.edge import EdgeLab, EdgeSpec
from lab.kube import KubeApiServer
from lab.net import LabNetwork, NetworkSpec
from tests.labmark import require_lab

T = TypeVar("T")
PROFILE = Path(__file__).resolve().parents[3] / "fixtures" / "profiles" / "home-ops.yaml"
NEEDED = ("ip", "knotd", "nginx", "gobgpd", "vtysh", "nsenter")


@pytest.fixture(scope="session")
def edge_env(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EdgeLab, LabNetwork, Any]]:
    require_lab(request, "edge lab tests need root (network namespaces)", NEEDED)
    profile = load_profile(PROFILE)
    # per-family sessions: IPv6 LB addresses are reachable only when IPv6 travels on IPv6 sessions
    # (over an IPv4 session Cilium's next hop is IPv4-mapped and the udm cannot install it)
    base = NetworkSpec.home_ops("e" + uuid.uuid4().hex[:6], sessions="per-family")
    lb6 = ipaddress.IPv6Network(str(profile.networks.load_balancer.get("ipv6")))
    router = dataclasses.replace(base.router, lb_ranges_v6=(*base.router.lb_ranges_v6, lb6))
    net = LabNetwork(dataclasses.replace(base, router=router), tmp_path_factory.mktemp("edge") / "net")
    root = tmp_path_factory.mktemp("edge-state")
    kube = KubeApiServer(root / "kube")
    net.up()
    kube.start()
    spec = EdgeSpec.from_profile(profile, net.spec)
    edge = EdgeLab(kube.store, net, spec, root / "edge")
    try:
        for family, ip in spec.ingress_addresses:
            net.add_address("mini01", ip)
            net.speaker("mini01").announce(f"{ip}/{32 if family == 'ipv4' else 128}", family)
        edge.start()
        wait_until(lambda: _unreachable(net, spec), timeout=10, what="ingress LB addresses from client")
        yield edge, net, kube.store
    finally:
        edge.stop()
        kube.stop()
        net.down()


def _unreachable(net: LabNetwork, spec: EdgeSpec) -> str | None:
    """None once the client reaches nginx on every ingress address (BGP route at the udm)."""
    failed: list[str] = []

    def probe() -> None:
        net.enter("client")
        for _, ip in spec.ingress_addresses:
            try:
                socket.create_connection((ip, 443), timeout=1).close()
            except OSError as exc:
                failed.append(f"{ip}:443 {exc}")

    worker = threading.Thread(target=probe, name="client-reach")
    worker.start()
    worker.join(timeout=5)
    return "; ".join(failed) or None


@pytest.fixture
def edge(edge_env: tuple[EdgeLab, LabNetwork, Any]) -> Iterator[EdgeLab]:
    yield edge_env[0]
    edge_env[0].set_fault(None)


@pytest.fixture
def store(edge_env: tuple[EdgeLab, LabNetwork, Any]) -> Any:
    return edge_env[2]


@pytest.fixture
def in_client(edge_env: tuple[EdgeLab, LabNetwork, Any]) -> Callable[[Callable[[], T]], T]:
    """Run a function on a thread that has entered the client namespace; return its result."""
    net = edge_env[1]

    def run(fn: Callable[[], T]) -> T:
        out: list[T] = []
        err: list[BaseException] = []

        def body() -> None:
            try:
                net.enter("client")
                out.append(fn())
            except BaseException as exc:
                err.append(exc)

        worker = threading.Thread(target=body, name="client-probe")
        worker.start()
        worker.join(timeout=30)
        if err:
            raise err[0]
        assert out, "client probe thread returned nothing within 30s"
        return out[0]

    return run


@pytest.fixture
def dns_probe(edge_env: tuple[EdgeLab, LabNetwork, Any]) -> DnsProbe:
    return DnsProbe(dict(edge_env[0].spec.dns_servers), timeout=2.0)


@pytest.fixture
def http_probe(edge: EdgeLab, dns_probe: DnsProbe) -> HttpProbe:
    return HttpProbe(lambda host, fam: dns_probe.addresses(host, fam).addresses,
                     ca_cert=edge.ca_cert_path, timeout=3.0)
