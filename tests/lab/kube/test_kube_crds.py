"""CustomResourceDefinitions with the real Cilium CRD files: serving, schema rules, lifecycle.

pytest tests/lab/kube/test_kube_crds.py
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

POOLS = "/apis/cilium.io/v2/ciliumloadbalancerippools"
PEERING = "/apis/cilium.io/v2alpha1/ciliumbgppeeringpolicies"
CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
REF = Path(__file__).resolve().parents[4] / "shared" / "reference" / "crds" / "cilium"


def _pool(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumLoadBalancerIPPool", "metadata": {"name": name}, "spec": spec}


def test_v2_file_replaces_v2alpha1_and_both_versions_are_served(http: httpx.Client) -> None:
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
    # This copy of the v2alpha1 CiliumBGPPeeringPolicy CRD has no serviceAdvertisements field;
    # its defaults are exportPodCIDR=false and per-neighbor timers/port.
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
    crd = yaml.safe_load((REF / "v2" / "ciliumbgpadvertisements.yaml").read_text())
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
