"""What a fresh Talos + Cilium cluster shows before any GitOps: its nodes, as the kubelets register them,
and Cilium's CustomResourceDefinitions, as cilium-operator registers them (``cilium_crds``).

    for node in node_objects(profile): store.create(node)   # then the status, as a kubelet writes it
    KubeApiServer(state_dir, crds=cilium_crds())

Pod CIDRs are carved the way Cilium's cluster-pool IPAM does: consecutive subnets of the profile's
pod networks (taken as networks, i.e. host bits masked, as Go's net.ParseCIDR does) of the profile's
per-node mask size, one per node in order.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from harness.profile import Profile
from lab.seed.cilium_crds import cilium_crds

__all__ = ["cilium_crds", "node_objects", "node_pod_cidrs"]
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
