"""The external-dns stand-in: Ingress hosts → A/AAAA + TXT ownership records via RFC 2136.

    publisher = DnsPublisher(knot, spec); publisher.sync(desired_records(views, spec))

Semantics followed (kubernetes-sigs/external-dns):
- targets are the Ingress's ``status.loadBalancer.ingress`` IPs (docs/sources/ingress.md),
  which ingress-nginx fills from its ``--publish-service`` Service;
- hosts are rule hosts plus the ``external-dns.alpha.kubernetes.io/hostname`` annotation,
  only those inside the managed zone (``--domain-filter``);
- the TXT registry (docs/registry/txt.md) marks each record as owned with
  ``heritage=external-dns,external-dns/owner=<owner>,external-dns/resource=ingress/<ns>/<name>``
  at ``<type>-<host>`` (new format: ``a-``, ``aaaa-``) and, for A records, also at ``<host>``
  (legacy format, kept for downgrades);
- the rfc2136 provider sends TSIG-signed UPDATEs (docs/tutorials/rfc2136.md).
Records are removed when no Ingress asks for them any more; only records this publisher
wrote are ever deleted.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.name
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update

from lab.edge.ingresses import IngressView
from lab.edge.knot import KnotServer
from lab.edge.spec import EdgeSpec

RecordKey = tuple[str, str]          # (owner name without trailing dot, rdtype)


@dataclass(frozen=True)
class RecordSet:
    ttl: int
    values: tuple[str, ...]          # rdata text, sorted


class DnsUpdateError(RuntimeError):
    """knot refused or failed an UPDATE; the message names the server and rcode."""


def ownership_text(owner: str, view: IngressView) -> str:
    return f'"heritage=external-dns,external-dns/owner={owner},' \
           f'external-dns/resource=ingress/{view.namespace}/{view.name}"'


def desired_records(views: list[IngressView], spec: EdgeSpec) -> dict[RecordKey, RecordSet]:
    """What external-dns would publish for these (already class-filtered) Ingresses."""
    wanted: dict[RecordKey, RecordSet] = {}
    for view in sorted(views, key=lambda v: v.key):
        by_type = _targets(view.status_ips)
        for host in view.dns_hosts():
            if not spec.in_zone(host):
                continue
            owner = ownership_text(spec.txt_owner_id, view)
            for rdtype, ips in by_type.items():
                if (host, rdtype) in wanted:   # first Ingress (by name) owns the record
                    continue
                wanted[(host, rdtype)] = RecordSet(view.ttl, ips)
                wanted[(f"{rdtype.lower()}-{host}", "TXT")] = RecordSet(view.ttl, (owner,))
                if rdtype == "A":
                    wanted[(host, "TXT")] = RecordSet(view.ttl, (owner,))
    return wanted


def _targets(ips: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    found: dict[str, set[str]] = {}
    for ip in ips:
        rdtype = "A" if ipaddress.ip_address(ip).version == 4 else "AAAA"
        found.setdefault(rdtype, set()).add(ip)
    return {t: tuple(sorted(v)) for t, v in found.items()}


class DnsPublisher:
    """Keeps knot's zone equal to the desired records, one TSIG-signed UPDATE per change."""

    def __init__(self, knot: KnotServer, spec: EdgeSpec) -> None:
        self.knot, self.spec = knot, spec
        self.published: dict[RecordKey, RecordSet] = {}
        self._keyring = dns.tsigkeyring.from_text({knot.key.name: knot.key.secret})

    def sync(self, wanted: dict[RecordKey, RecordSet]) -> bool:
        """Send what changed; True when an UPDATE was sent."""
        gone = [k for k in self.published if k not in wanted]
        changed = {k: v for k, v in wanted.items() if self.published.get(k) != v}
        if not gone and not changed:
            return False
        update = dns.update.UpdateMessage(self.spec.zone, keyring=self._keyring,
                                          keyname=dns.name.from_text(self.knot.key.name),
                                          keyalgorithm=dns.tsig.HMAC_SHA256)
        for name, rdtype in gone:
            update.delete(self._relative(name), rdtype)
        for (name, rdtype), rset in changed.items():
            update.replace(self._relative(name), rset.ttl, rdtype, *rset.values)
        self._send(update)
        self.published = dict(wanted)
        return True

    def _relative(self, host: str) -> dns.name.Name:
        return dns.name.from_text(host).relativize(dns.name.from_text(self.spec.zone))

    def _send(self, update: dns.update.UpdateMessage) -> None:
        server = self.spec.dns_server("ipv4")
        with self.knot.connect("ipv4") as sock:
            answer = dns.query.tcp(update, server, timeout=3.0, sock=sock)
        if answer.rcode() != dns.rcode.NOERROR:
            raise DnsUpdateError(f"UPDATE of zone {self.spec.zone} at {server} (knot): "
                                 f"expected NOERROR, got {dns.rcode.to_text(answer.rcode())}")
