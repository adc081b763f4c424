"""COSI resources as real nodes print them (fixtures/upstream/talos, see SOURCE.md) parse into the typed views,
and the disk checks match a user volume to its disk by parentLocation equality (offline)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from harness.probes.talos import (
    ADDRESS_STATUSES,
    DISCOVERED_VOLUMES,
    DISKS,
    MOUNT_STATUSES,
    RUNTIME,
    VOLUME_STATUSES,
    AddressStatus,
    DiscoveredVolume,
    Disk,
    MountStatus,
    Resource,
    ResourceSpecError,
    VolumeStatus,
    disk_of_volume,
    parse_talosctl_yaml,
)
from harness.rules.disks import NodeDiskFacts, user_volume_problems

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "upstream" / "talos"


def resources(name: str) -> list[Resource]:
    return parse_talosctl_yaml((SAMPLES / name).read_text(), source=name)


def statuses(name: str) -> dict[str, VolumeStatus]:
    return {r.metadata.id: VolumeStatus.from_resource(r) for r in resources(name)}


def test_metadata_as_talosctl_prints_it() -> None:
    state = next(r for r in resources("volumestatus-system-luks2.yaml") if r.metadata.id == "STATE")
    md = state.metadata
    assert (state.node, md.namespace, md.type, md.version, md.owner, md.phase) == (
        "172.29.51.11", RUNTIME, VOLUME_STATUSES, "6", "block.VolumeManagerController", "running")
    assert (md.created, md.updated) == ("2025-07-21T09:14:03Z", "2025-07-21T09:14:08Z")


@pytest.mark.parametrize(("volume_id", "location", "mapped", "target", "quota"), [
    ("STATE", "/dev/nvme0n1p5", "/dev/dm-0", "/system/state", False),
    ("EPHEMERAL", "/dev/nvme0n1p6", "/dev/dm-1", "/var", True),
])
def test_system_volumes_luks2(volume_id: str, location: str, mapped: str, target: str, quota: bool) -> None:
    volume = statuses("volumestatus-system-luks2.yaml")[volume_id]
    assert (volume.phase, volume.type, volume.encryption_provider, volume.filesystem) == (
        "ready", "partition", "luks2", "xfs")
    assert (volume.location, volume.mount_location, volume.parent_location) == (location, mapped, "/dev/nvme0n1")
    assert (volume.mount_target, volume.configured_encryption_keys) == (target, ("nodeID",))
    assert volume.is_ready and not volume.is_user_volume and volume.pretty_size


def test_user_volume() -> None:
    volume = statuses("volumestatus-user-volume.yaml")["u-longhorn-ssd"]
    assert volume.is_user_volume and volume.labels == {"talos.dev/user-volume": ""}
    assert (volume.location, volume.parent_location, volume.partition_index) == ("/dev/sda1", "/dev/sda", 1)
    assert (volume.filesystem, volume.encryption_provider) == ("xfs", "none")  # omitempty: absent means none
    assert (volume.mount_target, volume.mount_parent_id) == ("longhorn-ssd", "/var/mnt")


def test_disks_apple_ssd_and_t5_over_usb() -> None:
    disks = {d.id: d for d in map(Disk.from_resource, resources("disks-mac-mini.yaml"))}
    apple, t5 = disks["nvme0n1"], disks["sda"]
    assert (apple.dev_path, apple.model, apple.transport, apple.rotational) == (
        "/dev/nvme0n1", "APPLE SSD AP0256Q", "nvme", False)
    assert (t5.dev_path, t5.model, t5.transport, t5.rotational, t5.readonly) == (
        "/dev/sda", "Portable SSD T5", "usb", False, False)
    assert t5.size == 500107862016 and t5.pretty_size == "500 GB" and t5.modalias == "scsi:t-0x00"
    assert any(link.startswith("/dev/disk/by-id/usb-Samsung_Portable_SSD_T5") for link in t5.symlinks)


@pytest.mark.parametrize("name", ["discoveredvolumes-user-partition.yaml", "discoveredvolumes-v1.10.3-dev-dath.yaml"])
def test_discovered_volume_dev_path_in_both_spellings(name: str) -> None:
    (resource,) = resources(name)
    volume = DiscoveredVolume.from_resource(resource)
    assert (volume.dev_path, volume.parent, volume.parent_dev_path) == ("/dev/sda1", "sda", "/dev/sda")
    assert (volume.name, volume.partition_label, volume.partition_index, volume.label) == (
        "xfs", "u-longhorn-ssd", 1, "")


def test_mount_status() -> None:
    (resource,) = resources("mountstatus-user-volume.yaml")
    mount = MountStatus.from_resource(resource)
    assert (mount.source, mount.target, mount.filesystem, mount.volume_id, mount.encryption_provider) == (
        "/dev/sda1", "/var/mnt/longhorn-ssd", "xfs", "u-longhorn-ssd", "none")


def test_every_sample_parses_as_its_type() -> None:
    views = {DISKS: Disk, DISCOVERED_VOLUMES: DiscoveredVolume, VOLUME_STATUSES: VolumeStatus,
             MOUNT_STATUSES: MountStatus, ADDRESS_STATUSES: AddressStatus}
    for path in sorted(SAMPLES.glob("*.yaml")):
        if path.name.startswith("talosconfig-"):
            continue
        for resource in resources(path.name):
            views[resource.metadata.type].from_resource(resource)  # type: ignore[attr-defined]


def test_user_volume_is_matched_to_its_disk_by_parent_location() -> None:
    disks = [Disk.from_resource(r) for r in resources("disks-mac-mini.yaml")]
    volume = statuses("volumestatus-user-volume.yaml")["u-longhorn-ssd"]
    assert disk_of_volume(volume, disks) == next(d for d in disks if d.id == "sda")
    system = statuses("volumestatus-system-luks2.yaml")["STATE"]
    assert disk_of_volume(system, disks) == next(d for d in disks if d.id == "nvme0n1")


def test_whole_disk_volume_matches_by_location() -> None:
    disks = [Disk.from_resource(r) for r in resources("disks-mac-mini.yaml")]
    volume = dataclasses.replace(statuses("volumestatus-user-volume.yaml")["u-longhorn-ssd"], type="disk",
                                 location="/dev/sda", parent_location="", partition_index=0)
    assert disk_of_volume(volume, disks) is not None and disk_of_volume(volume, disks).id == "sda"  # type: ignore[union-attr]


def _facts(volume: VolumeStatus, *extra: Disk) -> NodeDiskFacts:
    disks = tuple(Disk.from_resource(r) for r in resources("disks-mac-mini.yaml")) + extra
    mounts = (MountStatus.from_resource(resources("mountstatus-user-volume.yaml")[0]),)
    return NodeDiskFacts("mini02", "172.29.51.12", disks, (), (volume,), mounts)


def test_user_volume_check_passes_on_the_samples() -> None:
    volume = statuses("volumestatus-user-volume.yaml")["u-longhorn-ssd"]
    assert user_volume_problems(_facts(volume), "longhorn-ssd", "Portable SSD T5", "xfs") == []


def test_user_volume_on_a_disk_whose_name_extends_the_t5s_is_not_on_the_t5() -> None:
    """/dev/sdaa1 starts with /dev/sda: a prefix test put it on the T5; parentLocation says /dev/sdaa."""
    other = dataclasses.replace(Disk.from_resource(resources("disks-mac-mini.yaml")[1]), id="sdaa",
                                dev_path="/dev/sdaa", model="Extreme SSD")
    volume = dataclasses.replace(statuses("volumestatus-user-volume.yaml")["u-longhorn-ssd"], location="/dev/sdaa1",
                                 parent_location="/dev/sdaa", mount_location="/dev/sdaa1")
    problems = user_volume_problems(_facts(volume, other), "longhorn-ssd", "Portable SSD T5", "xfs")
    assert problems == ["user volume longhorn-ssd on mini02 (172.29.51.12) is at /dev/sdaa1 on /dev/sdaa, not on the "
                        "Portable SSD T5 disk (/dev/sda)"]


def test_malformed_talosctl_output_is_one_line() -> None:
    with pytest.raises(ResourceSpecError, match=r"^out.yaml document 1: metadata lacks id$"):
        parse_talosctl_yaml("node: x\nmetadata:\n    namespace: runtime\n    type: Disks.block.talos.dev\nspec: {}\n",
                            source="out.yaml")
    with pytest.raises(ResourceSpecError, match=r"^out.yaml: malformed YAML at line \d+$"):
        parse_talosctl_yaml("node: x\nmetadata: [\n", source="out.yaml")
