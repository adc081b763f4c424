"""Watch streams: events, selectors, resume, expiry, bookmarks, timeouts, and the kubernetes client.

pytest tests/lab/kube/test_kube_watch.py
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from typing import Any

import httpx
from kubernetes import client, watch

from lab.kube import KubeApiServer

CM = "/api/v1/namespaces/default/configmaps"


def _events(http: httpx.Client, path: str, **params: Any) -> list[dict[str, Any]]:
    with http.stream("GET", path, params={"watch": "true", **params}) as r:
        assert r.status_code == 200 and r.headers.get("transfer-encoding") == "chunked"
        return [json.loads(line) for line in r.iter_lines() if line]


def test_watch_from_version_replays_changes_then_times_out(http: httpx.Client) -> None:
    rv = http.get(CM).json()["metadata"]["resourceVersion"]
    http.post(CM, json={"metadata": {"name": "w", "labels": {"k": "v"}}})
    http.patch(f"{CM}/w", json={"data": {"a": "1"}}, headers={"Content-Type": "application/merge-patch+json"})
    http.delete(f"{CM}/w")
    events = _events(http, CM, resourceVersion=rv, timeoutSeconds="1")
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in events]
    assert rvs == sorted(rvs)


def test_watch_without_version_starts_with_current_objects(http: httpx.Client) -> None:
    http.post(CM, json={"metadata": {"name": "present"}})
    events = _events(http, CM, timeoutSeconds="1")
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [("ADDED", "present")]


def test_label_selector_transitions_become_added_and_deleted(http: httpx.Client) -> None:
    rv = http.get(CM).json()["metadata"]["resourceVersion"]
    http.post(CM, json={"metadata": {"name": "s"}})
    merge = {"Content-Type": "application/merge-patch+json"}
    http.patch(f"{CM}/s", json={"metadata": {"labels": {"on": "yes"}}}, headers=merge)
    http.patch(f"{CM}/s", json={"metadata": {"labels": {"on": None}}}, headers=merge)
    events = _events(http, CM, resourceVersion=rv, timeoutSeconds="1", labelSelector="on=yes")
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]


def test_compacted_version_gets_expired_error_event(srv: KubeApiServer, http: httpx.Client) -> None:
    rv = http.get(CM).json()["metadata"]["resourceVersion"]
    http.post(CM, json={"metadata": {"name": "old"}})
    srv.store.compact()
    events = _events(http, CM, resourceVersion=rv, timeoutSeconds="5")
    assert len(events) == 1 and events[0]["type"] == "ERROR"
    assert (events[0]["object"]["code"], events[0]["object"]["reason"]) == (410, "Expired")


def test_bookmarks_and_legacy_watch_path(http: httpx.Client) -> None:
    rv = http.get(CM).json()["metadata"]["resourceVersion"]
    events = _events(
        http,
        "/api/v1/watch/namespaces/default/configmaps",
        resourceVersion=rv,
        timeoutSeconds="1",
        allowWatchBookmarks="true",
    )
    assert events and {e["type"] for e in events} == {"BOOKMARK"}
    assert events[-1]["object"]["metadata"]["resourceVersion"] >= rv


def test_kubernetes_client_watch_sees_store_writes(
    srv: KubeApiServer, core: client.CoreV1Api, svc: Callable[..., dict[str, Any]]
) -> None:
    core.create_namespaced_service("default", svc("lb", type="LoadBalancer"))
    seen: list[str] = []
    ready = threading.Event()

    def write_status() -> None:
        ready.wait(5)
        srv.store.update_status(
            "v1", "Service", "default", "lb", {"loadBalancer": {"ingress": [{"ip": "172.29.52.200"}]}}
        )

    writer = threading.Thread(target=write_status)
    writer.start()
    w = watch.Watch()
    for event in w.stream(
        core.list_namespaced_service, "default", field_selector="metadata.name=lb", timeout_seconds=5
    ):
        ready.set()
        ingress = event["object"].status.load_balancer.ingress
        seen.append(event["type"])
        if ingress:
            assert ingress[0].ip == "172.29.52.200"
            w.stop()
    writer.join()
    assert seen == ["ADDED", "MODIFIED"]


def test_stop_closes_open_watches(srv: KubeApiServer, http: httpx.Client) -> None:
    done = threading.Event()

    def consume() -> None:
        with contextlib.suppress(httpx.HTTPError):
            _events(http, CM)
        done.set()

    t = threading.Thread(target=consume)
    t.start()
    http.post(CM, json={"metadata": {"name": "kick"}})
    srv.stop()
    assert done.wait(5), "watch stream still open after stop()"
    t.join()
