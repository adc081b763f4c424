"""external-dns stand-in + knot: records follow Ingresses; updates need the lab's TSIG key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import dns.message
import dns.query
import dns.rcode
import dns.update
import pytest
from builders import namespace, outpost_ingress

from harness.core.wait import wait_until
from harness.probes.dns import DnsProbe
from lab.edge import EdgeLab

pytestmark = pytest.mark.lab

HOST = "dnstest"


@pytest.fixture(scope="module")
def outpost_ns(edge_env: Any) -> str:
    edge, _, store = edge_env
    if store.get("v1", "Namespace", None, edge.spec.outpost_namespace) is None:
        store.create(namespace(edge.spec.outpost_namespace))
    return str(edge.spec.outpost_namespace)


@pytest.fixture
def dns_ingress(edge: EdgeLab, store: Any, outpost_ns: str) -> Iterator[str]:
    host = f"{HOST}.{edge.spec.zone}"
    store.create(outpost_ingress(edge.spec, (host,), name="dns-test", legacy_class=False))
    yield host
    if store.get("networking.k8s.io/v1", "Ingress", outpost_ns, "dns-test") is not None:
        store.delete("networking.k8s.io/v1", "Ingress", outpost_ns, "dns-test")


def _txt(in_client: Callable[..., Any], server: str, name: str) -> list[str]:
    reply = in_client(lambda: dns.query.udp(dns.message.make_query(name, "TXT"), server, timeout=2))
    return [r.to_text() for rrset in reply.answer for r in rrset]


@pytest.mark.parametrize("family", ["ipv4", "ipv6"])
def test_records_follow_the_ingress(edge: EdgeLab, store: Any, dns_ingress: str, family: str,
                                    in_client: Callable[..., Any], dns_probe: DnsProbe) -> None:
    expected = (edge.spec.ingress_address(family),)

    def published() -> str | None:
        answer = in_client(lambda: dns_probe.addresses(dns_ingress, family))
        return None if answer.addresses == expected else f"{answer.describe()}; expected {expected}"

    wait_until(published, timeout=5, what=f"{family} record of {dns_ingress} in knot")
    store.delete("networking.k8s.io/v1", "Ingress", edge.spec.outpost_namespace, "dns-test")

    def removed() -> str | None:
        answer = in_client(lambda: dns_probe.addresses(dns_ingress, family))
        return None if answer.rcode == "NXDOMAIN" else f"still there: {answer.describe()}"

    wait_until(removed, timeout=5, what=f"{family} record of {dns_ingress} removed from knot")


def test_txt_ownership_and_ingress_status(edge: EdgeLab, store: Any, dns_ingress: str,
                                          in_client: Callable[..., Any]) -> None:
    edge.wait_synced(5)
    server = edge.spec.dns_server("ipv4")
    owner = (f'"heritage=external-dns,external-dns/owner={edge.spec.txt_owner_id},'
             f'external-dns/resource=ingress/{edge.spec.outpost_namespace}/dns-test"')
    assert _txt(in_client, server, f"a-{dns_ingress}") == [owner]
    assert _txt(in_client, server, f"aaaa-{dns_ingress}") == [owner]
    assert _txt(in_client, server, dns_ingress) == [owner]       # legacy format, A only
    ing = store.get("networking.k8s.io/v1", "Ingress", edge.spec.outpost_namespace, "dns-test")
    assert ing["status"]["loadBalancer"]["ingress"] == [
        {"ip": ip} for _, ip in edge.spec.ingress_addresses]
    secret = store.get("v1", "Secret", edge.spec.outpost_namespace, "dns-test-tls")
    assert secret["type"] == "kubernetes.io/tls" and set(secret["data"]) >= {"tls.crt", "tls.key"}


def test_other_class_is_ignored(edge: EdgeLab, store: Any, outpost_ns: str,
                                in_client: Callable[..., Any], dns_probe: DnsProbe) -> None:
    host = f"otherclass.{edge.spec.zone}"
    store.create(outpost_ingress(edge.spec, (host,), name="other-class", class_name="nginx-public"))
    try:
        edge.wait_synced(5)
        answer = in_client(lambda: dns_probe.addresses(host, "ipv4"))
        assert answer.rcode == "NXDOMAIN", f"class nginx-public must be ignored: {answer.describe()}"
    finally:
        store.delete("networking.k8s.io/v1", "Ingress", outpost_ns, "other-class")


def test_unsigned_update_is_refused(edge: EdgeLab, in_client: Callable[..., Any]) -> None:
    update = dns.update.UpdateMessage(edge.spec.zone)
    update.replace("intruder", 60, "A", "192.0.2.1")
    server = edge.spec.dns_server("ipv4")
    reply = in_client(lambda: dns.query.tcp(update, server, timeout=2))
    assert reply.rcode() in (dns.rcode.REFUSED, dns.rcode.NOTAUTH), \
        f"unsigned UPDATE at {server}: expected REFUSED/NOTAUTH, got {dns.rcode.to_text(reply.rcode())}"
    assert edge.tsig_key_path.stat().st_mode & 0o077 == 0, "TSIG key file must be owner-only"
