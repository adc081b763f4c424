"""DNS lookups against explicit servers (never the system resolver): the only dnspython user.

    probe = DnsProbe({"ipv4": "172.29.51.1", "ipv6": "fd47:25e1:2f96:51::1"}, timeout=3)
    probe.addresses("longhorn.k8s.home.geoffdavis.com", "ipv6").addresses   # AAAA via the v6 server

``family`` picks the record type (ipv4 → A, ipv6 → AAAA) and, by default, the server of
that family; ``via=`` asks another family's server. NXDOMAIN and empty answers are
answers (``DnsAnswer.rcode`` / empty ``addresses``); timeouts, refused connections and
malformed replies raise :class:`DnsError` naming the server and host.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from harness.core.errors import ConfigError, DnsError
from harness.core.netaddr import Family

RRTYPES = {"ipv4": "A", "ipv6": "AAAA"}


@dataclass(frozen=True)
class DnsAnswer:
    host: str
    rrtype: str
    server: str
    addresses: tuple[str, ...]
    rcode: str                      # "NOERROR", "NXDOMAIN", "REFUSED", ...
    ttl: int | None                 # of the answer RRset; None when there is none

    @property
    def is_empty(self) -> bool:
        return not self.addresses

    def describe(self) -> str:
        found = ", ".join(self.addresses) or "no addresses"
        return f"{self.rrtype} {self.host} at {self.server}: {self.rcode}, {found}"


class DnsProbe:
    def __init__(self, servers: Mapping[str, str], timeout: float = 3.0) -> None:
        unknown = set(servers) - set(RRTYPES)
        if unknown or not servers:
            raise ConfigError(f"DnsProbe servers must be keyed by {sorted(RRTYPES)}; got {dict(servers)}")
        self.servers, self.timeout = dict(servers), timeout

    def server(self, family: Family) -> str:
        if family not in self.servers:
            raise DnsError(f"no DNS server for {family} configured (have {sorted(self.servers)})")
        return self.servers[family]

    def addresses(self, host: str, family: Family, *, via: Family | None = None,
                  port: int = 53) -> DnsAnswer:
        """A (ipv4) or AAAA (ipv6) records of ``host`` from the server of family ``via or family``."""
        if family not in RRTYPES:
            raise ConfigError(f"family must be one of {sorted(RRTYPES)}; got {family!r}")
        rrtype, server = RRTYPES[family], self.server(via or family)
        reply = self._ask(dns.message.make_query(host, rrtype), server, port, host, rrtype)
        wanted = dns.rdatatype.from_text(rrtype)
        rrsets = [r for r in reply.answer if r.rdtype == wanted]
        return DnsAnswer(host=host.rstrip("."), rrtype=rrtype, server=server,
                         addresses=tuple(sorted(r.address for s in rrsets for r in s)),
                         rcode=dns.rcode.to_text(reply.rcode()),
                         ttl=min((s.ttl for s in rrsets), default=None))

    def _ask(self, query: dns.message.Message, server: str, port: int, host: str,
             rrtype: str) -> dns.message.Message:
        try:
            reply = dns.query.udp(query, server, timeout=self.timeout, port=port)
            if reply.flags & dns.flags.TC:       # truncated: retry over TCP (RFC 7766)
                reply = dns.query.tcp(query, server, timeout=self.timeout, port=port)
        except dns.exception.Timeout as exc:
            raise DnsError(f"DNS {rrtype} {host} at {server}:{port}: no answer within "
                           f"{self.timeout:g}s") from exc
        except (OSError, dns.exception.DNSException) as exc:
            raise DnsError(f"DNS {rrtype} {host} at {server}:{port}: {type(exc).__name__}: {exc}") from exc
        return reply
