"""What a fresh Talos + Cilium cluster shows before any GitOps: its nodes, as the kubelets register them,
Cilium's CustomResourceDefinitions, as cilium-operator of the profiled release registers them
(``cilium_crds``), and Cilium's own workloads, whose image tags tell which release runs (``cilium_workloads``).

    for node in node_objects(profile): store.create(node)   # then the status, as a kubelet writes it
    KubeApiServer(state_dir, crds=cilium_crds(profile.cilium.version))
    for obj in cilium_workloads(profile.cilium.version): store.create(obj)

Pod CIDRs are carved the way Cilium's cluster-pool IPAM does: consecutive subnets of the profile's
pod networks (taken as networks, i.e. host bits masked, as Go's net.ParseCIDR does) of the profile's
per-node mask size, one per node in order.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from harness.model.cilium_versions import AGENT_DAEMONSET, AGENT_NAMESPACE, CiliumVersion
from harness.model.profile import Profile
from lab.seed.cilium_crds import cilium_crds

__all__ = ["cilium_crds", "cilium_workloads", "node_objects", "node_pod_cidrs"]
IMAGE_REPOSITORY = "quay.io/cilium"   # the chart's default image repositories (image.repository, operator.image)
Obj = dict[str, Any]


def node_pod_cidrs(profile: Profile) -> list[list[str]]:
    per_node: list[list[str]] = [[] for _ in profile.nodes]
    for family in profile.networks.pods.families:
        net = profile.networks.pods.get(family)
        mask = profile.networks.pod_mask_sizes.get(family) or (24 if family == "ipv4" else 80)
        assert net is not None
        network = ipaddress.ip_network(net, strict=False)
        subnets = network.subnets(new_prefix=mask) if mask >= network.prefixlen else iter([network])
        for i, _ in enumerate(profile.nodes):
            subnet = next(subnets, None)
            if subnet is not None:
                per_node[i].append(str(subnet))
    return per_node


def node_objects(profile: Profile) -> list[tuple[Obj, Obj]]:
    """(Node, its status) per profiled node."""
    out = []
    for node, cidrs in zip(profile.nodes, node_pod_cidrs(profile), strict=True):
        meta = {"name": node.name, "labels": {
            "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "node-role.kubernetes.io/control-plane": ""}}
        spec = {"podCIDR": cidrs[0] if cidrs else None, "podCIDRs": cidrs}
        status = {
            "addresses": [{"type": "InternalIP", "address": str(node.addresses.get(f))}
                          for f in node.addresses.families] + [{"type": "Hostname", "address": node.name}],
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status"}],
            "nodeInfo": {"osImage": "Talos (v1.10.5)", "kubeletVersion": "v1.31.1",
                         "containerRuntimeVersion": "containerd://2.0.5", "kernelVersion": "6.12.35-talos",
                         "operatingSystem": "linux", "architecture": "amd64"},
        }
        out.append(({"apiVersion": "v1", "kind": "Node", "metadata": meta,
                     "spec": {k: v for k, v in spec.items() if v}}, status))
    return out


def cilium_workloads(version: CiliumVersion) -> list[Obj]:
    """The agent DaemonSet and the operator Deployment the Helm chart installs in kube-system, with the
    chart's names, labels and images: ``cilium version`` (cilium-cli) and the harness read the running
    release from the agent's image tag. No pods: the lab's nodes run the stand-ins, not these."""
    tag = f"v{version}"

    def workload(kind: str, name: str, labels: dict[str, str], container: str, image: str) -> Obj:
        selector = {k: v for k, v in labels.items() if k in ("k8s-app", "io.cilium/app", "name")}
        return {
            "apiVersion": "apps/v1", "kind": kind,
            "metadata": {"name": name, "namespace": AGENT_NAMESPACE,
                         "labels": {**labels, "app.kubernetes.io/part-of": "cilium"}},
            "spec": {"selector": {"matchLabels": selector},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": container, "image": image}]}}},
        }

    return [
        workload("DaemonSet", AGENT_DAEMONSET, {"k8s-app": "cilium", "app.kubernetes.io/name": "cilium-agent"},
                 "cilium-agent", f"{IMAGE_REPOSITORY}/cilium:{tag}"),
        workload("Deployment", "cilium-operator",
                 {"io.cilium/app": "operator", "name": "cilium-operator",
                  "app.kubernetes.io/name": "cilium-operator"},
                 "cilium-operator", f"{IMAGE_REPOSITORY}/operator-generic:{tag}"),
    ]
