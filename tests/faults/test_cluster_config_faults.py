"""Each cluster_config scenario fails, naming the node, key, release or host, when its fault is in the lab."""

from __future__ import annotations

from typing import Any

import pytest

from harness.probes.kube import DAEMONSETS, NODES
from harness.rules.cluster_config import CILIUM_CONFIG, CONFIGMAPS
from lab.faults import inject
from tests.faults.labrun import FaultLab

pytestmark = pytest.mark.lab

FEATURE = "cluster_config.feature"
MERGE = "application/merge-patch+json"


def _patch(lab: FaultLab, path: str, body: dict[str, Any]) -> None:
    lab.api.request("PATCH", path, body=body, content_type=MERGE)


def test_conforming_lab_passes_cluster_config(lab: FaultLab) -> None:
    verdicts = lab.run_feature(FEATURE)
    verdicts.all_passed(skip_reason="Flux is not installed there")   # the lab runs no Flux
    assert "serves no source.toolkit.fluxcd.io/v1" in verdicts.find("Flux").message


def test_control_plane_taint(lab: FaultLab) -> None:
    path = NODES.path(None, "mini02")
    _patch(lab, path, {"spec": {"taints": [{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]}})
    try:
        v = lab.run_feature(FEATURE, "-k", "schedulable").failed("schedulable")
    finally:
        _patch(lab, path, {"spec": {"taints": None}})
    assert "node mini02" in v.message and "node-role.kubernetes.io/control-plane:NoSchedule" in v.message
    assert "allowSchedulingOnControlPlanes" in v.message and "mini01" not in v.message


@pytest.mark.parametrize(("key", "bad", "want"), [
    ("enable-bgp-control-plane", "false", "'true'"),
    ("kube-proxy-replacement", "false", "'true'"),
    ("bpf-lb-acceleration", "native", "'disabled'"),
])
def test_cilium_setting_drifts(lab: FaultLab, key: str, bad: str, want: str) -> None:
    path = CONFIGMAPS.path("kube-system", CILIUM_CONFIG)
    before = lab.api.get(CONFIGMAPS, CILIUM_CONFIG, "kube-system")
    assert before is not None
    _patch(lab, path, {"data": {key: bad}})
    try:
        v = lab.run_feature(FEATURE, "-k", "settings").failed("settings")
    finally:
        _patch(lab, path, {"data": {key: before["data"][key]}})
    assert "ConfigMap kube-system/cilium-config" in v.message
    assert f"{key}: {bad!r}; expected {key}: {want}" in v.message
    assert sum(k in v.message for k in ("enable-bgp-control-plane", "kube-proxy-replacement",
                                         "bpf-lb-acceleration")) == 1


def test_cilium_setting_missing_means_agent_default(lab: FaultLab) -> None:
    path = CONFIGMAPS.path("kube-system", CILIUM_CONFIG)
    before = lab.api.get(CONFIGMAPS, CILIUM_CONFIG, "kube-system")
    assert before is not None
    _patch(lab, path, {"data": {"enable-bgp-control-plane": None}})
    try:
        v = lab.run_feature(FEATURE, "-k", "settings").failed("settings")
    finally:
        _patch(lab, path, {"data": {"enable-bgp-control-plane": before["data"]["enable-bgp-control-plane"]}})
    assert "no enable-bgp-control-plane (the agent's default 'false')" in v.message


def test_other_cilium_release_runs(lab: FaultLab) -> None:
    ds = lab.api.get(DAEMONSETS, "cilium", "kube-system")
    assert ds is not None
    containers = ds["spec"]["template"]["spec"]["containers"]
    path = DAEMONSETS.path("kube-system", "cilium")
    changed = [{**c, "image": c["image"].rsplit(":", 1)[0] + ":v1.18.2"} for c in containers]
    _patch(lab, path, {"spec": {"template": {"spec": {"containers": changed}}}})
    try:
        v = lab.run_feature(FEATURE, "-k", "release").failed("release")
    finally:
        _patch(lab, path, {"spec": {"template": {"spec": {"containers": containers}}}})
    assert "Cilium 1.18.2 runs (DaemonSet kube-system/cilium image quay.io/cilium/cilium:v1.18.2)" in v.message
    assert "requires Cilium 1.17.6" in v.message


def test_router_loses_a_protected_host(lab: FaultLab) -> None:
    with lab.dns_record("hubble", "A", None, restore="172.29.52.200"):
        verdicts = lab.run_feature(FEATURE, "-k", "UDM")
    for family, server in (("ipv4", "172.29.51.1"), ("ipv6", "fd47:25e1:2f96:51::1")):
        v = verdicts.failed(f"UDM [{family}]")
        assert f"answered A hubble.k8s.home.geoffdavis.com at {server}: NOERROR, no addresses" in v.message
        assert "expected exactly 172.29.52.200" in v.message and "longhorn" not in v.message


def test_control_plane_vip_on_two_nodes(lab: FaultLab) -> None:
    with lab.restored():
        inject(lab.lab_dir, "vip-also", node="mini03")
        v = lab.run_feature(FEATURE, "-k", "shared_address").failed("shared address")
    assert "the control-plane address 172.29.51.10 is held by mini01 (eth0) and mini03 (eth0)" in v.message
    assert "expected exactly one node; two nodes answer ARP for it" in v.message
    assert "Talos AddressStatuses via" in v.message and "mini02" not in v.message
