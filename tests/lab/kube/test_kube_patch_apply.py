"""PATCH flavours and server-side apply with field ownership.

pytest tests/lab/kube/test_kube_patch_apply.py
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

SVC = "/api/v1/namespaces/default/services"
DEP = "/apis/apps/v1/namespaces/default/deployments"
POOLS = "/apis/cilium.io/v2/ciliumloadbalancerippools"
APPLY = {"Content-Type": "application/apply-patch+yaml"}


def _patch(http: httpx.Client, path: str, body: Any, ctype: str, **params: str) -> httpx.Response:
    return http.patch(path, content=json.dumps(body), headers={"Content-Type": ctype}, params=params)


def _deployment() -> dict[str, Any]:
    containers = [
        {"name": "app", "image": "a:1", "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 80}]},
        {"name": "side", "image": "s:1"},
    ]
    return {"metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": containers}}}}


def test_json_patch(http: httpx.Client, svc: Callable[..., dict[str, Any]]) -> None:
    http.post(SVC, json=svc("j"))
    ops = [
        {"op": "add", "path": "/metadata/labels", "value": {"x": "1"}},
        {"op": "replace", "path": "/spec/ports/0/port", "value": 81},
    ]
    out = _patch(http, f"{SVC}/j", ops, "application/json-patch+json").json()
    assert out["metadata"]["labels"] == {"x": "1"} and out["spec"]["ports"][0]["port"] == 81
    bad = _patch(
        http, f"{SVC}/j", [{"op": "test", "path": "/spec/type", "value": "NodePort"}], "application/json-patch+json"
    )
    assert bad.status_code == 422


def test_strategic_merge_patch_merges_lists_by_key(http: httpx.Client) -> None:
    http.post(DEP, json=_deployment())
    patch = {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "app", "image": "a:2", "env": [{"name": "B", "value": "2"}]},
                        {"name": "side", "$patch": "delete"},
                    ]
                }
            }
        }
    }
    out = _patch(http, f"{DEP}/d", patch, "application/strategic-merge-patch+json").json()
    containers = out["spec"]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["app"]
    assert containers[0]["image"] == "a:2" and [e["name"] for e in containers[0]["env"]] == ["A", "B"]
    assert containers[0]["ports"] == [{"containerPort": 80}]
    replaced = {"spec": {"template": {"spec": {"containers": [{"name": "new", "image": "n"}, {"$patch": "replace"}]}}}}
    out = _patch(http, f"{DEP}/d", replaced, "application/strategic-merge-patch+json").json()
    assert [c["name"] for c in out["spec"]["template"]["spec"]["containers"]] == ["new"]


def test_merge_patch_replaces_lists(http: httpx.Client) -> None:
    http.post(DEP, json=_deployment())
    patch = {"spec": {"template": {"spec": {"containers": [{"name": "only", "image": "o"}]}}}}
    out = _patch(http, f"{DEP}/d", patch, "application/merge-patch+json").json()
    assert out["spec"]["template"]["spec"]["containers"] == [{"name": "only", "image": "o"}]


def test_strategic_merge_on_custom_resource_is_415(http: httpx.Client) -> None:
    http.post(
        POOLS,
        json={
            "apiVersion": "cilium.io/v2",
            "kind": "CiliumLoadBalancerIPPool",
            "metadata": {"name": "p"},
            "spec": {"blocks": [{"cidr": "10.0.0.0/24"}]},
        },
    )
    r = _patch(http, f"{POOLS}/p", {"spec": {"disabled": True}}, "application/strategic-merge-patch+json")
    assert (r.status_code, r.json()["reason"]) == (415, "UnsupportedMediaType")
    assert http.patch(f"{POOLS}/p", content="{}", headers={"Content-Type": "text/plain"}).status_code == 415


def test_identical_apply_a_second_later_changes_nothing(
    http: httpx.Client, svc: Callable[..., dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The managedFields time moves only when the manager's fields change, as the API server's updater
    does: otherwise a repeated apply across a second boundary would bump resourceVersion."""
    from lab.kube import apply
    body = svc("later", type="LoadBalancer")
    first = _patch(http, f"{SVC}/later", body, APPLY["Content-Type"], fieldManager="alice")
    monkeypatch.setattr(apply, "now_rfc3339", lambda: "2099-01-01T00:00:00Z")
    again = _patch(http, f"{SVC}/later", body, APPLY["Content-Type"], fieldManager="alice")
    assert again.json()["metadata"]["resourceVersion"] == first.json()["metadata"]["resourceVersion"]
    assert again.json()["metadata"]["managedFields"][0]["time"] != "2099-01-01T00:00:00Z"
    body["metadata"]["labels"] = {"team": "net"}
    changed = _patch(http, f"{SVC}/later", body, APPLY["Content-Type"], fieldManager="alice")
    assert changed.json()["metadata"]["managedFields"][0]["time"] == "2099-01-01T00:00:00Z"


