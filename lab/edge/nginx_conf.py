"""ingress-nginx's generated nginx.conf, reduced to what the edge needs, as a pure function.

    text = render(EdgeConfig(servers=(Server("longhorn.example", cert, (Location("/", ...),)),), ...))

Behaviour mirrored from ingress-nginx (https://kubernetes.github.io/ingress-nginx/):
- one ``server`` per host, listening on every address (IPv4 and IPv6) on 80 and 443;
- hosts with TLS redirect plain HTTP with **308** to ``https://$host$request_uri``
  (``ssl-redirect``, user-guide/nginx-configuration/annotations.md#server-side-https-enforcement-through-redirect);
- an unknown Host hits the catch-all ``default_server``: the default backend's
  ``404`` and, on 443, the self-signed "Kubernetes Ingress Controller Fake Certificate";
- a TLS host whose Secret is missing is served with that fake certificate too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_BACKEND_BODY = "default backend - 404"


@dataclass(frozen=True)
class CertFiles:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Location:
    path: str
    exact: bool
    upstream: Path                  # Unix socket of the stand-in serving this backend
    backend: str                    # "<namespace>/<service>:<port>", sent as X-Lab-Backend


@dataclass(frozen=True)
class Server:
    host: str
    cert: CertFiles | None          # None: plain HTTP only
    locations: tuple[Location, ...]


@dataclass(frozen=True)
class EdgeConfig:
    servers: tuple[Server, ...]
    fake_cert: CertFiles


def _listen(ssl: bool, default: bool = False) -> list[str]:
    flag = " default_server" if default else ""
    out = [f"    listen 80{flag};", f"    listen [::]:80{flag};"]
    if ssl:
        out += [f"    listen 443 ssl{flag};", f"    listen [::]:443 ssl{flag};"]
    return out


def _certs(files: CertFiles) -> list[str]:
    return [f"    ssl_certificate {files.cert};", f"    ssl_certificate_key {files.key};"]


def _location(loc: Location) -> list[str]:
    match = f"= {loc.path}" if loc.exact else loc.path
    return [f"    location {match} {{",
            f"      proxy_pass http://unix:{loc.upstream}:;",
            "      proxy_set_header Host $host;",
            "      proxy_set_header X-Forwarded-Proto $scheme;",
            "      proxy_set_header X-Forwarded-For $remote_addr;",
            f'      proxy_set_header X-Lab-Backend "{loc.backend}";',
            "    }"]


def _server(server: Server, fake: CertFiles) -> list[str]:
    lines = ["  server {", f"    server_name {server.host};", *_listen(True)]
    lines += _certs(server.cert or fake)
    if server.cert is not None:
        lines += ["    if ($scheme = http) {", "      return 308 https://$host$request_uri;", "    }"]
    for loc in server.locations:
        lines += _location(loc)
    return lines + ["  }"]


def render(config: EdgeConfig, run_dir: Path) -> str:
    """The whole nginx.conf; ``run_dir`` holds pid, logs and temp paths of one instance."""
    head = [
        "user root;", "worker_processes 1;", f"pid {run_dir / 'nginx.pid'};",
        f"error_log {run_dir / 'error.log'} notice;",
        "events { worker_connections 512; }",
        "http {",
        f"  access_log {run_dir / 'access.log'};",
        *(f"  {kind}_temp_path {run_dir / 'tmp' / kind};"
          for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")),
        "  server_names_hash_bucket_size 128;",
        "  proxy_http_version 1.1;",
        "  server {", "    server_name _;", *_listen(True, default=True), *_certs(config.fake_cert),
        f'    location / {{ default_type text/plain; return 404 "{DEFAULT_BACKEND_BODY}\\n"; }}',
        "  }",
    ]
    body = [line for server in config.servers for line in _server(server, config.fake_cert)]
    return "\n".join([*head, *body, "}", ""])
