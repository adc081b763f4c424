"""Each dual_stack scenario fails, naming node, family and values, when its fault is in the lab."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.probes.kube import DAEMONSETS, NODES
from lab.faults import inject
from tests.edits import replace_once
from tests.faults.labrun import PROFILE, FaultLab

pytestmark = pytest.mark.lab

FEATURE = "dual_stack.feature"
FAULT = {"conformance.home-ops/fault": "injected"}


def _patch(lab: FaultLab, path: str, body: dict[str, Any]) -> None:
    lab.api.request("PATCH", path, body=body, content_type="application/merge-patch+json")


def test_conforming_lab_passes_dual_stack(lab: FaultLab) -> None:
    verdicts = lab.run_feature(FEATURE)
    verdicts.all_passed()


def test_node_without_ipv6_internal_ip(lab: FaultLab) -> None:
    before = lab.api.get(NODES, "mini02")
    assert before is not None
    addresses = before["status"]["addresses"]
    _patch(lab, NODES.path(None, "mini02") + "/status",
           {"status": {"addresses": [a for a in addresses if ":" not in a["address"]]}})
    try:
        v = lab.run_feature(FEATURE, "-k", "InternalIP").failed("InternalIP [ipv6]")
    finally:
        _patch(lab, NODES.path(None, "mini02") + "/status", {"status": {"addresses": addresses}})
    assert "node mini02" in v.message and "reports no ipv6 InternalIP" in v.message
    assert "172.29.51.12" in v.message and "expected fd47:25e1:2f96:51::12" in v.message


def test_node_without_ipv6_pod_cidr(lab: FaultLab) -> None:
    before = lab.api.get(NODES, "mini03")
    assert before is not None
    cidrs = before["spec"]["podCIDRs"]
    _patch(lab, NODES.path(None, "mini03"), {"spec": {"podCIDRs": [c for c in cidrs if ":" not in c]}})
    try:
        v = lab.run_feature(FEATURE, "-k", "pod_cidr").failed("pod CIDR [ipv6]")
    finally:
        _patch(lab, NODES.path(None, "mini03"), {"spec": {"podCIDRs": cidrs}})
    assert "node mini03" in v.message and "0 ipv6 pod CIDRs" in v.message and "10.244." in v.message


def test_kube_proxy_present_although_replaced(lab: FaultLab) -> None:
    ds = {"apiVersion": "apps/v1", "kind": "DaemonSet",
          "metadata": {"name": "kube-proxy", "namespace": "kube-system", "labels": {"k8s-app": "kube-proxy", **FAULT}},
          "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}},
                   "template": {"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                                "spec": {"containers": [{"name": "kube-proxy", "image": "kube-proxy:v1.31.1"}]}}}}
    lab.api.create(DAEMONSETS, ds)
    try:
        v = lab.run_feature(FEATURE, "-k", "kubeproxy").failed("kubeproxy")
    finally:
        lab.api.delete(DAEMONSETS, "kube-proxy", "kube-system")
    assert "kube-proxy runs at" in v.message and "DaemonSet kube-proxy" in v.message


def test_node_not_answering_icmpv6(lab: FaultLab) -> None:
    inject(lab.lab_dir, "icmp-ignore", node="mini01", family="ipv6")
    try:
        verdicts = lab.run_feature(FEATURE, "-k", "echo")
    finally:
        inject(lab.lab_dir, "clear")
    v = verdicts.failed("echo [ipv6]")
    assert "node mini01 did not answer an ipv6 echo request on fd47:25e1:2f96:51::11" in v.message
    assert "mini02" not in v.message
    verdicts.passed("echo [ipv4]")


def test_missing_aaaa_record(lab: FaultLab) -> None:
    with lab.dns_record("longhorn", "AAAA", None, restore="fd47:25e1:2f96:51:100::c8"):
        verdicts = lab.run_feature(FEATURE, "-k", "record")
    v = verdicts.failed("record [ipv6]")
    assert "AAAA longhorn.k8s.home.geoffdavis.com" in v.message and "no addresses" in v.message
    assert "expected exactly fd47:25e1:2f96:51:100::c8" in v.message
    verdicts.passed("record [ipv4]")


def test_single_stack_service_network(tmp_path: Path) -> None:
    text = PROFILE.read_text()
    old = '  services:      {ipv4: 10.96.0.0/12, ipv6: "fd47:25e1:2f96:51:1000::/108"}'
    assert old in text
    single = tmp_path / "single-stack.yaml"
    single.write_text(replace_once(text, old, "  services:      {ipv4: 10.96.0.0/12}"))
    with FaultLab.start(tmp_path / "lab", lab_profile=single, bootstrap=False) as lab:
        v = lab.run_feature(FEATURE, "-k", "RequireDualStack").failed("RequireDualStack")
    assert "dual-stack-probe" in v.message and "422" in v.message and "RequireDualStack" in v.message


def test_services_outside_the_profiled_service_network(lab: FaultLab, tmp_path: Path) -> None:
    """The lab's API server allocates from 10.96.0.0/12; judged by a profile that requires 10.112.0.0/12,
    every Service's IPv4 ClusterIP is outside it, and each is named."""
    text = PROFILE.read_text()
    old = '  services:      {ipv4: 10.96.0.0/12, ipv6: "fd47:25e1:2f96:51:1000::/108"}'
    moved = tmp_path / "moved-service-network.yaml"
    moved.write_text(replace_once(text, old, old.replace("10.96.0.0/12", "10.112.0.0/12")))
    v = lab.run_feature(FEATURE, "-k", "ClusterIPs", judged_by=moved).failed("ClusterIPs lie inside")
    assert "service ingress-nginx-internal/ingress-nginx-internal-controller" in v.message
    assert "ipv4 ClusterIP 10.96." in v.message and "outside the profiled service network 10.112.0.0/12" in v.message
    assert "ipv6 ClusterIP" not in v.message
