"""Every requirement a finding can be about, and the one scenario that owns it.

    >>> Requirement.POOLS.scenario
    'lb_pools.feature: every profiled pool exists'
    >>> Requirement("pods ipv6") is Requirement.pods("ipv6") is Requirement.PODS_IPV6
    True

A repo rule (``harness/rules/repo_*.py``) emits findings, each naming one
requirement; a scenario asks for its requirement's findings (``RepoJudge.verdict``). There is no other
path from a finding to a verdict, so a finding cannot be dropped by a filter nobody wrote: the
ownership test (tests/rules/test_ownership.py) proves every requirement is failed by a broken fixture
repo in exactly the scenario named here.
"""

from __future__ import annotations

from enum import StrEnum

from harness.core.netaddr import Family


class Requirement(StrEnum):
    """A requirement of the architecture, by the name the scenario's step asks for."""

    POOLS = "pools"
    OVERLAP = "overlap"
    INGRESS = "ingress"
    BGP = "bgp"
    OUTPOST = "outpost"
    INSTALL_DISK = "install_disk"
    USER_VOLUME_DISK = "user_volume_disk"
    USER_VOLUME_FS = "user_volume_fs"
    ENCRYPTION_STATE = "encryption STATE"
    ENCRYPTION_EPHEMERAL = "encryption EPHEMERAL"
    KUBE_PROXY = "kube_proxy"
    CONTROL_PLANE = "control_plane"
    CILIUM_SETTINGS = "cilium_settings"
    CILIUM_RELEASE = "cilium_release"
    PODS_IPV4 = "pods ipv4"
    PODS_IPV6 = "pods ipv6"
    SERVICE_NETWORKS = "service_networks"
    OUTSIDE_IPV4 = "outside ipv4"
    OUTSIDE_IPV6 = "outside ipv6"

    @property
    def scenario(self) -> str:
        """``feature: words`` naming the scenario that fails on this requirement's findings."""
        return SCENARIOS[self]

    @classmethod
    def pods(cls, family: Family) -> Requirement:
        return cls(f"pods {family}")

    @classmethod
    def outside(cls, family: Family) -> Requirement:
        return cls(f"outside {family}")

    @classmethod
    def encryption(cls, volume: str) -> Requirement:
        return cls(f"encryption {volume}")


SCENARIOS: dict[Requirement, str] = {
    Requirement.POOLS: "lb_pools.feature: every profiled pool exists",
    Requirement.OVERLAP: "lb_pools.feature: no two pools overlap",
    Requirement.INGRESS: "lb_pools.feature: ingress controllers service holds",
    Requirement.BGP: "bgp.feature: bgp configuration advertises every advertised pool",
    Requirement.OUTPOST: "authentik.feature: no ingress but the outposts",
    Requirement.INSTALL_DISK: "node_disks.feature: installed on the disk the install selector picks",
    Requirement.USER_VOLUME_DISK: "node_disks.feature: exactly one nonrotational usb disk",
    Requirement.USER_VOLUME_FS: "node_disks.feature: user volume exists on that disk",
    Requirement.ENCRYPTION_STATE: "node_disks.feature: encrypted and ready [STATE]",
    Requirement.ENCRYPTION_EPHEMERAL: "node_disks.feature: encrypted and ready [EPHEMERAL]",
    Requirement.KUBE_PROXY: "dual_stack.feature: kubeproxy runs exactly when",
    Requirement.CONTROL_PLANE: "cluster_config.feature: schedulable controlplane node",
    Requirement.CILIUM_SETTINGS: "cluster_config.feature: cilium agent runs with the profiled settings",
    Requirement.CILIUM_RELEASE: "cluster_config.feature: cilium runs the profiled release",
    Requirement.PODS_IPV4: "dual_stack.feature: pod cidr of its own [ipv4]",
    Requirement.PODS_IPV6: "dual_stack.feature: pod cidr of its own [ipv6]",
    Requirement.SERVICE_NETWORKS: "dual_stack.feature: clusterips lie inside the profiled service networks",
    Requirement.OUTSIDE_IPV4: "bgp.feature: nothing outside the lb ranges [ipv4]",
    Requirement.OUTSIDE_IPV6: "bgp.feature: nothing outside the lb ranges [ipv6]",
}
