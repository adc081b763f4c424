"""CustomResourceDefinitions with the lab's Cilium CRDs (lab/seed/cilium_crds.py): serving, schema
rules, lifecycle, and how definitions given as objects and as files combine.

pytest tests/lab/kube/test_kube_crds.py
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import httpx
import yaml

from harness.model.cilium_versions import CiliumVersion
from lab.kube import KubeApiServer
from lab.kube.crds import choose_crds
from lab.seed import cilium_crds

POOLS = "/apis/cilium.io/v2/ciliumloadbalancerippools"
PEERING = "/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
RELEASE = CiliumVersion.parse("1.18.6")     # what conftest's server runs: every kind, v2 and v2alpha1


def _ours(plural: str) -> dict[str, Any]:
    return next(c for c in cilium_crds(RELEASE) if c["spec"]["names"]["plural"] == plural)


def _only_v2alpha1(crd: dict[str, Any]) -> dict[str, Any]:
    """The same CRD as an older Cilium would install it: v2alpha1 only, as the storage version."""
    old = copy.deepcopy(crd)
    old["spec"]["versions"] = [dict(v, storage=True, deprecated=False) for v in old["spec"]["versions"]
                               if v["name"] == "v2alpha1"]
    return old


def _pool(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumLoadBalancerIPPool", "metadata": {"name": name}, "spec": spec}


def test_pool_crd_serves_v2_and_v2alpha1(http: httpx.Client) -> None:
    crd = http.get(f"{CRDS}/ciliumloadbalancerippools.cilium.io").json()
    assert [v["name"] for v in crd["spec"]["versions"]] == ["v2", "v2alpha1"]
    conds = {c["type"]: c["status"] for c in crd["status"]["conditions"]}
    assert conds == {"Established": "True", "NamesAccepted": "True"}
    http.post(POOLS, json=_pool("p", blocks=[{"cidr": "172.29.52.0/24"}]))
    old = http.get("/apis/cilium.io/v2alpha1/ciliumloadbalancerippools/p").json()
    assert old["apiVersion"] == "cilium.io/v2alpha1" and old["spec"]["blocks"][0]["cidr"] == "172.29.52.0/24"


def test_schema_violations_are_422_with_field_paths(http: httpx.Client) -> None:
    r = http.post(POOLS, json=_pool("bad", blocks=[{"cidr": 5}], allowFirstLastIPs="Maybe"))
    body = r.json()
    assert (r.status_code, body["reason"]) == (422, "Invalid")
    fields = {c["field"] for c in body["details"]["causes"]}
    assert {"spec.blocks[0].cidr", "spec.allowFirstLastIPs"} <= fields
    missing = http.post(
        PEERING,
        json={
            "apiVersion": "cilium.io/v2alpha1",
            "kind": "CiliumBGPPeeringPolicy",
            "metadata": {"name": "m"},
            "spec": {},
        },
    )
    assert [c["field"] for c in missing.json()["details"]["causes"]] == ["spec.virtualRouters"]


def test_unknown_fields_pruned_or_rejected_when_strict(http: httpx.Client) -> None:
    body = _pool("u", blocks=[{"cidr": "10.0.0.0/24", "junk": 1}], extra=True)
    r = http.post(POOLS, json=body, params={"fieldValidation": "Strict"})
    assert r.status_code == 400 and 'unknown field "spec.extra"' in r.json()["message"]
    stored = http.post(POOLS, json=body).json()
    assert "extra" not in stored["spec"] and stored["spec"]["blocks"] == [{"cidr": "10.0.0.0/24"}]


def test_schema_defaults_applied(http: httpx.Client) -> None:
    # The v2alpha1 CiliumBGPPeeringPolicy schema the lab serves has no serviceAdvertisements field
    # (lab/seed/SOURCE.md); its defaults are exportPodCIDR=false and per-neighbor timers/port.
    policy = {
        "apiVersion": "cilium.io/v2alpha1",
        "kind": "CiliumBGPPeeringPolicy",
        "metadata": {"name": "bgp"},
        "spec": {
            "virtualRouters": [{"localASN": 64512, "neighbors": [{"peerASN": 64513, "peerAddress": "172.29.51.1/32"}]}]
        },
    }
    out = http.post(PEERING, json=policy).json()
    router = out["spec"]["virtualRouters"][0]
    assert router["exportPodCIDR"] is False
    neighbor = router["neighbors"][0]
    assert (neighbor["peerPort"], neighbor["holdTimeSeconds"], neighbor["eBGPMultihopTTL"]) == (179, 90, 1)


def test_status_subresource_for_crd_that_declares_it(http: httpx.Client) -> None:
    created = http.post(POOLS, json=dict(_pool("s", blocks=[{"cidr": "10.1.0.0/24"}]), status={"conditions": []}))
    assert "status" not in created.json()
    obj = created.json()
    cond = {
        "type": "cilium.io/IPsAvailable",
        "status": "True",
        "reason": "x",
        "message": "254",
        "lastTransitionTime": "2025-01-01T00:00:00Z",
    }
    r = http.put(f"{POOLS}/s/status", json=dict(obj, status={"conditions": [cond]}))
    assert r.status_code == 200, r.text
    assert r.json()["status"]["conditions"][0]["message"] == "254"


def test_creating_and_deleting_a_crd_changes_discovery_and_objects(http: httpx.Client, tmp_path: Path) -> None:
    http.delete(f"{CRDS}/ciliumbgpadvertisements.cilium.io")
    assert "ciliumbgpadvertisements" not in {r["name"] for r in http.get("/apis/cilium.io/v2").json()["resources"]}
    crd = _ours("ciliumbgpadvertisements")
    assert http.post(CRDS, json=crd).status_code == 201
    assert "ciliumbgpadvertisements" in {r["name"] for r in http.get("/apis/cilium.io/v2").json()["resources"]}
    adv = {
        "apiVersion": "cilium.io/v2",
        "kind": "CiliumBGPAdvertisement",
        "metadata": {"name": "a"},
        "spec": {"advertisements": [{"advertisementType": "Service", "service": {"addresses": ["LoadBalancerIP"]}}]},
    }
    assert http.post("/apis/cilium.io/v2/ciliumbgpadvertisements", json=adv).status_code == 201
    http.delete(f"{CRDS}/ciliumbgpadvertisements.cilium.io")
    assert http.get("/apis/cilium.io/v2/ciliumbgpadvertisements/a").status_code == 404


def test_the_definition_serving_more_versions_wins_in_any_order() -> None:
    new, old = _ours("ciliumloadbalancerippools"), _only_v2alpha1(_ours("ciliumloadbalancerippools"))
    for docs in ([new, old], [old, new]):
        (chosen,) = choose_crds(docs)
        assert [v["name"] for v in chosen["spec"]["versions"]] == ["v2", "v2alpha1"]


def test_crd_files_and_crd_objects_combine(tmp_path: Path) -> None:
    old = tmp_path / "old-pool-crd.yaml"
    old.write_text(yaml.safe_dump(_only_v2alpha1(_ours("ciliumloadbalancerippools"))))
    server = KubeApiServer(tmp_path / "kube", crd_files=[old], crds=[_ours("ciliumbgppeeringpolicies")])
    server.start()
    try:
        crds = server.store.list("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        served = {c["metadata"]["name"]: [v["name"] for v in c["spec"]["versions"]] for c in crds}
        assert served == {"ciliumloadbalancerippools.cilium.io": ["v2alpha1"],
                          "ciliumbgppeeringpolicies.cilium.io": ["v2alpha1"]}
    finally:
        server.stop()
