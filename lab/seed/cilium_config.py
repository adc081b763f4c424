"""The ``cilium-config`` ConfigMap in kube-system, as Cilium's Helm chart renders it for the profile's
settings (lab/seed/SOURCE.md cites the chart template): the agent reads its options from it, and so
does the harness.

    store.create(cilium_config(profile))

Only the keys the harness judges and a few every install renders are written; values are strings,
as the chart quotes them (``enable-bgp-control-plane: "true"``).
"""

from __future__ import annotations

from typing import Any

from harness.core.netaddr import FAMILIES, Family
from harness.model.cilium_versions import AGENT_NAMESPACE
from harness.model.profile import Profile
from harness.repo.cilium import CiliumValues

NAME = "cilium-config"


def cilium_config(profile: Profile) -> dict[str, Any]:
    families = set(profile.networks.pods.families)
    data: dict[str, str] = {
        # bgpControlPlane.enabled
        "enable-bgp-control-plane": "true" if profile.cilium.bgp_control_plane else "false",
        # kubeProxyReplacement ("true"/"false" since 1.14)
        "kube-proxy-replacement": "true" if profile.kube_proxy_replaced else "false",
        # loadBalancer.acceleration: rendered only when set; the owner's install sets it (XDP off)
        "bpf-lb-acceleration": profile.cilium.lb_acceleration,
        # ipv4.enabled / ipv6.enabled
        "enable-ipv4": "true" if "ipv4" in families else "false",
        "enable-ipv6": "true" if "ipv6" in families else "false",
        # ipam.mode: the lab carves pod CIDRs as cluster-pool IPAM does (lab/seed/__init__.py)
        "ipam": "cluster-pool",
    }
    # ipam.operator.clusterPoolIPv{4,6}PodCIDRList (joined with spaces) and ...MaskSize, per enabled family
    for family, net in profile.networks.pods.values:
        data[f"cluster-pool-{family}-cidr"] = str(net)
        mask = profile.networks.pod_mask_sizes.get(family)
        if mask is not None:
            data[f"cluster-pool-{family}-mask-size"] = str(mask)
    return _configmap(data)


def cilium_config_from_values(values: CiliumValues) -> dict[str, Any]:
    """The same keys as the chart renders them from a repo's Cilium values (the twin)."""
    data: dict[str, str] = {
        "enable-bgp-control-plane": "true" if values.bgp_control_plane else "false",
        "kube-proxy-replacement": "true" if values.replaces_kube_proxy else "false",
        "bpf-lb-acceleration": values.lb_acceleration,
        "enable-ipv4": "true" if values.family_enabled(Family.IPV4) else "false",
        "enable-ipv6": "true" if values.family_enabled(Family.IPV6) else "false",
        "ipam": values.ipam_mode,
    }
    if values.ipam_mode == "cluster-pool":
        for family in FAMILIES:
            if values.family_enabled(family):
                data[f"cluster-pool-{family}-cidr"] = " ".join(str(n) for n in values.pod_cidrs(family))
                data[f"cluster-pool-{family}-mask-size"] = str(values.mask_size(family))
    return _configmap(data)


def _configmap(data: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": NAME, "namespace": AGENT_NAMESPACE,
                         "labels": {"app.kubernetes.io/part-of": "cilium", "app.kubernetes.io/managed-by": "Helm"},
                         "annotations": {"meta.helm.sh/release-name": "cilium",
                                         "meta.helm.sh/release-namespace": AGENT_NAMESPACE}},
            "data": data}
