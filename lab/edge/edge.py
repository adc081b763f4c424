"""EdgeLab: knot + external-dns, ingress-nginx, a CA issuer and Authentik, composed for the lab.

    edge = EdgeLab(kube.store, net, EdgeSpec.from_profile(profile, net.spec), lab_dir / "edge")
    edge.start(); edge.wait_synced(5); edge.set_fault("outpost-bypass"); edge.stop()

One controller thread reacts to Ingress, Service and Secret changes in the store and, in
order: writes Ingress status (ingress-nginx), issues TLS Secrets (cert-manager), tells the
outpost its hosts, regenerates nginx (SIGHUP on change) and syncs DNS records to knot
(external-dns). ``wait_synced`` returns once every change seen so far has been applied.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable
from pathlib import Path

from lab.edge.authentik import Authentik, Credentials
from lab.edge.ca import LabCa
from lab.edge.external_dns import DnsPublisher, desired_records
from lab.edge.http_serve import Request, Response, UnixHttpServer
from lab.edge.ingresses import INGRESS, IngressView
from lab.edge.knot import KnotServer
from lab.edge.kube_side import WritableStore, issue_tls_secrets, publish_ingress_status
from lab.edge.nginx import NginxFleet
from lab.edge.outpost import Outpost
from lab.edge.site import EdgeFiles, StaticCerts, build_config, outpost_hosts
from lab.edge.spec import EdgeSpec
from lab.net import LabNetwork
from lab.net.netns import kill_pids
from lab.store_api import Obj

FAULTS = ("outpost-bypass", "redirect-other-host", "wrong-cert-name")
WATCHED_KINDS = {"Ingress", "Service", "Secret"}
RETRY_S = 0.5
UNIX_PATH_MAX = 100


class EdgeSyncTimeout(RuntimeError):
    """The edge did not apply the store's changes in time; the message has its last error."""


def app_handler(req: Request) -> Response:
    """The generic application stand-in: names the Service nginx routed to."""
    return Response.page(200, req.backend, f"<h1>{req.backend}</h1><p>service {req.backend} "
                         f"answered for {req.host}</p>")


