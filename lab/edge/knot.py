"""Knot DNS on the udm: the zone external-dns writes to, updatable only with the lab's TSIG key.

    knot = KnotServer(net, spec, state_dir / "knot"); knot.start()   # answers within a second
    knot.key.secret      # base64 hmac-sha256 secret; knot.key_path holds it (mode 0600)

Config, zone file, journal and control socket all live in the state dir. Dynamic updates
are allowed by an ACL that requires the TSIG key (https://www.knot-dns.cz/docs/3.2/html/
configuration.html#access-control-list-acl); without it knot answers REFUSED/NOTAUTH.
"""

from __future__ import annotations

import base64
import secrets
import socket
from dataclasses import dataclass, field
from pathlib import Path

import dns.message
import dns.query
import dns.rcode

from lab.edge.ca import write_private
from lab.edge.nsock import family_of, socket_in
from lab.edge.spec import EdgeSpec
from lab.net import LabNetwork
from lab.net.wait import wait_for

START_TIMEOUT_S = 5.0
SOA_TIMERS = "1 60 60 3600 60"   # serial refresh retry expire minimum


@dataclass(frozen=True)
class TsigKey:
    name: str
    algorithm: str = "hmac-sha256"
    secret: str = field(default="", repr=False)

    @classmethod
    def generate(cls, name: str) -> TsigKey:
        return cls(name, secret=base64.b64encode(secrets.token_bytes(32)).decode())


def render_key(key: TsigKey) -> str:
    return f"key:\n  - id: {key.name}\n    algorithm: {key.algorithm}\n    secret: {key.secret}\n"


def render_conf(spec: EdgeSpec, directory: Path, key_path: Path) -> str:
    listen = ", ".join(f"{ip}@53" for _, ip in spec.dns_servers)
    return "\n".join([
        "server:",
        f'  rundir: "{directory}"',
        f"  listen: [ {listen} ]",
        "database:",
        f'  storage: "{directory / "db"}"',
        f'include: "{key_path}"',
        "acl:",
        "  - id: external-dns-update",
        "    key: lab-external-dns",
        "    action: update",
        "template:",
        "  - id: default",
        f'    storage: "{directory}"',
        "    zonefile-sync: -1",
        "    zonefile-load: whole",
        "    journal-content: none",
        "zone:",
        f"  - domain: {spec.zone}",
        f'    file: "{directory / "zone.db"}"',
        "    acl: external-dns-update",
        "log:",
        "  - target: stderr",
        "    any: info",
        "",
    ])


def render_zone(spec: EdgeSpec) -> str:
    """SOA, NS (the udm) and Authentik's own host, which no lab Ingress publishes."""
    origin = spec.zone + "."
    lines = [f"$ORIGIN {origin}", "$TTL 60",
             f"@ SOA ns.{origin} hostmaster.{origin} {SOA_TIMERS}", f"@ NS ns.{origin}"]
    for family, ip in spec.dns_servers:
        lines.append(f"ns {'A' if family == 'ipv4' else 'AAAA'} {ip}")
    auth = spec.authentik_host.removesuffix("." + spec.zone)
    for family, ip in spec.ingress_addresses:
        lines.append(f"{auth} {'A' if family == 'ipv4' else 'AAAA'} {ip}")
    return "\n".join(lines) + "\n"


class KnotServer:
    def __init__(self, net: LabNetwork, spec: EdgeSpec, directory: Path) -> None:
        self.net, self.spec, self.dir = net, spec, directory
        self.key = TsigKey.generate("lab-external-dns")
        self.key_path = directory / "tsig.key"
        self.pid: int | None = None

    def start(self) -> None:
        (self.dir / "db").mkdir(parents=True, exist_ok=True)
        write_private(self.key_path, render_key(self.key).encode())
        (self.dir / "zone.db").write_text(render_zone(self.spec))
        conf = self.dir / "knot.conf"
        conf.write_text(render_conf(self.spec, self.dir, self.key_path))
        self.pid = self.net.spawn("udm", ["knotd", "-c", str(conf)], name="knotd")
        wait_for(self._not_answering, timeout=START_TIMEOUT_S,
                 what=f"knotd serving {self.spec.zone} in {self.net.netns_name('udm')}")

    def connect(self, family: str) -> socket.socket:
        """A non-blocking TCP socket from inside the udm, connected to knot's ``family`` address."""
        ip = self.spec.dns_server(family)
        sock = socket_in(self.net.netns_name("udm"), family_of(ip), socket.SOCK_STREAM)
        sock.settimeout(2.0)
        try:
            sock.connect((ip, 53))
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        return sock

    def _not_answering(self) -> str | None:
        if self.pid is not None and not Path(f"/proc/{self.pid}").exists():
            raise RuntimeError(f"knotd (pid {self.pid}) exited; see {self.net.state_dir}/logs/knotd.log")
        query = dns.message.make_query(self.spec.zone, "SOA")
        try:
            with self.connect("ipv4") as sock:
                answer = dns.query.tcp(query, self.spec.dns_server("ipv4"), timeout=1.0, sock=sock)
        except (OSError, dns.exception.DNSException) as exc:
            return f"SOA query failed: {exc}"
        if answer.rcode() != dns.rcode.NOERROR:
            return f"SOA query answered {dns.rcode.to_text(answer.rcode())}"
        return None
