"""Service registry semantics: defaults, ClusterIP and NodePort allocation, dual-stack policies.

pytest tests/lab/kube/test_kube_services.py
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lab.kube import KubeApiServer

SVC = "/api/v1/namespaces/default/services"


def test_defaults_for_cluster_ip_service(http: httpx.Client, svc: Callable[..., dict[str, Any]]) -> None:
    spec = http.post(SVC, json=svc("web")).json()["spec"]
    assert spec["type"] == "ClusterIP" and spec["sessionAffinity"] == "None"
    assert spec["ports"] == [{"port": 80, "protocol": "TCP", "targetPort": 80}]
    assert spec["internalTrafficPolicy"] == "Cluster" and "externalTrafficPolicy" not in spec
    assert spec["ipFamilyPolicy"] == "SingleStack" and spec["ipFamilies"] == ["IPv4"]
    assert spec["clusterIPs"] == [spec["clusterIP"]] and spec["clusterIP"].startswith("10.9")


def test_load_balancer_gets_node_ports_and_keeps_requested_ip(
    http: httpx.Client, svc: Callable[..., dict[str, Any]]
) -> None:
    body = svc(
        "lb",
        type="LoadBalancer",
        loadBalancerIP="172.29.52.200",
        ports=[{"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}],
    )
    spec = http.post(SVC, json=body).json()["spec"]
    assert spec["externalTrafficPolicy"] == "Cluster" and spec["loadBalancerIP"] == "172.29.52.200"
    ports = [p["nodePort"] for p in spec["ports"]]
    assert all(30000 <= p <= 32767 for p in ports) and len(set(ports)) == 2


def test_requested_cluster_ip_honoured_then_conflicts_and_is_released(
    http: httpx.Client, svc: Callable[..., dict[str, Any]]
) -> None:
    assert http.post(SVC, json=svc("a", clusterIP="10.96.0.50")).json()["spec"]["clusterIP"] == "10.96.0.50"
    r = http.post(SVC, json=svc("b", clusterIP="10.96.0.50"))
    assert (r.status_code, r.json()["details"]["causes"][0]["field"]) == (422, "spec.clusterIPs")
    assert "already allocated" in r.json()["message"]
    outside = http.post(SVC, json=svc("c", clusterIP="192.168.1.1"))
    assert outside.status_code == 422 and "not in the valid range" in outside.json()["message"]
    http.delete(f"{SVC}/a")
    assert http.post(SVC, json=svc("b", clusterIP="10.96.0.50")).status_code == 201


def test_require_dual_stack_on_single_family_cluster_is_invalid(
    http: httpx.Client, svc: Callable[..., dict[str, Any]]
) -> None:
    r = http.post(SVC, json=svc("dual", ipFamilyPolicy="RequireDualStack"))
    assert r.status_code == 422 and r.json()["details"]["causes"][0]["field"] == "spec.ipFamilyPolicy"
    prefer = http.post(SVC, json=svc("prefer", ipFamilyPolicy="PreferDualStack")).json()["spec"]
    assert prefer["ipFamilies"] == ["IPv4"] and len(prefer["clusterIPs"]) == 1
    v6 = http.post(SVC, json=svc("v6", ipFamilies=["IPv6"]))
    assert v6.status_code == 422 and v6.json()["details"]["causes"][0]["field"] == "spec.ipFamilies[0]"


@pytest.fixture
def dual(tmp_path: Path, http_as: Any) -> Iterator[httpx.Client]:
    server = KubeApiServer(tmp_path / "dual", service_cidrs=("10.96.0.0/12", "fd00:10:96::/112"))
    server.start()
    import ssl

    ctx = ssl.create_default_context(cafile=str(server.ca_cert_path))
    cert, key = server.issue_client_credentials("admin", ["system:masters"])
    (tmp_path / "d.crt").write_bytes(cert)
    (tmp_path / "d.key").write_bytes(key)
    ctx.load_cert_chain(tmp_path / "d.crt", tmp_path / "d.key")
    with httpx.Client(base_url=server.url, verify=ctx) as c:
        yield c
    server.stop()


def test_dual_stack_cluster_policies(dual: httpx.Client, svc: Callable[..., dict[str, Any]]) -> None:
    req = dual.post(SVC, json=svc("req", ipFamilyPolicy="RequireDualStack", ipFamilies=["IPv6", "IPv4"])).json()["spec"]
    assert req["ipFamilies"] == ["IPv6", "IPv4"] and ":" in req["clusterIPs"][0] and "." in req["clusterIPs"][1]
    single = dual.post(SVC, json=svc("single")).json()["spec"]
    assert single["ipFamilies"] == ["IPv4"] and len(single["clusterIPs"]) == 1


def test_cluster_ip_is_immutable_and_kept_on_update(http: httpx.Client, svc: Callable[..., dict[str, Any]]) -> None:
    created = http.post(SVC, json=svc("imm", type="NodePort")).json()
    body = svc("imm", type="NodePort")
    body["metadata"]["resourceVersion"] = created["metadata"]["resourceVersion"]
    kept = http.put(f"{SVC}/imm", json=body).json()["spec"]
    assert kept["clusterIP"] == created["spec"]["clusterIP"]
    assert kept["ports"][0]["nodePort"] == created["spec"]["ports"][0]["nodePort"]
    changed = svc("imm", clusterIP="10.96.0.99")
    assert http.put(f"{SVC}/imm", json=changed).status_code == 422


def test_missing_ports_is_invalid(http: httpx.Client) -> None:
    r = http.post(SVC, json={"metadata": {"name": "noports"}, "spec": {}})
    assert r.status_code == 422 and r.json()["details"]["causes"][0]["field"] == "spec.ports"
