"""Steps for features/node_disks.feature (live: Talos API resources; repo: talconfig and patches)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from pytest_bdd import parsers, then

from harness.core.errors import ConfigError
from harness.core.netaddr import Family
from harness.model.profile import Profile
from harness.probes.talos import TalosClient
from harness.rules import require
from harness.rules.disks import (
    NodeDiskFacts,
    encryption_problems,
    install_disk_problems,
    user_volume_disk_problems,
    user_volume_problems,
)
from harness.rules.requirements import Requirement as R
from steps.fixtures import Evidence


@pytest.fixture(scope="session")
def node_disks(talos: TalosClient, profile: Profile) -> tuple[NodeDiskFacts, ...]:
    """Every node's disk facts, read once per run (snapshot)."""
    return tuple(NodeDiskFacts.read(talos, n.name, str(n.addresses.get(Family.IPV4) or n.addresses.get(Family.IPV6)))
                 for n in profile.nodes)


def _every_node(evidence: Evidence, check: Callable[[NodeDiskFacts], list[str]]) -> None:
    require(p for facts in evidence.node_disks for p in check(facts))


@then(parsers.parse("on every node the {volume} volume is encrypted with the profile's provider and ready"))
def volume_encrypted(evidence: Evidence, profile: Profile, volume: str) -> None:
    provider = dict(profile.disks.encrypted).get(volume)
    if provider is None:
        raise ConfigError(f"profile {profile.source} states no encryption for volume {volume}")
    if evidence.repo:
        return require(evidence.repo.problems(R.encryption(volume)))
    _every_node(evidence, lambda f: encryption_problems(f, volume, provider))


@then("on every node the disk carrying STATE has a model matching the profile's install disk selector")
def install_disk(evidence: Evidence, profile: Profile) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.INSTALL_DISK))
    _every_node(evidence, lambda f: install_disk_problems(f, profile.disks.install_model))


@then("on every node exactly one disk matches the user volume's disk model, and it is a non-rotational USB disk")
def user_volume_disk(evidence: Evidence, profile: Profile) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.USER_VOLUME_DISK))
    _every_node(evidence, lambda f: user_volume_disk_problems(f, profile.disks.user_volume_model))


@then("on every node the user volume is ready on the selected disk with the profile's filesystem, and mounted")
def user_volume(evidence: Evidence, profile: Profile) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.USER_VOLUME_FS))
    d = profile.disks
    _every_node(evidence, lambda f: user_volume_problems(f, d.user_volume, d.user_volume_model,
                                                         d.user_volume_filesystem))
