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

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from harness.model.profile import Profile
from harness.repo.cilium import lb_acceleration as lb_acceleration_of
from harness.repo.state import TALCONFIG, RepoState
from harness.rules.cluster_config import vip_address
from harness.rules.findings import Drift
from harness.rules.requirements import Requirement
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
    for label, doc in _patch_docs(repo.root, conf):
        cluster = doc.get("cluster") if isinstance(doc, dict) else None
        if isinstance(cluster, dict) and "allowSchedulingOnControlPlanes" in cluster:
            found.append((bool(cluster["allowSchedulingOnControlPlanes"]),
                          f"{label}: cluster.allowSchedulingOnControlPlanes"))
    return found


def _patch_docs(root: Path, conf: dict[str, Any], scopes: Callable[[str], bool] = lambda where: True
                ) -> Iterator[tuple[str, Any]]:
    """(where, document) of every patch document talhelper applies, from the patch lists ``scopes`` keeps."""
    for where, patches in _patch_lists(conf):
        if not scopes(where):
            continue
        for index, patch in enumerate(patches):
            source, patch_docs = _patch_documents(root, patch)
            entry = f"{TALCONFIG}: {where}[{index}]"
            label = entry if source == "inline" else f"{source} ({entry})"
            for doc in patch_docs:
                yield label, doc


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


CONTROL_PLANE_VIP = Requirement.declare("control_plane_vip",
                                        "cluster_config.feature: controlplane address is one nodes shared address")
VIP = "cluster.api_endpoint (Talos vip.ip on the control-plane nodes' management link)"


def vip_declarations(repo: RepoState) -> list[tuple[str, str, str]]:
    """(address, link, where) of every shared VIP talhelper applies to control-plane nodes: a
    ``machine.network.interfaces[].vip.ip`` in a patch it references or holds inline (top-level,
    controlPlane and control-plane nodes' patches) and talhelper's ``nodes[].networkInterfaces[].vip.ip``."""
    docs = _documents(repo.root / TALCONFIG)[:1]
    conf = docs[0] if docs and isinstance(docs[0], dict) else {}
    control = {str(n.get("hostname")) for n in conf.get("nodes") or [] if isinstance(n, dict) and n.get("controlPlane")}
    found: list[tuple[str, str, str]] = []

    def interfaces(items: Any, label: str) -> None:
        for item in items or []:
            if isinstance(item, dict) and isinstance(item.get("vip"), dict) and item["vip"].get("ip"):
                link = str(item.get("interface") or "deviceSelector " + str(item.get("deviceSelector") or {}))
                found.append((str(item["vip"]["ip"]), link, f"{label}: vip.ip"))

    for node in conf.get("nodes") or []:
        if isinstance(node, dict) and str(node.get("hostname")) in control:
            interfaces(node.get("networkInterfaces"), f"{TALCONFIG}: nodes[{node.get('hostname')}].networkInterfaces")
    def control_plane(where: str) -> bool:
        return where != "worker.patches" and not (where.startswith("nodes[") and where[6:].split("]")[0] not in control)

    for label, doc in _patch_docs(repo.root, conf, control_plane):
        machine = doc.get("machine") if isinstance(doc, dict) else None
        network = machine.get("network") if isinstance(machine, dict) else None
        if isinstance(network, dict):
            interfaces(network.get("interfaces"), f"{label}: machine.network.interfaces")
    return found


def control_plane_vip(profile: Profile, repo: RepoState) -> list[Drift]:
    """The API endpoint's address is the shared VIP talhelper gives the control-plane nodes (Talos elects
    one holder and announces it on the link by ARP: the architecture's "L2 for control plane"). No
    talconfig or no IP endpoint in the profile: [] (the scenario skips, saying so)."""
    vip = vip_address(profile)
    if repo.talos is None or not vip:
        return []
    decls = vip_declarations(repo)
    found = [Drift(CONTROL_PLANE_VIP, VIP, vip, f"{ip} on {link}", where, where)
             for ip, link, where in decls if ip != vip]
    if not any(ip == vip for ip, _, _ in decls):
        found.append(Drift(CONTROL_PLANE_VIP, VIP, vip, "no shared VIP declared for the control-plane nodes "
                           "(nothing announces the API endpoint's address)",
                           f"{TALCONFIG} and the patches it references", TALCONFIG))
    return found


CHECKS = (control_plane_scheduling, lb_acceleration, control_plane_vip)   # run by harness.rules.drift.drift
