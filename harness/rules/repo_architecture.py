"""Repo judgements for architecture statements beyond the first six areas (docs/coverage.md): every node a
control-plane node that takes workloads (talconfig), and Cilium's XDP acceleration (its Helm values).

    control_plane_scheduling(profile, repo)   # [Drift("cluster.control_plane_schedulable ...", ...)]
    lb_acceleration(profile, repo)            # [Drift("cilium.lb_acceleration ...", ...)]

Scheduling on control-plane nodes is Talos's ``cluster.allowSchedulingOnControlPlanes`` (machine config,
in a patch talconfig references) or talhelper's top-level ``allowSchedulingOnControlPlanes`` (older
talhelper: ``allowSchedulingOnMasters``); any of them true, and none false, lets workloads onto the
nodes. XDP acceleration is the chart's ``loadBalancer.acceleration`` (rendered into cilium-config as
``bpf-lb-acceleration``; absent means the agent's ``disabled``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from harness.model.profile import Profile
from harness.repo.cilium import lb_acceleration as lb_acceleration_of
from harness.repo.state import TALCONFIG, RepoState
from harness.rules.findings import Drift
from harness.rules.requirements import Requirement as R

SCHEDULABLE = "cluster.control_plane_schedulable"
ACCELERATION = "cilium.lb_acceleration (Cilium loadBalancer.acceleration)"
TALHELPER_KEYS = ("allowSchedulingOnControlPlanes", "allowSchedulingOnMasters")


def _documents(path: Path) -> list[Any]:
    try:
        return [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except (OSError, yaml.YAMLError):
        return []        # missing or malformed files are the repo state's gaps, reported there


def _patch_lists(conf: dict[str, Any]) -> list[tuple[str, list[Any]]]:
    """Where talhelper takes patches from: top-level, controlPlane/worker and per-node ``patches``."""
    lists = [("patches", list(conf.get("patches") or []))]
    lists += [(f"{g}.patches", list((conf.get(g) or {}).get("patches") or [])) for g in ("controlPlane", "worker")
              if isinstance(conf.get(g), dict)]
    lists += [(f"nodes[{n.get('hostname')}].patches", list(n.get("patches") or []))
              for n in conf.get("nodes") or [] if isinstance(n, dict)]
    return lists


def _patch_documents(root: Path, patch: Any) -> tuple[str, list[Any]]:
    """A patch entry as (file or "inline", its documents): ``@./file`` references, inline YAML text, mappings."""
    if isinstance(patch, str) and patch.startswith("@"):
        name = patch[1:].removeprefix("./")
        return name, _documents(root / name)
    if isinstance(patch, str):
        try:
            return "inline", [d for d in yaml.safe_load_all(patch) if d is not None]
        except yaml.YAMLError:
            return "inline", []
    return "inline", [patch]


def scheduling_declarations(repo: RepoState) -> list[tuple[bool, str]]:
    """(value, where) of every declaration talhelper applies that allows or forbids workloads on
    control-plane nodes (talconfig's own keys, and ``cluster.allowSchedulingOnControlPlanes`` in the
    strategic-merge patches it references or holds inline)."""
    docs = _documents(repo.root / TALCONFIG)[:1]
    conf = docs[0] if docs and isinstance(docs[0], dict) else {}
    found = [(bool(conf[k]), f"{TALCONFIG}: {k}") for k in TALHELPER_KEYS if k in conf]
    for where, patches in _patch_lists(conf):
        for index, patch in enumerate(patches):
            source, patch_docs = _patch_documents(repo.root, patch)
            entry = f"{TALCONFIG}: {where}[{index}]"
            label = entry if source == "inline" else f"{source} ({entry})"
            for doc in patch_docs:
                cluster = doc.get("cluster") if isinstance(doc, dict) else None
                if isinstance(cluster, dict) and "allowSchedulingOnControlPlanes" in cluster:
                    found.append((bool(cluster["allowSchedulingOnControlPlanes"]),
                                  f"{label}: cluster.allowSchedulingOnControlPlanes"))
    return found


def control_plane_scheduling(profile: Profile, repo: RepoState) -> list[Drift]:
    """Every profiled node is a control-plane node in talconfig, and the applied configuration lets
    workloads run on control-plane nodes. No talconfig: [] (the scenario skips, saying so)."""
    if repo.talos is None:
        return []
    found = []
    nodes = {n.hostname: n for n in repo.talos.nodes}
    for node in profile.nodes:
        declared = nodes.get(node.name)
        if declared is None:
            found.append(Drift(R.CONTROL_PLANE, f"{SCHEDULABLE} (talconfig node {node.name})", "a control-plane node",
                               "no such node", TALCONFIG, f"{TALCONFIG}: nodes[{node.name}]"))
        elif not declared.control_plane:
            found.append(Drift(R.CONTROL_PLANE, f"{SCHEDULABLE} (talconfig node {node.name})", "controlPlane: true",
                               "controlPlane: false or absent (a worker only)", TALCONFIG,
                               f"{TALCONFIG}: nodes[{node.name}]"))
    decls = scheduling_declarations(repo)
    found += [Drift(R.CONTROL_PLANE,
                    f"{SCHEDULABLE} (Talos allowSchedulingOnControlPlanes)", "true", "false", where, where)
              for value, where in decls if not value]
    if not any(value for value, _ in decls):
        found.append(Drift(R.CONTROL_PLANE, f"{SCHEDULABLE} (Talos allowSchedulingOnControlPlanes)", "true",
                           "absent (Talos then taints control-plane nodes NoSchedule)",
                           f"{TALCONFIG} and the patches it references", TALCONFIG))
    return found


def lb_acceleration(profile: Profile, repo: RepoState) -> list[Drift]:
    """Each source of Cilium's values (the applied cilium HelmReleases, else the Taskfile's helm install)
    sets the profiled XDP acceleration; none: [] (the scenario skips, saying so)."""
    want = profile.cilium.lb_acceleration
    sources: list[tuple[dict[str, Any], str]] = [(r.values, str(r.origin)) for r in repo.releases_of_chart("cilium")]
    if not sources:
        sources = [(i.values, i.where) for i in repo.bootstrap_installs if not i.missing]
    return [Drift(R.CILIUM_SETTINGS, ACCELERATION, want, have, where, where)
            for values, where in sources if (have := lb_acceleration_of(values)) != want]


CHECKS = (control_plane_scheduling, lb_acceleration)   # run by harness.rules.drift.drift
