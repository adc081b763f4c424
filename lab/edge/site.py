"""From the Ingresses of our class to the nginx config: hosts, backends, certificates on disk.

    config = build_config(store, spec, views, files)      # an EdgeConfig for NginxFleet.apply

``EdgeFiles`` knows where certificates and the stand-ins' sockets live; TLS Secrets are
copied to 0600 files only when their content changed. Backends that are the outpost Service
(``authentik-proxy:9000`` in the outpost namespace) go to the outpost stand-in; every other
Service goes to the generic app stand-in, told which Service it plays by ``X-Lab-Backend``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.edge.ca import IssuedPair, write_private
from lab.edge.ingresses import Backend, IngressView
from lab.edge.kube_side import tls_pair
from lab.edge.nginx_conf import CertFiles, EdgeConfig, Location, Server
from lab.edge.spec import EdgeSpec
from lab.store_api import Store


@dataclass(frozen=True)
class EdgeFiles:
    certs: Path
    outpost_sock: Path
    authentik_sock: Path
    app_sock: Path

    def write_pair(self, stem: str, cert: bytes, key: bytes) -> CertFiles:
        files = CertFiles(self.certs / f"{stem}.crt", self.certs / f"{stem}.key")
        if not files.cert.exists() or files.cert.read_bytes() != cert:
            write_private(files.key, key)
            files.cert.write_bytes(cert)
        return files

    def write_issued(self, stem: str, pair: IssuedPair) -> CertFiles:
        return self.write_pair(stem, pair.cert_pem, pair.key_pem)


@dataclass(frozen=True)
class StaticCerts:
    fake: CertFiles               # ingress-nginx's self-signed default certificate
    authentik: CertFiles          # Authentik's own host
    wrong_name: CertFiles         # the "wrong-cert-name" fault: valid chain, other name


def is_outpost(spec: EdgeSpec, view: IngressView, backend: Backend) -> bool:
    return (view.namespace, backend.service) == (spec.outpost_namespace, spec.outpost_service) \
        and backend.port in (spec.outpost_port, "http")


def outpost_hosts(spec: EdgeSpec, views: list[IngressView]) -> set[str]:
    return {b.host for v in views for b in v.backends if b.host and is_outpost(spec, v, b)}


def _cert_for(store: Store, files: EdgeFiles, views: list[IngressView], host: str) -> CertFiles | None:
    for view in views:
        for entry in view.tls:
            if host in entry.hosts and entry.secret_name:
                pair = tls_pair(store, view.namespace, entry.secret_name)
                if pair is not None:
                    return files.write_pair(f"{view.namespace}__{entry.secret_name}", *pair)
    return None


def _locations(spec: EdgeSpec, files: EdgeFiles, views: list[IngressView], host: str) -> tuple[Location, ...]:
    found: dict[tuple[str, bool], Location] = {}
    for view in views:
        for b in view.backends:
            if b.host != host:
                continue
            sock = files.outpost_sock if is_outpost(spec, view, b) else files.app_sock
            key = (b.path or "/", b.path_type == "Exact")
            found.setdefault(key, Location(key[0], key[1], sock, f"{view.namespace}/{b.service}:{b.port}"))
    return tuple(found.values())


def build_config(store: Store, spec: EdgeSpec, views: list[IngressView], files: EdgeFiles,
                 certs: StaticCerts, *, wrong_cert: bool = False) -> EdgeConfig:
    hosts = sorted({b.host for v in views for b in v.backends if b.host})
    servers = []
    for host in hosts:
        wants_tls = any(host in v.tls_hosts() for v in views)
        cert = _cert_for(store, files, views, host) if wants_tls else None
        if wants_tls and cert is None:
            cert = certs.fake              # Secret not issued yet: the fake certificate
        if wants_tls and wrong_cert:
            cert = certs.wrong_name
        servers.append(Server(host, cert, _locations(spec, files, views, host)))
    auth_cert = certs.wrong_name if wrong_cert else certs.authentik
    if spec.authentik_host not in hosts:    # Authentik's own host, unless an Ingress serves it
        servers.append(Server(spec.authentik_host, auth_cert,
                              (Location("/", False, files.authentik_sock, "authentik/authentik-server:80"),)))
    return EdgeConfig(tuple(servers), certs.fake)
