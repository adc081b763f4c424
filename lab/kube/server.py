"""The lab Kubernetes API server: HTTPS, client-certificate auth, in-memory store.

    srv = KubeApiServer(Path("/tmp/lab/kube"), crds=cilium_crds(release)); srv.start()   # lab.seed.cilium_crds
    subprocess.run(["kubectl", "--kubeconfig", str(srv.kubeconfig_path), "get", "svc", "-A"])

Each instance owns its CA, port, store and threads; nothing is shared between instances.
TLS handshakes happen on the per-connection thread, so a slow client never blocks accept().
"""

from __future__ import annotations

import base64
import contextlib
import copy
import os
import socket
import ssl
import threading
from collections.abc import Sequence
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from .api import Api, WriteOptions
from .certs import LabCA
from .crds import choose_crds, load_crd_files
from .facade import LabStore
from .handler import ServerContext, make_handler
from .logs import RequestLog
from .resources import Registry
from .services import ServiceAllocator
from .store import ObjectStore

_INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, addr: tuple[str, int], handler: Any, tls: ssl.SSLContext, family: int) -> None:
        self.address_family = family
        self.tls = tls
        self.open_conns: set[socket.socket] = set()
        self.conns_lock = threading.Lock()
        super().__init__(addr, handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        with self.conns_lock:
            self.open_conns.add(request)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)  # type: ignore[arg-type]
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        finally:
            conn.close()

    def shutdown_request(self, request: Any) -> None:
        with self.conns_lock:
            self.open_conns.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        with self.conns_lock:
            conns = list(self.open_conns)
        for c in conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)


class KubeApiServer:
    def __init__(
        self,
        state_dir: Path,
        host: str = "127.0.0.1",
        port: int = 0,
        service_cidrs: Sequence[str] = ("10.96.0.0/12",),
        crd_files: Sequence[Path] = (),
        bookmark_interval: float = 1.0,
        crds: Sequence[dict[str, Any]] = (),
    ) -> None:
        """``crds`` (CustomResourceDefinition objects) and ``crd_files`` (YAML files of them) are
        registered at start-up, as an installer would; of two definitions of one CRD the one serving
        more versions wins. The lab passes the CRDs of the profiled Cilium release
        (``lab.seed.cilium_crds(profile.cilium.version)``), so it serves exactly that release's versions."""
        self.state_dir, self.host, self._port = Path(state_dir), host, port
        self._crd_files = [Path(p) for p in crd_files]
        self._crds = [copy.deepcopy(c) for c in crds]
        self._ca = LabCA.create()
        self._registry = Registry.with_builtins()
        self._api = Api(self._registry, ObjectStore(), ServiceAllocator(list(service_cidrs)))
        self.store = LabStore(self._api)
        self._stopping = threading.Event()
        self._bookmark_interval = bookmark_interval
        self._httpd: _TLSServer | None = None
        self._thread: threading.Thread | None = None
        self._logs: list[RequestLog] = []

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("KubeApiServer.url: the server has not been started")
        port = self._httpd.server_address[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"https://{host}:{port}"

    @property
    def kubeconfig_path(self) -> Path:
        return self.state_dir / "kubeconfig"

    @property
    def ca_cert_path(self) -> Path:
        return self.state_dir / "ca.crt"

    @property
    def audit_log_path(self) -> Path:
        return self.state_dir / "audit.jsonl"

    @property
    def access_log_path(self) -> Path:
        return self.state_dir / "access.jsonl"

    def _write_secret(self, path: Path, data: bytes) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(path, 0o600)

    def _tls_context(self) -> ssl.SSLContext:
        cert, key = self._ca.issue_server(self.host)
        self._write_secret(self.state_dir / "apiserver.crt", cert)
        self._write_secret(self.state_dir / "apiserver.key", key)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.state_dir / "apiserver.crt", self.state_dir / "apiserver.key")
        ctx.verify_mode = ssl.CERT_OPTIONAL
        ctx.load_verify_locations(cadata=self._ca.cert_pem.decode())
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def _seed(self) -> None:
        ns_type = self._registry.by_path("", "v1", "namespaces")
        assert ns_type is not None
        for ns in _INITIAL_NAMESPACES:
            self._api.create(ns_type, "v1", None, {"metadata": {"name": ns}}, WriteOptions(manager="lab-bootstrap"))
        for crd in choose_crds([*self._crds, *load_crd_files(self._crd_files)]):
            self._api.register_crd(crd)

    def start(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._write_secret(self.ca_cert_path, self._ca.cert_pem)
        self._seed()
        access, audit = RequestLog(self.access_log_path), RequestLog(self.audit_log_path)
        self._logs = [access, audit]
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        ctx = ServerContext(self._api, access, audit, self._stopping, "", self._bookmark_interval)
        self._httpd = _TLSServer((self.host, self._port), make_handler(ctx), self._tls_context(), family)
        ctx.address = f"{self.host}:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"kube-api-{ctx.address}",
            daemon=True,
        )
        self._thread.start()
        self.write_kubeconfig(self.kubeconfig_path, "admin", ["system:masters"])

    def issue_client_credentials(self, user: str, groups: Sequence[str]) -> tuple[bytes, bytes]:
        return self._ca.issue(user, list(groups))

    def write_kubeconfig(self, path: Path, user: str, groups: Sequence[str]) -> Path:
        cert, key = self.issue_client_credentials(user, groups)
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "lab",
            "preferences": {},
            "clusters": [
                {"name": "lab", "cluster": {"server": self.url, "certificate-authority-data": _b64(self._ca.cert_pem)}}
            ],
            "users": [{"name": user, "user": {"client-certificate-data": _b64(cert), "client-key-data": _b64(key)}}],
            "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": user, "namespace": "default"}}],
        }
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._write_secret(path, yaml.safe_dump(config, sort_keys=False).encode())
        return path

    def stop(self) -> None:
        self._stopping.set()
        self._api.store.close_watchers()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.drop_connections()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        for log in self._logs:
            log.close()
