"""Talos intent from a talhelper ``talconfig.yaml`` and the patch files next to it.

    intent = read_talos(repo_root)
    [d.value.filesystem for d in intent.user_volumes]   # every declaration, each with its source file

talhelper semantics (https://budimanjojo.github.io/talhelper/latest/reference/configuration/): the
top-level ``patches``, ``controlPlane.patches``/``worker.patches`` and ``nodes[].patches`` entries are
inline YAML strings or ``@./file`` references, applied in that order over the generated config
(Talos strategic merge, https://www.talos.dev/latest/talos-guides/configuration/patching/: later wins).
Patch files under ``talos/patches/`` that talconfig does not reference are NOT applied by talhelper;
they are still read (a bootstrap task may apply them by hand) and their values are exposed with
``applied=False`` so a disagreement between files is visible rather than silently resolved.
Recognised: install disk selector, userVolumes (talhelper field, ``machine.userVolumes`` in patches,
and UserVolumeConfig documents; filesystem defaults to xfs), systemDiskEncryption and VolumeConfig
encryption per volume, cluster pod/service subnets, ``cluster.proxy.disabled``, and the labels each
node's Kubernetes Node gets: ``kubernetes.io/hostname`` and ``kubernetes.io/os`` (the kubelet),
``node-role.kubernetes.io/control-plane`` on control-plane nodes (Talos), ``nodeLabels`` of talconfig
(node, then its group) and ``machine.nodeLabels`` of the patches talhelper applies to the node.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from harness.core.netaddr import IPNetwork
from harness.repo.types import Obj
from harness.repo.yamlio import load_mapping, parse_any, read_text, relative

T = TypeVar("T")
PATCH_DIR = "talos/patches"


@dataclass(frozen=True)
class Declared(Generic[T]):
    value: T
    source: str                  # file and field, e.g. "talconfig.yaml: clusterPodNets"
    applied: bool                # talhelper applies it: talconfig itself or a patch it references

    def __str__(self) -> str:
        return f"{self.value} ({self.source}{'' if self.applied else ', not referenced by talconfig.yaml'})"


@dataclass(frozen=True)
class UserVolume:
    name: str
    disk_selector: str           # CEL expression, e.g. disk.model == "Portable SSD T5"
    filesystem: str


@dataclass(frozen=True)
class TalosNode:
    hostname: str
    ip: str
    control_plane: bool


@dataclass(frozen=True)
class TalosIntent:
    cluster_name: str
    nodes: tuple[TalosNode, ...]
    install_disk_models: tuple[Declared[str], ...]
    user_volumes: tuple[Declared[UserVolume], ...]
    encryption: tuple[Declared[tuple[str, str]], ...]       # ((volume, provider)), volume STATE/EPHEMERAL
    pod_subnets: tuple[Declared[tuple[IPNetwork, ...]], ...]
    service_subnets: tuple[Declared[tuple[IPNetwork, ...]], ...]
    proxy_disabled: tuple[Declared[bool], ...]
    patch_files_applied: tuple[str, ...]
    patch_files_unreferenced: tuple[str, ...]
    patch_files_missing: tuple[str, ...]
    node_labels: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()   # hostname -> labels

    def labels_of(self, hostname: str) -> dict[str, str] | None:
        """The labels the repo gives the node (None: talconfig has no such node)."""
        found = dict(self.node_labels).get(hostname)
        return dict(found) if found is not None else None


class _Collector:
    def __init__(self) -> None:
        self.fields: dict[str, list[Declared[Any]]] = {k: [] for k in (
            "install", "volumes", "encryption", "pods", "services", "proxy")}
        self.labels: list[tuple[str, dict[str, str]]] = []     # (scope: "", "controlPlane", "node:<host>")

    def add(self, key: str, value: Any, source: str, applied: bool) -> None:
        self.fields[key].append(Declared(value, source, applied))

    def patch_document(self, doc: Any, source: str, applied: bool, scope: str = "") -> None:
        if not isinstance(doc, dict):
            return
        labels = (doc.get("machine") or {}).get("nodeLabels") if isinstance(doc.get("machine"), dict) else None
        if applied and isinstance(labels, dict):
            self.labels.append((scope, {str(k): str(v) for k, v in labels.items()}))
        if doc.get("kind") == "UserVolumeConfig":
            self.add("volumes", _volume(doc), f"{source}: UserVolumeConfig {doc.get('name')}", applied)
        elif doc.get("kind") == "VolumeConfig" and (doc.get("encryption") or {}).get("provider"):
            self.add("encryption", (str(doc.get("name")), str(doc["encryption"]["provider"])),
                     f"{source}: VolumeConfig {doc.get('name')}", applied)
        machine, cluster = doc.get("machine") or {}, doc.get("cluster") or {}
        model = ((machine.get("install") or {}).get("diskSelector") or {}).get("model")
        if model is not None:
            self.add("install", str(model), f"{source}: machine.install.diskSelector.model", applied)
        for raw in machine.get("userVolumes") or []:
            self.add("volumes", _volume(raw), f"{source}: machine.userVolumes[{raw.get('name')}]", applied)
        for volume, conf in (machine.get("systemDiskEncryption") or {}).items():
            if isinstance(conf, dict) and conf.get("provider"):
                self.add("encryption", (str(volume).upper(), str(conf["provider"])),
                         f"{source}: machine.systemDiskEncryption.{volume}", applied)
        network = cluster.get("network") or {}
        for key, name in (("pods", "podSubnets"), ("services", "serviceSubnets")):
            if network.get(name):
                self.add(key, _nets(network[name]), f"{source}: cluster.network.{name}", applied)
        if "disabled" in (cluster.get("proxy") or {}):
            self.add("proxy", bool(cluster["proxy"]["disabled"]), f"{source}: cluster.proxy.disabled", applied)


def _volume(raw: Obj) -> UserVolume:
    selector = ((raw.get("provisioning") or {}).get("diskSelector") or {}).get("match", "")
    return UserVolume(str(raw.get("name", "")), str(selector),
                      str((raw.get("filesystem") or {}).get("type") or "xfs"))


def _nets(values: Any) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(str(v), strict=False) for v in values or [])


def read_talos(root: Path, talconfig: str = "talconfig.yaml") -> TalosIntent | None:
    """None when the repo has no talconfig.yaml (the caller records the gap)."""
    path = root / talconfig
    if not path.is_file():
        return None
    conf = load_mapping(path, root)
    found = _Collector()
    name = relative(path, root)
    for key, fld in (("pods", "clusterPodNets"), ("services", "clusterSvcNets")):
        if conf.get(fld):
            found.add(key, _nets(conf[fld]), f"{name}: {fld}", True)
    nodes = []
    for node in conf.get("nodes") or []:
        host = str(node.get("hostname", ""))
        nodes.append(TalosNode(host, str(node.get("ipAddress", "")), bool(node.get("controlPlane", False))))
        model = (node.get("installDiskSelector") or {}).get("model")
        if model is not None:
            found.add("install", str(model), f"{name}: nodes[{host}].installDiskSelector.model", True)
    for group in ("controlPlane", "worker"):
        for raw in (conf.get(group) or {}).get("userVolumes") or []:
            found.add("volumes", _volume(raw), f"{name}: {group}.userVolumes[{raw.get('name')}]", True)
    missing: list[str] = []
    applied = _apply_patches(root, path, conf, found, missing)
    unreferenced = [p for p in sorted((root / PATCH_DIR).glob("*.y*ml")) if relative(p, root) not in applied]
    for patch in unreferenced:
        for doc in parse_any(read_text(patch, root), relative(patch, root)):
            found.patch_document(doc, relative(patch, root), applied=False)
    f = found.fields
    return TalosIntent(str(conf.get("clusterName", "")), tuple(nodes), tuple(f["install"]), tuple(f["volumes"]),
                       tuple(f["encryption"]), tuple(f["pods"]), tuple(f["services"]), tuple(f["proxy"]),
                       tuple(applied), tuple(relative(p, root) for p in unreferenced), tuple(missing),
                       _node_labels(conf, found.labels))


def _node_labels(conf: Obj, patched: list[tuple[str, dict[str, str]]]) -> tuple[tuple[str, tuple[tuple[str, str], ...]],
                                                                                 ...]:
    out = []
    for node in conf.get("nodes") or []:
        if not isinstance(node, dict):
            continue
        host = str(node.get("hostname", ""))
        group = "controlPlane" if node.get("controlPlane") else "worker"
        labels = {"kubernetes.io/hostname": host, "kubernetes.io/os": "linux"}
        if node.get("controlPlane"):
            labels["node-role.kubernetes.io/control-plane"] = ""
        for scope, found in patched:
            if scope in ("", group, f"node:{host}"):
                labels.update(found)
        labels.update({str(k): str(v) for k, v in ((conf.get(group) or {}).get("nodeLabels") or {}).items()})
        labels.update({str(k): str(v) for k, v in (node.get("nodeLabels") or {}).items()})
        out.append((host, tuple(sorted(labels.items()))))
    return tuple(out)


def _patch_lists(conf: Obj) -> list[tuple[str, str, list[Any]]]:
    """(where, scope, patches): scope "" for every node, the group, or ``node:<hostname>``."""
    lists = [("patches", "", list(conf.get("patches") or []))]
    lists += [(f"{g}.patches", g, list((conf.get(g) or {}).get("patches") or [])) for g in ("controlPlane", "worker")]
    lists += [(f"nodes[{n.get('hostname')}].patches", f"node:{n.get('hostname')}", list(n.get("patches") or []))
              for n in conf.get("nodes") or [] if isinstance(n, dict)]
    return lists


def _apply_patches(root: Path, path: Path, conf: Obj, found: _Collector, missing: list[str]) -> list[str]:
    applied: list[str] = []
    name = relative(path, root)
    for where, scope, patches in _patch_lists(conf):
        for index, patch in enumerate(patches):
            text = str(patch)
            if text.startswith("@"):
                file = (path.parent / text[1:]).resolve()
                source = relative(file, root)
                applied.append(source)
                if not file.is_file():
                    missing.append(source)
                    continue
                for doc in parse_any(read_text(file, root), source):
                    found.patch_document(doc, source, applied=True, scope=scope)
                continue
            for doc in parse_any(text, f"{name}: {where}[{index}]"):
                found.patch_document(doc, f"{name}: {where}[{index}]", applied=True, scope=scope)
    return applied
