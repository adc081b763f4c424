"""Node disk checks from Talos resources: encryption of system volumes, disk selection by model.

    facts = NodeDiskFacts.read(talos, "mini01", "172.29.51.11")     # one List per resource kind
    encryption_problems(facts, "STATE", "luks2")                    # [] when conforming
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from harness.probes.talos import DiscoveredVolume, Disk, MountStatus, TalosClient, VolumeStatus, disk_of_volume


@dataclass(frozen=True)
class NodeDiskFacts:
    node: str
    address: str
    disks: tuple[Disk, ...]
    discovered: tuple[DiscoveredVolume, ...]
    volumes: tuple[VolumeStatus, ...]
    mounts: tuple[MountStatus, ...]

    @classmethod
    def read(cls, talos: TalosClient, node: str, address: str) -> NodeDiskFacts:
        return cls(node, address, tuple(talos.disks(address)), tuple(talos.discovered_volumes(address)),
                   tuple(talos.volume_statuses(address)), tuple(talos.mount_statuses(address)))

    @property
    def where(self) -> str:
        return f"{self.node} ({self.address})"

    def volume(self, volume_id: str) -> VolumeStatus | None:
        return next((v for v in self.volumes if v.id == volume_id), None)

    def describe_disks(self) -> str:
        return "; ".join(f"{d.id}: model {d.model!r}, {d.transport or '?'}, "
                         f"{'rotational' if d.rotational else 'non-rotational'}" for d in self.disks) or "no disks"


def encryption_problems(facts: NodeDiskFacts, volume_id: str, provider: str) -> list[str]:
    vol = facts.volume(volume_id)
    if vol is None:
        return [f"volume {volume_id} on {facts.where}: no VolumeStatus; volumes present: "
                f"{', '.join(v.id for v in facts.volumes) or 'none'}"]
    problems = []
    if vol.encryption_provider != provider:
        problems.append(f"volume {volume_id} on {facts.where} ({vol.location or 'no location'}): encryption "
                        f"provider {vol.encryption_provider or 'none'}, expected {provider}")
    if vol.phase != "ready":
        problems.append(f"volume {volume_id} on {facts.where}: phase {vol.phase}, expected ready"
                        + (f" ({vol.error_message})" if vol.error_message else ""))
    return problems


def system_disk(facts: NodeDiskFacts) -> Disk | None:
    """The disk holding Talos's STATE partition: the one Talos was installed on."""
    state = next((d for d in facts.discovered if d.partition_label == "STATE"), None)
    if state is None:
        return None
    return next((d for d in facts.disks if d.id == state.parent), None)


def install_disk_problems(facts: NodeDiskFacts, model_glob: str) -> list[str]:
    disk = system_disk(facts)
    if disk is None:
        return [f"{facts.where}: no disk carries a STATE partition; disks: {facts.describe_disks()}"]
    if not fnmatchcase(disk.model, model_glob):
        return [f"{facts.where}: system disk {disk.id} has model {disk.model!r}, which does not match the install "
                f"disk selector {model_glob!r}"]
    return []


def user_volume_disk_problems(facts: NodeDiskFacts, model: str) -> list[str]:
    """Exactly one disk matches ``disk.model == model``; it must be a non-rotational USB disk."""
    matching = [d for d in facts.disks if d.model == model]
    if len(matching) != 1:
        return [f"{facts.where}: {len(matching)} disks match the user-volume selector disk.model == {model!r}, "
                f"expected exactly 1; disks: {facts.describe_disks()}"]
    disk = matching[0]
    problems = []
    if disk.transport != "usb":
        problems.append(f"{facts.where}: {disk.id} ({model}) has transport {disk.transport!r}, expected usb")
    if disk.rotational:
        problems.append(f"{facts.where}: {disk.id} ({model}) is rotational, expected an SSD")
    return problems


def user_volume_problems(facts: NodeDiskFacts, name: str, model: str, filesystem: str) -> list[str]:
    volume_id = f"u-{name}"
    vol = facts.volume(volume_id)
    if vol is None:
        return [f"user volume {name} on {facts.where}: no VolumeStatus {volume_id}; volumes present: "
                f"{', '.join(v.id for v in facts.volumes) or 'none'}"]
    problems = []
    disks = [d for d in facts.disks if d.model == model]
    if disks and disk_of_volume(vol, disks) is None:  # parentLocation == the disk's dev_path
        on = f" on {vol.parent_location}" if vol.parent_location else ""
        problems.append(f"user volume {name} on {facts.where} is at {vol.location or 'no location'}{on}, not on the "
                        f"{model} disk ({', '.join(d.dev_path for d in disks)})")
    if vol.phase != "ready":
        problems.append(f"user volume {name} on {facts.where}: phase {vol.phase}, expected ready")
    if vol.filesystem != filesystem:
        problems.append(f"user volume {name} on {facts.where}: filesystem {vol.filesystem or 'none'}, "
                        f"expected {filesystem}")
    if not any(m.id == volume_id for m in facts.mounts):
        problems.append(f"user volume {name} on {facts.where} is not mounted (no MountStatus {volume_id})")
    return problems
