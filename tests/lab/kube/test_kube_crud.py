"""Verbs, metadata rules, lists and selectors through the official ``kubernetes`` client and httpx.

pytest tests/lab/kube/test_kube_crud.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from kubernetes import client
from kubernetes.client.exceptions import ApiException

from lab.kube import KubeApiServer

CM = "/api/v1/namespaces/default/configmaps"


def _cm(name: str, labels: dict[str, str] | None = None, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}}, "data": data}


def test_create_get_list_with_metadata(core: client.CoreV1Api) -> None:
    created = core.create_namespaced_config_map("default", _cm("one", a="1"))
    assert created.metadata.uid and created.metadata.creation_timestamp
    got = core.read_namespaced_config_map("one", "default")
    assert got.data == {"a": "1"} and got.metadata.resource_version == created.metadata.resource_version
    listed = core.list_namespaced_config_map("default")
    assert [c.metadata.name for c in listed.items] == ["one"]
    assert int(listed.metadata.resource_version) >= int(created.metadata.resource_version)


def test_initial_namespaces_and_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    names = {n.metadata.name for n in core.list_namespace().items}
    assert {"default", "kube-system"} <= names
    with pytest.raises(ApiException) as exc:
        core.create_namespaced_config_map("nope", _cm("x"))
    assert exc.value.status == 404 and json.loads(exc.value.body)["message"] == 'namespaces "nope" not found'


def test_create_twice_is_already_exists(http: httpx.Client) -> None:
    assert http.post(CM, json=_cm("dup")).status_code == 201
    r = http.post(CM, json=_cm("dup"))
    assert (r.status_code, r.json()["reason"], r.json()["details"]["name"]) == (409, "AlreadyExists", "dup")


def test_replace_conflicts_on_stale_resource_version_and_404_when_missing(http: httpx.Client) -> None:
    first = http.post(CM, json=_cm("rv", a="1")).json()
    second = dict(first, data={"a": "2"})
    assert http.put(f"{CM}/rv", json=second).status_code == 200
    stale = dict(first, data={"a": "3"})
    r = http.put(f"{CM}/rv", json=stale)
    assert (r.status_code, r.json()["reason"]) == (409, "Conflict")
    assert http.put(f"{CM}/missing", json=_cm("missing")).status_code == 404


def test_resource_versions_are_global_and_monotonic(http: httpx.Client) -> None:
    rvs = [int(http.post(CM, json=_cm(f"m{i}")).json()["metadata"]["resourceVersion"]) for i in range(3)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3


def test_invalid_name_is_422_with_field_cause(http: httpx.Client) -> None:
    r = http.post(CM, json=_cm("Bad_Name"))
    body = r.json()
    assert (r.status_code, body["reason"]) == (422, "Invalid")
    assert body["details"]["causes"][0]["field"] == "metadata.name"


def test_generation_bumps_on_spec_change_only_and_status_is_separate(http: httpx.Client) -> None:
    path = "/apis/apps/v1/namespaces/default/deployments"
    dep = {"metadata": {"name": "d"}, "spec": {"replicas": 1}, "status": {"replicas": 9}}
    created = http.post(path, json=dep).json()
    assert created["metadata"]["generation"] == 1 and "status" not in created
    same = http.patch(
        f"{path}/d",
        json={"metadata": {"labels": {"x": "y"}}, "status": {"replicas": 5}},
        headers={"Content-Type": "application/merge-patch+json"},
    ).json()
    assert same["metadata"]["generation"] == 1 and "status" not in same
    bumped = http.patch(
        f"{path}/d", json={"spec": {"replicas": 2}}, headers={"Content-Type": "application/merge-patch+json"}
    ).json()
    assert bumped["metadata"]["generation"] == 2
    status = http.put(f"{path}/d/status", json=dict(bumped, spec={"replicas": 7}, status={"replicas": 2})).json()
    assert status["status"] == {"replicas": 2} and status["spec"]["replicas"] == 2
    assert status["metadata"]["generation"] == 2


def test_finalizers_block_deletion_until_removed(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "fin", "finalizers": ["lab/keep"]}})
    deleting = http.delete(f"{CM}/fin").json()
    assert deleting["metadata"]["deletionTimestamp"]
    assert http.get(f"{CM}/fin").status_code == 200
    r = http.patch(
        f"{CM}/fin", json={"metadata": {"finalizers": None}}, headers={"Content-Type": "application/merge-patch+json"}
    )
    assert r.status_code == 200
    assert http.get(f"{CM}/fin").status_code == 404


def test_namespace_delete_takes_contents(http: httpx.Client) -> None:
    http.post("/api/v1/namespaces", json={"metadata": {"name": "team"}})
    http.post("/api/v1/namespaces/team/configmaps", json=_cm("c"))
    assert http.delete("/api/v1/namespaces/team").status_code == 200
    assert http.get("/api/v1/namespaces/team").status_code == 404
    assert http.get("/api/v1/namespaces/team/configmaps/c").status_code == 404


def test_dry_run_stores_nothing(http: httpx.Client) -> None:
    r = http.post(CM, params={"dryRun": "All"}, json=_cm("ghost"))
    assert r.status_code == 201 and r.json()["metadata"]["name"] == "ghost"
    assert http.get(f"{CM}/ghost").status_code == 404
    http.post(CM, json=_cm("real"))
    assert http.delete(f"{CM}/real", params={"dryRun": "All"}).status_code == 200
    assert http.get(f"{CM}/real").status_code == 200


def test_label_selectors(http: httpx.Client) -> None:
    for name, labels in (("a", {"app": "web", "tier": "fe"}), ("b", {"app": "web"}), ("c", {"app": "db"})):
        http.post(CM, json=_cm(name, labels))

    def names(sel: str) -> list[str]:
        return [i["metadata"]["name"] for i in http.get(CM, params={"labelSelector": sel}).json()["items"]]

    assert names("app=web") == ["a", "b"]
    assert names("app==web,tier") == ["a"]
    assert names("app!=web") == ["c"]
    assert names("app in (db, other)") == ["c"]
    assert names("app notin (db),!tier") == ["b"]


def test_field_selectors_and_unknown_field(http: httpx.Client, svc: Callable[..., dict[str, Any]]) -> None:
    http.post(CM, json=_cm("f1"))
    http.post(CM, json=_cm("f2"))
    items = http.get(CM, params={"fieldSelector": "metadata.name=f2"}).json()["items"]
    assert [i["metadata"]["name"] for i in items] == ["f2"]
    everywhere = http.get("/api/v1/configmaps", params={"fieldSelector": "metadata.namespace!=default"}).json()
    assert everywhere["items"] == []
    r = http.get(CM, params={"fieldSelector": "spec.bogus=1"})
    assert (r.status_code, r.json()["reason"]) == (400, "BadRequest")
    http.post("/api/v1/namespaces/default/services", json=svc("lb", type="LoadBalancer"))
    http.post("/api/v1/namespaces/default/services", json=svc("plain"))
    lbs = http.get("/api/v1/services", params={"fieldSelector": "spec.type=LoadBalancer"}).json()["items"]
    assert [s["metadata"]["name"] for s in lbs] == ["lb"]


def test_pagination_with_limit_and_continue(http: httpx.Client) -> None:
    for i in range(5):
        http.post(CM, json=_cm(f"p{i}"))
    seen, token = [], ""
    while True:
        page = http.get(CM, params={"limit": 2, **({"continue": token} if token else {})}).json()
        assert page["kind"] == "ConfigMapList" and len(page["items"]) <= 2
        seen += [i["metadata"]["name"] for i in page["items"]]
        token = page["metadata"].get("continue", "")
        if not token:
            break
    assert seen == [f"p{i}" for i in range(5)]


def test_deletecollection_with_label_selector(http: httpx.Client) -> None:
    http.post(CM, json=_cm("x1", {"gone": "yes"}))
    http.post(CM, json=_cm("x2", {"gone": "yes"}))
    http.post(CM, json=_cm("x3"))
    r = http.delete(CM, params={"labelSelector": "gone=yes"})
    assert r.status_code == 200 and len(r.json()["items"]) == 2
    assert [i["metadata"]["name"] for i in http.get(CM).json()["items"]] == ["x3"]


def test_error_bodies_are_status(http: httpx.Client) -> None:
    body = http.get(f"{CM}/none").json()
    assert body == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'configmaps "none" not found',
        "reason": "NotFound",
        "details": {"name": "none", "kind": "configmaps"},
        "code": 404,
    }
    assert http.request("PATCH", f"{CM}", json={}).json()["reason"] == "MethodNotAllowed"


def test_store_protocol_update_status_and_subscribe(
    srv: KubeApiServer, http: httpx.Client, svc: Callable[..., dict[str, Any]]
) -> None:
    seen: list[tuple[str, str]] = []
    unsubscribe = srv.store.subscribe(lambda t, o: seen.append((t, o["metadata"]["name"])))
    http.post("/api/v1/namespaces/default/services", json=svc("web", type="LoadBalancer"))
    out = srv.store.update_status("v1", "Service", "default", "web", {"loadBalancer": {"ingress": [{"ip": "1.2.3.4"}]}})
    assert out["status"]["loadBalancer"]["ingress"][0]["ip"] == "1.2.3.4"
    unsubscribe()
    http.delete("/api/v1/namespaces/default/services/web")
    assert seen == [("ADDED", "web"), ("MODIFIED", "web")]
    assert srv.store.get("v1", "Service", "default", "web") is None
    assert [n["metadata"]["name"] for n in srv.store.list("v1", "Namespace")][:1] == ["default"]
