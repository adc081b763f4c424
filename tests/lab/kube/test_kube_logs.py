"""Access and audit logs: one JSON line per request / per mutating request, no secret values.

pytest tests/lab/kube/test_kube_logs.py
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import httpx
import yaml

from lab.kube import KubeApiServer


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_logs_record_requests_without_secret_values(srv: KubeApiServer, http: httpx.Client) -> None:
    secret = {"metadata": {"name": "creds"}, "stringData": {"token": "s3cr3t-value"}, "data": {"key": "aHVudGVyMg=="}}
    assert http.post("/api/v1/namespaces/default/secrets", json=secret).status_code == 201
    http.get("/api/v1/namespaces/default/secrets/creds")
    http.delete("/api/v1/namespaces/default/secrets/creds")
    audit = _lines(srv.audit_log_path)
    assert [(e["verb"], e["code"]) for e in audit] == [("create", 201), ("delete", 200)]
    assert audit[0]["kind"] == "Secret" and audit[0]["name"] == "creds" and audit[0]["user"] == "admin"
    access = _lines(srv.access_log_path)
    assert [e["verb"] for e in access] == ["create", "get", "delete"]
    for path in (srv.audit_log_path, srv.access_log_path):
        text = path.read_text()
        assert "s3cr3t-value" not in text and "aHVudGVyMg==" not in text


def test_kubeconfig_files_and_extra_identity(srv: KubeApiServer, tmp_path: Path) -> None:
    assert stat.S_IMODE(os.stat(srv.kubeconfig_path).st_mode) == 0o600
    cfg = yaml.safe_load(srv.kubeconfig_path.read_text())
    assert cfg["current-context"] == "lab" and cfg["users"][0]["name"] == "admin"
    assert cfg["clusters"][0]["cluster"]["server"] == srv.url
    ro = srv.write_kubeconfig(tmp_path / "ro.yaml", "viewer", ["lab:read-only"])
    assert yaml.safe_load(ro.read_text())["users"][0]["name"] == "viewer"


def test_servers_are_independent(tmp_path: Path) -> None:
    a, b = KubeApiServer(tmp_path / "a"), KubeApiServer(tmp_path / "b")
    a.start()
    b.start()
    try:
        assert a.url != b.url
        a.store.create(
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "only-a", "namespace": "default"}}
        )
        assert b.store.get("v1", "ConfigMap", "default", "only-a") is None
    finally:
        a.stop()
        b.stop()