def test_apply_requires_field_manager(http: httpx.Client, svc: Callable[..., dict[str, Any]]) -> None:
    r = _patch(http, f"{SVC}/a", svc("a"), APPLY["Content-Type"])
    assert r.status_code == 422 and "fieldManager" in r.json()["message"]


def test_apply_creates_is_idempotent_and_tracks_managers(
    http: httpx.Client, svc: Callable[..., dict[str, Any]]
) -> None:
    body = svc("a", type="LoadBalancer")
    body["metadata"]["labels"] = {"team": "net"}
    first = _patch(http, f"{SVC}/a", body, APPLY["Content-Type"], fieldManager="alice")
    assert first.status_code == 201
    again = _patch(http, f"{SVC}/a", body, APPLY["Content-Type"], fieldManager="alice")
    assert again.status_code == 200
    assert again.json()["metadata"]["resourceVersion"] == first.json()["metadata"]["resourceVersion"]
    entry = again.json()["metadata"]["managedFields"][0]
    assert (entry["manager"], entry["operation"], entry["fieldsType"]) == ("alice", "Apply", "FieldsV1")
    assert "f:team" in entry["fieldsV1"]["f:metadata"]["f:labels"]
    assert 'k:{"port":80,"protocol":"TCP"}' in entry["fieldsV1"]["f:spec"]["f:ports"]


def test_apply_conflict_with_other_manager_unless_forced(
    http: httpx.Client, svc: Callable[..., dict[str, Any]]
) -> None:
    _patch(http, f"{SVC}/c", svc("c", type="LoadBalancer"), APPLY["Content-Type"], fieldManager="alice")
    r = _patch(http, f"{SVC}/c", svc("c", type="NodePort"), APPLY["Content-Type"], fieldManager="bob")
    body = r.json()
    assert (r.status_code, body["reason"]) == (409, "Conflict")
    assert 'conflict with "alice"' in body["message"] and ".spec.type" in body["message"]
    assert body["details"]["causes"][0]["field"] == ".spec.type"
    same = _patch(http, f"{SVC}/c", svc("c", type="LoadBalancer"), APPLY["Content-Type"], fieldManager="bob")
    assert same.status_code == 200
    forced = _patch(
        http, f"{SVC}/c", svc("c", type="NodePort"), APPLY["Content-Type"], fieldManager="bob", force="true"
    )
    assert forced.status_code == 200 and forced.json()["spec"]["type"] == "NodePort"
    owners = {e["manager"]: e for e in forced.json()["metadata"]["managedFields"]}
    assert "f:type" not in owners["alice"]["fieldsV1"].get("f:spec", {})


def test_apply_removes_fields_no_longer_applied_and_merges_maps(
    http: httpx.Client, svc: Callable[..., dict[str, Any]]
) -> None:
    body = svc("m")
    body["metadata"]["labels"] = {"a": "1", "b": "2"}
    _patch(http, f"{SVC}/m", body, APPLY["Content-Type"], fieldManager="alice")
    _patch(http, f"{SVC}/m", {"metadata": {"labels": {"c": "3"}}}, "application/merge-patch+json")
    body["metadata"]["labels"] = {"a": "1"}
    body["spec"]["ports"] = [{"port": 8080}]
    out = _patch(http, f"{SVC}/m", body, APPLY["Content-Type"], fieldManager="alice").json()
    assert out["metadata"]["labels"] == {"a": "1", "c": "3"}
    assert [p["port"] for p in out["spec"]["ports"]] == [8080]


def test_apply_dry_run_and_update_manager_entries(http: httpx.Client, svc: Callable[..., dict[str, Any]]) -> None:
    r = _patch(http, f"{SVC}/dry", svc("dry"), APPLY["Content-Type"], fieldManager="alice", dryRun="All")
    assert r.status_code == 201 and http.get(f"{SVC}/dry").status_code == 404
    created = http.post(SVC, json=svc("u"), params={"fieldManager": "creator"}).json()
    assert created["metadata"]["managedFields"][0]["operation"] == "Update"
    assert created["metadata"]["managedFields"][0]["manager"] == "creator"
