"""harness/rules/cluster_config.py on objects: control-plane nodes that take workloads, Cilium's release."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.model.cilium_versions import CiliumVersion
from harness.model.profile import load_profile
from harness.rules.cluster_config import cilium_version_problem, control_plane_problems

PROFILE = load_profile(Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "home-ops.yaml")
ROLE = "node-role.kubernetes.io/control-plane"


def _node(name: str, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "labels": {ROLE: ""} if labels is None else labels}, "spec": spec}


def test_three_schedulable_control_planes_pass() -> None:
    assert control_plane_problems(PROFILE, [_node(n.name) for n in PROFILE.nodes], "u") == []


def test_each_problem_names_its_node() -> None:
    nodes = [_node("mini01", taints=[{"key": "node-role.kubernetes.io/master", "effect": "NoSchedule"},
                                     {"key": "example.com/other", "effect": "NoSchedule"}]),
             _node("mini02", labels={}, unschedulable=True)]
    problems = control_plane_problems(PROFILE, nodes, "u")
    assert len(problems) == 4, problems
    assert problems[0].startswith("node mini01 at u has taint node-role.kubernetes.io/master:NoSchedule")
    assert problems[1].startswith("node mini02 at u has no node-role.kubernetes.io/control-plane label")
    assert problems[2].startswith("node mini02 at u is cordoned")
    assert problems[3].startswith("node mini03 is not registered at u")


def test_release_mismatch_names_both_releases() -> None:
    assert cilium_version_problem(PROFILE, CiliumVersion.parse("1.17.6"), "x") is None
    assert cilium_version_problem(PROFILE, CiliumVersion.parse("v1.19.1"), "DaemonSet kube-system/cilium") == (
        "Cilium 1.19.1 runs (DaemonSet kube-system/cilium); the profile requires Cilium 1.17.6 (cilium.version)")
