"""The lab API serves exactly the cilium.io versions a Cilium release serves, and shows the release
the way a real cluster does (the agent DaemonSet's image tag).

pytest tests/lab/kube/test_kube_cilium_releases.py
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from harness.model.cilium_versions import CiliumVersion
from harness.probes.cilium_agent import running_version
from harness.probes.kube import KubeApi
from lab.cilium import LbIpamController
from lab.kube import KubeApiServer
from lab.seed import cilium_crds, cilium_workloads

BGP_V2 = ("ciliumbgpclusterconfigs", "ciliumbgppeerconfigs", "ciliumbgpadvertisements")
Start = Callable[[str], KubeApiServer]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    started: list[KubeApiServer] = []

    def make(release: str) -> KubeApiServer:
        version = CiliumVersion.parse(release)
        server = KubeApiServer(tmp_path / release, crds=cilium_crds(version))
        server.start()
        started.append(server)
        for obj in cilium_workloads(version):
            server.store.create(obj)
        return server

    yield make
    for server in started:
        server.stop()


def _client(server: KubeApiServer) -> KubeApi:
    return KubeApi.from_kubeconfig(server.kubeconfig_path, None, 10)


def _names(http: httpx.Client, version: str) -> set[str]:
    r = http.get(f"/apis/cilium.io/{version}")
    return set() if r.status_code == 404 else {x["name"] for x in r.json()["resources"] if "/" not in x["name"]}


def _http(server: KubeApiServer, tmp_path: Path) -> httpx.Client:
    cert, key = server.issue_client_credentials("admin", ["system:masters"])
    (tmp_path / "c.crt").write_bytes(cert)
    (tmp_path / "c.key").write_bytes(key)
    ctx = ssl.create_default_context(cafile=str(server.ca_cert_path))
    ctx.load_cert_chain(tmp_path / "c.crt", tmp_path / "c.key")
    return httpx.Client(base_url=server.url, verify=ctx, timeout=10)


def test_cilium_1_17_serves_the_bgp_kinds_and_pools_as_v2alpha1_only(start: Start, tmp_path: Path) -> None:
    server = start("1.17.6")
    with _http(server, tmp_path) as http:
        group = http.get("/apis/cilium.io").json()
        assert [v["version"] for v in group["versions"]] == ["v2alpha1"]
        assert group["preferredVersion"]["version"] == "v2alpha1"
        assert _names(http, "v2alpha1") == {"ciliumloadbalancerippools", "ciliumbgppeeringpolicies", *BGP_V2}
        assert _names(http, "v2") == set()
        advert = {"apiVersion": "cilium.io/v2", "kind": "CiliumBGPAdvertisement", "metadata": {"name": "a"},
                  "spec": {"advertisements": []}}
        assert http.post("/apis/cilium.io/v2/ciliumbgpadvertisements", json=advert).status_code == 404
    api = _client(server)
    try:
        for kind in ("CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement",
                     "CiliumLoadBalancerIPPool", "CiliumBGPPeeringPolicy"):
            assert api.served_versions("cilium.io", kind) == ("v2alpha1",), kind
            assert api.api_version_of("cilium.io", kind) == "cilium.io/v2alpha1"
    finally:
        api.close()


def test_cilium_1_19_serves_no_peering_policy(start: Start, tmp_path: Path) -> None:
    server = start("1.19.1")
    with _http(server, tmp_path) as http:
        assert "ciliumbgppeeringpolicies" not in _names(http, "v2alpha1") | _names(http, "v2")
        assert http.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                        "ciliumbgppeeringpolicies.cilium.io").status_code == 404
        policy = {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumBGPPeeringPolicy", "metadata": {"name": "p"},
                  "spec": {"virtualRouters": []}}
        assert http.post("/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies", json=policy).status_code == 404
        pools = http.get("/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                         "ciliumloadbalancerippools.cilium.io").json()
        flags = [(v["name"], v["storage"], v.get("deprecated", False)) for v in pools["spec"]["versions"]]
        assert flags == [("v2", True, False), ("v2alpha1", False, True)]
    api = _client(server)
    try:
        assert api.served_versions("cilium.io", "CiliumBGPPeeringPolicy") == ()
        assert api.served_versions("cilium.io", "CiliumBGPClusterConfig") == ("v2", "v2alpha1")
        assert api.api_version_of("cilium.io", "CiliumBGPClusterConfig") == "cilium.io/v2"
    finally:
        api.close()


def test_cilium_1_15_has_no_bgp_v2_kinds(start: Start, tmp_path: Path) -> None:
    server = start("1.15.19")
    with _http(server, tmp_path) as http:
        assert _names(http, "v2alpha1") == {"ciliumloadbalancerippools", "ciliumbgppeeringpolicies"}


@pytest.mark.parametrize("release", ["1.17.6", "1.19.1"])
def test_the_running_release_reads_from_the_agent_daemonset(start: Start, release: str) -> None:
    server = start(release)
    api = _client(server)
    try:
        version, where = running_version(api)
    finally:
        api.close()
    assert str(version) == release
    assert where == f"DaemonSet kube-system/cilium image quay.io/cilium/cilium:v{release}"


def test_lb_ipam_of_cilium_1_17_assigns_from_a_v2alpha1_pool(start: Start) -> None:
    server = start("1.17.6")
    ipam = LbIpamController(server.store, version=CiliumVersion.parse("1.17.6"))
    try:
        server.store.create({"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumLoadBalancerIPPool",
                             "metadata": {"name": "p"}, "spec": {"blocks": [{"start": "172.29.52.100"}]}})
        svc = server.store.create({"apiVersion": "v1", "kind": "Service",
                                   "metadata": {"name": "web", "namespace": "default"},
                                   "spec": {"type": "LoadBalancer", "ports": [{"port": 80}]}})
        ipam.reconcile_now()
        got = server.store.get("v1", "Service", "default", svc["metadata"]["name"])
        assert got is not None
        assert [i["ip"] for i in got["status"]["loadBalancer"]["ingress"]] == ["172.29.52.100"]
    finally:
        ipam.close()
