"""Fixtures for the lab API server tests: a started server, clients, kubectl runner.

def test_x(srv, core): core.list_namespace()
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kubernetes import client, config

from harness.model.cilium_versions import CiliumVersion
from lab.kube import KubeApiServer
from lab.seed import cilium_crds

KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
# The generic API tests use every kind the lab models in both versions: Cilium 1.18 serves them all
# (the pools and BGPv2 kinds as v2 and v2alpha1, and still CiliumBGPPeeringPolicy). Release-specific
# serving is tested in test_kube_cilium_releases.py.
ALL_KINDS_RELEASE = CiliumVersion.parse("1.18.6")


@pytest.fixture
def srv(tmp_path: Path) -> Iterator[KubeApiServer]:
    server = KubeApiServer(
        tmp_path / "kube",
        service_cidrs=("10.96.0.0/12",),
        crds=cilium_crds(ALL_KINDS_RELEASE),
        bookmark_interval=0.2,
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture
def api_client(srv: KubeApiServer) -> Iterator[client.ApiClient]:
    api = config.new_client_from_config(str(srv.kubeconfig_path))
    yield api
    api.close()


@pytest.fixture
def core(api_client: client.ApiClient) -> client.CoreV1Api:
    return client.CoreV1Api(api_client)


@pytest.fixture
def custom(api_client: client.ApiClient) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(api_client)


def _http_client(
    srv: KubeApiServer,
    tmp_path: Path,
    user: str = "admin",
    groups: tuple[str, ...] = ("system:masters",),
    with_cert: bool = True,
) -> httpx.Client:
    ctx = ssl.create_default_context(cafile=str(srv.ca_cert_path))
    if with_cert:
        cert, key = srv.issue_client_credentials(user, list(groups))
        (tmp_path / f"{user}.crt").write_bytes(cert)
        (tmp_path / f"{user}.key").write_bytes(key)
        ctx.load_cert_chain(tmp_path / f"{user}.crt", tmp_path / f"{user}.key")
    return httpx.Client(base_url=srv.url, verify=ctx, timeout=10)


@pytest.fixture
def http(srv: KubeApiServer, tmp_path: Path) -> Iterator[httpx.Client]:
    with _http_client(srv, tmp_path) as c:
        yield c


@pytest.fixture
def http_as(srv: KubeApiServer, tmp_path: Path) -> Iterator[Callable[..., httpx.Client]]:
    """``http_as("bob", ("lab:read-only",))`` or ``http_as(with_cert=False)``."""
    made: list[httpx.Client] = []

    def make(
        user: str = "admin", groups: tuple[str, ...] = ("system:masters",), with_cert: bool = True
    ) -> httpx.Client:
        made.append(_http_client(srv, tmp_path, user, groups, with_cert))
        return made[-1]

    yield make
    for c in made:
        c.close()


@pytest.fixture
def kubectl(srv: KubeApiServer, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real kubectl against ``srv`` with a fresh discovery cache for this test."""
    if not Path(KUBECTL).exists():
        pytest.skip("kubectl binary not found at /usr/bin/kubectl")
    cache = tmp_path / "kubectl-cache"

    def run(*args: str, stdin: str | None = None, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        cmd = [KUBECTL, "--kubeconfig", str(srv.kubeconfig_path), "--cache-dir", str(cache), *args]
        return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=timeout)

    return run


def svc_body(name: str, **spec: Any) -> dict[str, Any]:
    spec.setdefault("ports", [{"port": 80}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


@pytest.fixture
def svc() -> Callable[..., dict[str, Any]]:
    """Builder for a minimal Service body: ``svc("web", type="LoadBalancer")``."""
    return svc_body
