"""The real kubectl (v1.32) against the lab API server, each test with its own discovery cache.

pytest tests/lab/kube/test_kube_kubectl.py
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lab.kube import KubeApiServer
from tests.edits import replace_once

Kubectl = Callable[..., subprocess.CompletedProcess[str]]
MANIFEST = """apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - {name: http, port: 80}
"""
POOL = """apiVersion: cilium.io/v2
kind: CiliumLoadBalancerIPPool
metadata: {name: lb-pool}
spec:
  blocks:
  - cidr: 172.29.52.0/24
"""


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, f"kubectl {result.args[5:]} failed: {result.stderr}"
    return result.stdout


def test_get_services_json_and_table(kubectl: Kubectl, tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(MANIFEST)
    _ok(kubectl("apply", "--server-side", "-f", str(tmp_path / "svc.yaml")))
    items = json.loads(_ok(kubectl("get", "svc", "-A", "-o", "json")))["items"]
    assert [i["metadata"]["name"] for i in items] == ["web"]
    table = _ok(kubectl("get", "svc", "-A")).splitlines()
    assert table[0].split() == ["NAMESPACE", "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]
    assert table[1].split()[:5] == ["default", "web", "LoadBalancer", items[0]["spec"]["clusterIP"], "<pending>"]


def test_server_side_apply_idempotent_then_changed(kubectl: Kubectl, tmp_path: Path) -> None:
    path = tmp_path / "svc.yaml"
    path.write_text(MANIFEST)
    assert "serverside-applied" in _ok(kubectl("apply", "--server-side", "-f", str(path)))
    again = _ok(kubectl("apply", "--server-side", "-f", str(path)))
    assert "serverside-applied" in again
    path.write_text(replace_once(MANIFEST, "port: 80", "port: 8080"))
    _ok(kubectl("apply", "--server-side", "--validate=strict", "-f", str(path)))
    svc = json.loads(_ok(kubectl("get", "svc", "web", "-o", "json", "--show-managed-fields")))
    assert [p["port"] for p in svc["spec"]["ports"]] == [8080]
    assert svc["metadata"]["managedFields"][0]["manager"] == "kubectl"
    _ok(kubectl("delete", "-f", str(path)))
    assert "NotFound" in kubectl("get", "svc", "web").stderr


def test_wait_for_load_balancer_ip_set_by_store(srv: KubeApiServer, kubectl: Kubectl, tmp_path: Path) -> None:
    (tmp_path / "svc.yaml").write_text(MANIFEST)
    _ok(kubectl("apply", "--server-side", "-f", str(tmp_path / "svc.yaml")))
    status: dict[str, Any] = {"loadBalancer": {"ingress": [{"ip": "172.29.52.200"}]}}
    timer = threading.Timer(0.5, srv.store.update_status, ("v1", "Service", "default", "web", status))
    timer.start()
    out = _ok(
        kubectl("wait", "--for=jsonpath={.status.loadBalancer.ingress[0].ip}=172.29.52.200", "svc/web", "--timeout=20s")
    )
    timer.join()
    assert "condition met" in out


def test_custom_resources_with_kubectl(kubectl: Kubectl, tmp_path: Path) -> None:
    (tmp_path / "pool.yaml").write_text(POOL)
    _ok(kubectl("apply", "--server-side", "-f", str(tmp_path / "pool.yaml")))
    lines = _ok(kubectl("get", "ciliumloadbalancerippools")).splitlines()
    assert lines[0].split()[0] == "NAME" and lines[1].split()[0] == "lb-pool"
    assert "lb-pool" in _ok(kubectl("get", "ippools", "-o", "name"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(replace_once(POOL, "cidr: 172.29.52.0/24", "cidr: 172.29.52.0/24\n    bogus: 1"))
    result = kubectl("apply", "--server-side", "--validate=strict", "-f", str(bad))
    assert result.returncode != 0 and "bogus" in result.stderr
    _ok(kubectl("delete", "-f", str(tmp_path / "pool.yaml")))
