"""Each lb_pools scenario fails, naming pool, service and addresses, when its fault is in the lab."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from harness.core.wait import wait_until
from harness.probes.kube import NAMESPACES, SERVICES, Resource
from provisioning.manifests import lb_service, namespace
from tests.faults.labrun import FaultLab

pytestmark = pytest.mark.lab

FEATURE = "lb_pools.feature"
FAULT = {"conformance.home-ops/fault": "injected"}


def _pools(lab: FaultLab) -> Resource:
    return lab.api.resource_for("cilium.io", "CiliumLoadBalancerIPPool")


def _patch_pool(lab: FaultLab, name: str, spec: dict[str, Any]) -> None:
    lab.api.request("PATCH", _pools(lab).path(None, name), body={"spec": spec},
                    content_type="application/merge-patch+json")


@contextmanager
def restored(lab: FaultLab) -> Iterator[FaultLab]:
    """Undo a fault: remove injected objects, re-apply the required state, wait for the ingress address."""
    try:
        yield lab
    finally:
        for res in (_pools(lab), SERVICES):
            for obj in lab.api.list(res, label_selector="conformance.home-ops/fault"):
                lab.api.delete(res, obj["metadata"]["name"], obj["metadata"].get("namespace"))
        lab.bootstrap()
        ing = lab.profile.ingress

        def ingress_ready() -> str | None:
            svc = lab.api.get(SERVICES, ing.service, ing.namespace) or {}
            got = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
            return None if len(got) == len(ing.addresses.families) else f"ingress addresses {got}"

        wait_until(ingress_ready, timeout=20, what="lab restored")


def test_conforming_lab_passes_every_scenario(lab: FaultLab) -> None:
    verdicts = lab.run_feature(FEATURE)
    assert verdicts.items and all(v.outcome == "passed" for v in verdicts.items), verdicts.output


def test_changed_range_is_named(lab: FaultLab) -> None:
    with restored(lab):
        _patch_pool(lab, "bgp-ingress", {"blocks": [{"start": "172.29.52.200", "stop": "172.29.52.210"}]})
        v = lab.run_feature(FEATURE).failed("every profiled pool exists")
    assert "pool bgp-ingress" in v.message
    assert "expected 172.29.52.200-172.29.52.220, seen 172.29.52.200-172.29.52.210" in v.message


def test_range_moved_out_of_the_pool_names_service_and_address(lab: FaultLab) -> None:
    with restored(lab):
        _patch_pool(lab, "bgp-default", {"blocks": [{"start": "172.29.60.100", "stop": "172.29.60.199"}]})
        v = lab.run_feature(FEATURE, "-k", "bgp-default-ipv4").failed("gets an")
    assert "lb-probe-bgp-default" in v.message and "outside pool bgp-default" in v.message
    assert "172.29.60." in v.message and "172.29.52.100-172.29.52.199" in v.message


def test_wrong_selector_is_named(lab: FaultLab) -> None:
    with restored(lab):
        _patch_pool(lab, "bgp-reserved", {"serviceSelector": {"matchLabels": {"io.cilium/lb-ipam-pool": "reserved"}}})
        verdicts = lab.run_feature(FEATURE)
    v = verdicts.failed("every profiled pool exists")
    assert "pool bgp-reserved" in v.message and "serviceSelector differs" in v.message
    assert "io.cilium/lb-ipam-pool=reserved" in v.message
    pending = verdicts.failed("bgp-reserved-ipv4")
    assert "lb-probe-bgp-reserved" in pending.message and "no ipv4 LoadBalancer address" in pending.message


def test_missing_pool_is_named(lab: FaultLab) -> None:
    with restored(lab):
        lab.api.delete(_pools(lab), "bgp-reserved")
        v = lab.run_feature(FEATURE).failed("every profiled pool exists")
    assert "pool bgp-reserved missing" in v.message and "172.29.52.221-172.29.52.250" in v.message


def test_overlapping_pool_is_named(lab: FaultLab) -> None:
    with restored(lab):
        lab.api.create(_pools(lab), {"apiVersion": _pools(lab).api_version, "kind": "CiliumLoadBalancerIPPool",
                                     "metadata": {"name": "rogue", "labels": FAULT},
                                     "spec": {"blocks": [{"cidr": "172.29.52.192/28"}],
                                              "serviceSelector": {"matchLabels": {"rogue": "yes"}}}})
        v = lab.run_feature(FEATURE).failed("no two pools overlap")
    assert "bgp-default" in v.message and "rogue (172.29.52.192/28)" in v.message and "overlap" in v.message
    assert "bgp-ingress (172.29.52.200-172.29.52.220)" in v.message


def test_ingress_address_taken_names_the_holder(lab: FaultLab) -> None:
    ing = lab.profile.ingress
    with restored(lab):
        lab.api.delete(SERVICES, ing.service, ing.namespace)
        lab.api.apply(NAMESPACES,
                      namespace("squatters", FAULT), field_manager="fault")
        thief = lb_service("squatters", "thief", labels={"io.cilium/lb-ipam-pool": "bgp-ingress", **FAULT},
                           families=("ipv4",), requested=("172.29.52.200",))
        lab.api.create(SERVICES, thief)
        wait_until(lambda: None if (lab.api.get(SERVICES, "thief", "squatters") or {}).get("status", {})
                   .get("loadBalancer", {}).get("ingress") else "thief has no address", timeout=10, what="thief")
        lab.bootstrap()
        v = lab.run_feature(FEATURE).failed("ingress controllers service holds")
        lab.api.delete(NAMESPACES, "squatters")
    assert f"{ing.namespace}/{ing.service}" in v.message
    assert "expected ipv4 address 172.29.52.200" in v.message and "held by squatters/thief" in v.message


def test_catch_all_pool_breaks_the_pending_scenario(lab: FaultLab) -> None:
    with restored(lab):
        lab.api.create(_pools(lab), {"apiVersion": _pools(lab).api_version, "kind": "CiliumLoadBalancerIPPool",
                                     "metadata": {"name": "catch-all", "labels": FAULT},
                                     "spec": {"blocks": [{"cidr": "172.29.99.0/24"}]}})
        v = lab.run_feature(FEATURE, "-k", "stays_pending").failed("stays pending")
    assert "lb-probe-absent" in v.message and "172.29.99." in v.message and "pool catch-all" in v.message


