"""Every requirement a finding can be about, and the one scenario that owns it.

    >>> Requirement.POOLS.scenario
    'lb_pools.feature: every profiled pool exists'
    >>> Requirement.named("pods ipv6") is Requirement.pods("ipv6") is Requirement.PODS_IPV6
    True

A repo rule (``harness/rules/repo_*.py``, or any module of harness.rules with a ``CHECKS`` tuple)
emits findings, each naming one requirement; a scenario asks for its requirement's findings
(``RepoJudge.problems``). There is no other path from a finding to a verdict, so a finding cannot be
dropped by a filter nobody wrote: the ownership test (tests/rules/test_ownership.py) proves every
requirement is failed by a broken fixture repo in exactly the scenario named here.

A new requirement is declared next to its rule, in the rule's own module::

    FLUX_READY = Requirement.declare("flux_ready", "cluster_config.feature: flux has applied")
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.core.errors import ConfigError


@dataclass(frozen=True)
class Requirement:
    """A requirement of the architecture, by the name the scenario's step asks for, and the scenario
    (``feature: words``, words as the scenario's test name has them) that fails on its findings."""

    name: str
    scenario: str

    _registry: ClassVar[dict[str, Requirement]] = {}
    POOLS: ClassVar[Requirement]
    OVERLAP: ClassVar[Requirement]
    INGRESS: ClassVar[Requirement]
    BGP: ClassVar[Requirement]
    OUTPOST: ClassVar[Requirement]
    INSTALL_DISK: ClassVar[Requirement]
    USER_VOLUME_DISK: ClassVar[Requirement]
    USER_VOLUME_FS: ClassVar[Requirement]
    ENCRYPTION_STATE: ClassVar[Requirement]
    ENCRYPTION_EPHEMERAL: ClassVar[Requirement]
    KUBE_PROXY: ClassVar[Requirement]
    CONTROL_PLANE: ClassVar[Requirement]
    CILIUM_SETTINGS: ClassVar[Requirement]
    CILIUM_RELEASE: ClassVar[Requirement]
    PODS_IPV4: ClassVar[Requirement]
    PODS_IPV6: ClassVar[Requirement]
    SERVICE_NETWORKS: ClassVar[Requirement]
    OUTSIDE_IPV4: ClassVar[Requirement]
    OUTSIDE_IPV6: ClassVar[Requirement]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def declare(cls, name: str, scenario: str) -> Requirement:
        """Register a requirement (once: a second one of the same name is a programming error)."""
        if name in cls._registry:
            raise ValueError(f"requirement {name!r} is declared twice")
        if ".feature: " not in scenario:
            raise ValueError(f"requirement {name!r}: scenario must read 'FEATURE.feature: words', got {scenario!r}")
        cls._registry[name] = found = cls(name, scenario)
        return found

    @classmethod
    def named(cls, name: str | Requirement) -> Requirement:
        if isinstance(name, Requirement):
            return name
        try:
            return cls._registry[name]
        except KeyError:
            raise ConfigError(f"no requirement {name!r}; known: {', '.join(sorted(cls._registry))}") from None

    @classmethod
    def every(cls) -> tuple[Requirement, ...]:
        """Every declared requirement (harness.rules.drift.repo_rules() imports the modules declaring them)."""
        return tuple(cls._registry.values())

    @classmethod
    def pods(cls, family: str) -> Requirement:
        return cls.named(f"pods {family}")

    @classmethod
    def outside(cls, family: str) -> Requirement:
        return cls.named(f"outside {family}")

    @classmethod
    def encryption(cls, volume: str) -> Requirement:
        return cls.named(f"encryption {volume}")


Requirement.POOLS = Requirement.declare("pools", "lb_pools.feature: every profiled pool exists")
Requirement.OVERLAP = Requirement.declare("overlap", "lb_pools.feature: no two pools overlap")
Requirement.INGRESS = Requirement.declare("ingress", "lb_pools.feature: ingress controllers service holds")
Requirement.BGP = Requirement.declare("bgp", "bgp.feature: bgp configuration advertises every advertised pool")
Requirement.OUTPOST = Requirement.declare("outpost", "authentik.feature: no ingress but the outposts")
Requirement.INSTALL_DISK = Requirement.declare(
    "install_disk", "node_disks.feature: installed on the disk the install selector picks")
Requirement.USER_VOLUME_DISK = Requirement.declare(
    "user_volume_disk", "node_disks.feature: exactly one nonrotational usb disk")
Requirement.USER_VOLUME_FS = Requirement.declare(
    "user_volume_fs", "node_disks.feature: user volume exists on that disk")
Requirement.ENCRYPTION_STATE = Requirement.declare(
    "encryption STATE", "node_disks.feature: encrypted and ready [STATE]")
Requirement.ENCRYPTION_EPHEMERAL = Requirement.declare(
    "encryption EPHEMERAL", "node_disks.feature: encrypted and ready [EPHEMERAL]")
Requirement.KUBE_PROXY = Requirement.declare("kube_proxy", "dual_stack.feature: kubeproxy runs exactly when")
Requirement.CONTROL_PLANE = Requirement.declare(
    "control_plane", "cluster_config.feature: schedulable controlplane node")
Requirement.CILIUM_SETTINGS = Requirement.declare(
    "cilium_settings", "cluster_config.feature: cilium agent runs with the profiled settings")
Requirement.CILIUM_RELEASE = Requirement.declare(
    "cilium_release", "cluster_config.feature: cilium runs the profiled release")
Requirement.PODS_IPV4 = Requirement.declare("pods ipv4", "dual_stack.feature: pod cidr of its own [ipv4]")
Requirement.PODS_IPV6 = Requirement.declare("pods ipv6", "dual_stack.feature: pod cidr of its own [ipv6]")
Requirement.SERVICE_NETWORKS = Requirement.declare(
    "service_networks", "dual_stack.feature: clusterips lie inside the profiled service networks")
Requirement.OUTSIDE_IPV4 = Requirement.declare("outside ipv4", "bgp.feature: nothing outside the lb ranges [ipv4]")
Requirement.OUTSIDE_IPV6 = Requirement.declare("outside ipv6", "bgp.feature: nothing outside the lb ranges [ipv6]")