class EdgeLab:
    def __init__(self, store: WritableStore, net: LabNetwork, spec: EdgeSpec, state_dir: Path) -> None:
        self.store, self.net, self.spec, self.dir = store, net, spec, Path(state_dir)
        self.fault: str | None = None
        self.last_error: str | None = None
        self.idp = Authentik(spec)
        self.outpost = Outpost(spec, self.idp)
        self.knot = KnotServer(net, spec, self.dir / "knot")
        self.dns = DnsPublisher(self.knot, spec)
        self.nginx = NginxFleet(net, spec.nodes, self.dir / "nginx")
        self._cond = threading.Condition()
        self._wanted = self._done = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._servers: list[UnixHttpServer] = []
        self._unsubscribe: list[Callable[[], None]] = []
        self._temp_sock_dir: Path | None = None

    # -- public surface -------------------------------------------------------------------
    @property
    def ca_cert_path(self) -> Path:
        return self.dir / "ca" / "ca.crt"

    @property
    def tsig_key_path(self) -> Path:
        return self.knot.key_path

    @property
    def login_credentials(self) -> Credentials:
        return self.idp.credentials

    def session_cookie_for(self, user: str, host: str) -> dict[str, str]:
        """{outpost cookie name: value} of an authenticated session at ``host`` (lab only)."""
        return self.outpost.login_session(user, host)

    def set_fault(self, name: str | None, *, timeout: float = 5.0) -> None:
        """Switch a fault on (``None`` clears it) and wait until nginx and the outpost show it."""
        if name is not None and name not in FAULTS:
            raise ValueError(f"unknown edge fault {name!r}; known: {', '.join(FAULTS)}")
        self.fault = name
        self.outpost.fault = name
        self._poke()
        self.wait_synced(timeout)

    def wait_synced(self, timeout: float) -> None:
        with self._cond:
            target = self._wanted
            if not self._cond.wait_for(lambda: self._done >= target, timeout):
                raise EdgeSyncTimeout(f"edge controller did not apply change #{target} within "
                                      f"{timeout:g}s (applied #{self._done}); last error: "
                                      f"{self.last_error or 'none'}")

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        ca = LabCa.create(self.dir / "ca")
        self._files = self._make_files()
        self._certs = self._static_certs(ca)
        self._ca = ca
        for sock, handler in ((self._files.outpost_sock, self.outpost.handle),
                              (self._files.authentik_sock, self.idp.handle),
                              (self._files.app_sock, app_handler)):
            server = UnixHttpServer(sock, handler)
            server.start()
            self._servers.append(server)
        self.knot.start()
        self.nginx.start(build_config(self.store, self.spec, [], self._files, self._certs))
        self._unsubscribe.append(self.store.subscribe(self._on_change))
        self._thread = threading.Thread(target=self._run, name="edge-controller", daemon=True)
        self._thread.start()
        self._poke()

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.nginx.stop()
        if self.knot.pid is not None:
            kill_pids([self.knot.pid])
        for server in self._servers:
            server.stop()
        if self._temp_sock_dir is not None:
            shutil.rmtree(self._temp_sock_dir, ignore_errors=True)

    def _make_files(self) -> EdgeFiles:
        sock_dir = self.dir / "sock"
        if len(str(sock_dir / "authentik.sock")) > UNIX_PATH_MAX:
            sock_dir = self._temp_sock_dir = Path(tempfile.mkdtemp(prefix="lab-edge-"))
        sock_dir.mkdir(parents=True, exist_ok=True)
        (self.dir / "certs").mkdir(parents=True, exist_ok=True)
        return EdgeFiles(self.dir / "certs", sock_dir / "outpost.sock",
                         sock_dir / "authentik.sock", sock_dir / "app.sock")

    def _static_certs(self, ca: LabCa) -> StaticCerts:
        fake_ca = LabCa.create(self.dir / "fake-ca")     # trusted by nobody, like ingress-nginx's
        return StaticCerts(
            fake=self._files.write_issued("default-fake", fake_ca.issue(("ingress.local",))),
            authentik=self._files.write_issued("authentik", ca.issue((self.spec.authentik_host,))),
            wrong_name=self._files.write_issued("wrong-name", ca.issue((f"wrong-name.{self.spec.zone}",))),
        )

    # -- the controller -------------------------------------------------------------------
    def _on_change(self, event: str, obj: Obj) -> None:
        if obj.get("kind") in WATCHED_KINDS:
            self._poke()

    def _poke(self) -> None:
        with self._cond:
            self._wanted += 1
            self._cond.notify_all()

    def _run(self) -> None:
        failed = False
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._stopping or self._wanted > self._done,
                                    timeout=RETRY_S if failed else None)
                if self._stopping:
                    return
                target = self._wanted
            failed = not self._reconcile_logged()
            if not failed:
                with self._cond:
                    self._done = max(self._done, target)
                    self._cond.notify_all()

    def _reconcile_logged(self) -> bool:
        try:
            self.reconcile()
        except Exception as exc:  # keep the controller alive; the error is kept and logged
            self.last_error = f"{type(exc).__name__}: {exc}"
            with (self.dir / "edge.log").open("a") as log:
                log.write(traceback.format_exc())
            return False
        self.last_error = None
        return True

    def _views(self) -> list[IngressView]:
        views = [IngressView.parse(o) for o in self.store.list(*INGRESS)]
        return [v for v in views if v.is_class(self.spec.ingress_class)]

    def reconcile(self) -> None:
        publish_ingress_status(self.store, self.spec, self._views())
        views = self._views()
        issue_tls_secrets(self.store, self._ca, views)
        self.outpost.set_hosts(outpost_hosts(self.spec, views))
        self.nginx.apply(build_config(self.store, self.spec, views, self._files, self._certs,
                                      wrong_cert=self.fault == "wrong-cert-name"))
        self.dns.sync(desired_records(views, self.spec))
