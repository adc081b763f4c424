"""Authentication, authorization and discovery of the lab API server.

pytest tests/lab/kube/test_kube_auth_discovery.py
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

AGGREGATED = (
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json"
)


def test_request_without_client_certificate_is_401_status(http_as: Callable[..., httpx.Client]) -> None:
    r = http_as(with_cert=False).get("/api/v1/namespaces")
    assert r.status_code == 401
    body = r.json()
    assert (body["kind"], body["status"], body["reason"], body["code"]) == ("Status", "Failure", "Unauthorized", 401)


def test_read_only_group_reads_but_cannot_write(http_as: Callable[..., httpx.Client]) -> None:
    ro = http_as("viewer", ("lab:read-only",))
    assert ro.get("/api/v1/namespaces/default/services").status_code == 200
    r = ro.post("/api/v1/namespaces/default/configmaps", json={"metadata": {"name": "x"}})
    assert r.status_code == 403
    assert r.json()["reason"] == "Forbidden" and 'User "viewer" cannot create' in r.json()["message"]
    assert ro.delete("/api/v1/namespaces/default").status_code == 403


def test_user_without_known_group_is_forbidden(http_as: Callable[..., httpx.Client]) -> None:
    assert http_as("nobody", ()).get("/api/v1/namespaces").status_code == 403


@pytest.mark.parametrize(
    "path,kind",
    [
        ("/api", "APIVersions"),
        ("/api/", "APIVersions"),
        ("/apis", "APIGroupList"),
        ("/apis/", "APIGroupList"),
        ("/api/v1", "APIResourceList"),
        ("/api/v1/", "APIResourceList"),
        ("/apis/apps", "APIGroup"),
        ("/apis/apps/", "APIGroup"),
        ("/apis/apps/v1", "APIResourceList"),
        ("/apis/cilium.io/v2/", "APIResourceList"),
    ],
)
def test_discovery_documents(http: httpx.Client, path: str, kind: str) -> None:
    r = http.get(path, headers={"Accept": AGGREGATED})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    assert r.json()["kind"] == kind


def _resource(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in doc["resources"] if r["name"] == name)


def test_resource_list_details(http: httpx.Client) -> None:
    v1 = http.get("/api/v1").json()
    svc = _resource(v1, "services")
    assert (svc["kind"], svc["namespaced"], svc["shortNames"]) == ("Service", True, ["svc"])
    assert {"create", "list", "watch", "patch", "deletecollection"} <= set(svc["verbs"])
    assert _resource(v1, "services/status")["verbs"] == ["get", "patch", "update"]
    assert _resource(v1, "nodes")["namespaced"] is False
    pools = _resource(http.get("/apis/cilium.io/v2").json(), "ciliumloadbalancerippools")
    assert "ippools" in pools["shortNames"]


def test_version_and_unknown_paths(http: httpx.Client) -> None:
    assert http.get("/version").json()["major"] == "1"
    assert http.get("/apis/nope.example.com/v1").status_code == 404
    assert http.get("/api/v1/widgets").json()["reason"] == "NotFound"
    assert http.get("/openapi/v2").status_code == 404


def test_openapi_v3_advertises_field_validation(http: httpx.Client) -> None:
    root = http.get("/openapi/v3").json()["paths"]
    assert "api/v1" in root and "apis/cilium.io/v2" in root
    doc = http.get(root["api/v1"]["serverRelativeURL"]).json()
    patch = doc["paths"]["/api/v1/namespaces/{namespace}/services/{name}"]["patch"]
    assert patch["x-kubernetes-group-version-kind"] == {"group": "", "version": "v1", "kind": "Service"}
    assert "fieldValidation" in [p["name"] for p in patch["parameters"]]
