"""Node disk rules (harness/rules/disks.py) on NodeDiskFacts built from the Talos block resources of a Mac mini:
the internal Apple NVMe SSD carrying Talos (STATE and EPHEMERAL in LUKS2) and a Samsung T5 on USB holding the
user volume ``u-longhorn-ssd``."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.probes.talos import DiscoveredVolume, Disk, MountStatus, VolumeStatus
from harness.rules.disks import (
    NodeDiskFacts,
    encryption_problems,
    install_disk_problems,
    system_disk,
    user_volume_disk_problems,
    user_volume_problems,
)

NODE, ADDRESS = "mini01", "172.29.51.11"
WHERE = "mini01 (172.29.51.11)"
APPLE = "APPLE SSD AP0256Q"
T5 = "Portable SSD T5"
LINUX_FS = "0fc63daf-8483-4772-8e79-3d69d8477de4"

NVME = Disk(node=ADDRESS, id="nvme0n1", dev_path="/dev/nvme0n1", size=251000193024, model=APPLE,
            serial="C07930300D6KRGRA4", transport="nvme", rotational=False, readonly=False, wwid="",
            bus_path="/pci0000:00/0000:00:1b.0/0000:02:00.0/nvme",
            symlinks=("/dev/disk/by-id/nvme-APPLE_SSD_AP0256Q_C07930300D6KRGRA4",), pretty_size="251 GB")
USB = Disk(node=ADDRESS, id="sda", dev_path="/dev/sda", size=500107862016, model=T5, serial="S49WNP0N101234A",
           transport="usb", rotational=False, readonly=False, wwid="",
           bus_path="/pci0000:00/0000:00:14.0/usb2/2-2/2-2:1.0/host0/target0:0:0/0:0:0:0",
           symlinks=("/dev/disk/by-id/usb-Samsung_Portable_SSD_T5_S49WNP0N101234A-0:0",), pretty_size="500 GB")


def partition(disk: Disk, index: int, label: str, content: str) -> DiscoveredVolume:
    sep = "p" if disk.id.startswith("nvme") else ""
    return DiscoveredVolume(node=ADDRESS, id=f"{disk.id}{sep}{index}", type="partition",
                            dev_path=f"{disk.dev_path}{sep}{index}", parent=disk.id, size=104857600, name=content,
                            uuid=f"uuid-{label}", label="", partition_label=label, partition_type=LINUX_FS,
                            partition_uuid=f"puuid-{label}", partition_index=index, parent_dev_path=disk.dev_path)


def discovered_on(disk: Disk) -> tuple[DiscoveredVolume, ...]:
    """Talos's layout on the install disk (EFI, BIOS, BOOT, META, STATE, EPHEMERAL) plus the opened LUKS mapping."""
    mapped = DiscoveredVolume(node=ADDRESS, id="dm-0", type="disk", dev_path="/dev/dm-0", parent="", size=87031808,
                              name="xfs", uuid="uuid-state-fs", label="STATE", partition_label="", partition_type="",
                              partition_uuid="", partition_index=0)
    return (DiscoveredVolume(node=ADDRESS, id=disk.id, type="disk", dev_path=disk.dev_path, parent="",
                             size=disk.size, name="gpt", uuid="", label="", partition_label="", partition_type="",
                             partition_uuid="", partition_index=0),
            partition(disk, 1, "EFI", "vfat"), partition(disk, 2, "BIOS", ""), partition(disk, 3, "BOOT", "xfs"),
            partition(disk, 4, "META", "talosmeta"), partition(disk, 5, "STATE", "luks"),
            partition(disk, 6, "EPHEMERAL", "luks"), mapped,
            partition(USB, 1, "u-longhorn-ssd", "xfs"))


def system_volume(volume_id: str, index: int, *, mapped: str) -> VolumeStatus:
    return VolumeStatus(node=ADDRESS, id=volume_id, phase="ready", type="partition",
                        location=f"/dev/nvme0n1p{index}", mount_location=mapped, parent_location="/dev/nvme0n1",
                        filesystem="xfs", encryption_provider="luks2", error_message="", size=104857600,
                        partition_index=index, configured_encryption_keys=("nodeID",),
                        mount_target="/system/state" if volume_id == "STATE" else "/var")


USER_VOLUME = VolumeStatus(node=ADDRESS, id="u-longhorn-ssd", phase="ready", type="partition", location="/dev/sda1",
                           mount_location="/dev/sda1", parent_location="/dev/sda", filesystem="xfs",
                           encryption_provider="none", error_message="", size=500105740288, partition_index=1,
                           mount_target="longhorn-ssd", mount_parent_id="/var/mnt",
                           labels={"talos.dev/user-volume": ""})
USER_MOUNT = MountStatus(node=ADDRESS, id="u-longhorn-ssd", source="/dev/sda1", target="/var/mnt/longhorn-ssd",
                         filesystem="xfs", encryption_provider="none", read_only=False, volume_id="u-longhorn-ssd")


def facts(disks: tuple[Disk, ...] = (NVME, USB), discovered: tuple[DiscoveredVolume, ...] | None = None,
          volumes: tuple[VolumeStatus, ...] | None = None,
          mounts: tuple[MountStatus, ...] = (USER_MOUNT,)) -> NodeDiskFacts:
    if volumes is None:
        volumes = (system_volume("STATE", 5, mapped="/dev/dm-0"), system_volume("EPHEMERAL", 6, mapped="/dev/dm-1"),
                   USER_VOLUME)
    return NodeDiskFacts(NODE, ADDRESS, disks, discovered_on(NVME) if discovered is None else discovered,
                         volumes, mounts)


def with_volume(vol: VolumeStatus) -> NodeDiskFacts:
    base = facts()
    return replace(base, volumes=tuple(vol if v.id == vol.id else v for v in base.volumes))


# -- NodeDiskFacts --------------------------------------------------------------------------------

def test_facts_describe_where_and_disks() -> None:
    f = facts()
    assert f.where == WHERE
    state = f.volume("STATE")
    assert state is not None and state.location == "/dev/nvme0n1p5"
    assert f.volume("u-missing") is None
    assert f.describe_disks() == ("nvme0n1: model 'APPLE SSD AP0256Q', nvme, non-rotational; "
                                  "sda: model 'Portable SSD T5', usb, non-rotational")
    assert facts(disks=()).describe_disks() == "no disks"


# -- encryption_problems --------------------------------------------------------------------------

@pytest.mark.parametrize("volume_id", ["STATE", "EPHEMERAL"])
def test_system_volumes_encrypted_and_ready(volume_id: str) -> None:
    assert encryption_problems(facts(), volume_id, "luks2") == []


def test_volume_status_missing_lists_the_volumes_present() -> None:
    f = facts(volumes=(USER_VOLUME,))
    assert encryption_problems(f, "STATE", "luks2") == [
        f"volume STATE on {WHERE}: no VolumeStatus; volumes present: u-longhorn-ssd"]
    assert encryption_problems(facts(volumes=()), "STATE", "luks2") == [
        f"volume STATE on {WHERE}: no VolumeStatus; volumes present: none"]


def test_unencrypted_volume() -> None:
    """Talos omits encryptionProvider when it is none; the parser then reports "none"."""
    plain = replace(system_volume("STATE", 5, mapped="/dev/nvme0n1p5"), encryption_provider="none",
                    configured_encryption_keys=())
    assert encryption_problems(with_volume(plain), "STATE", "luks2") == [
        f"volume STATE on {WHERE} (/dev/nvme0n1p5): encryption provider none, expected luks2"]


def test_empty_provider_is_described_as_none() -> None:
    plain = replace(system_volume("EPHEMERAL", 6, mapped="/dev/nvme0n1p6"), encryption_provider="")
    assert encryption_problems(with_volume(plain), "EPHEMERAL", "luks2") == [
        f"volume EPHEMERAL on {WHERE} (/dev/nvme0n1p6): encryption provider none, expected luks2"]


def test_other_luks_version() -> None:
    luks1 = replace(system_volume("STATE", 5, mapped="/dev/dm-0"), encryption_provider="luks1")
    assert encryption_problems(with_volume(luks1), "STATE", "luks2") == [
        f"volume STATE on {WHERE} (/dev/nvme0n1p5): encryption provider luks1, expected luks2"]


def test_volume_not_located_has_no_location() -> None:
    waiting = replace(system_volume("STATE", 5, mapped=""), phase="waiting", location="", parent_location="",
                      encryption_provider="none")
    assert encryption_problems(with_volume(waiting), "STATE", "luks2") == [
        f"volume STATE on {WHERE} (no location): encryption provider none, expected luks2",
        f"volume STATE on {WHERE}: phase waiting, expected ready",
    ]


def test_failed_volume_names_talos_error() -> None:
    failed = replace(system_volume("EPHEMERAL", 6, mapped=""), phase="failed", pre_fail_phase="located",
                     error_message="error opening encrypted volume: no matching key slot")
    assert encryption_problems(with_volume(failed), "EPHEMERAL", "luks2") == [
        f"volume EPHEMERAL on {WHERE}: phase failed, expected ready "
        "(error opening encrypted volume: no matching key slot)"]


# -- system_disk / install_disk_problems ----------------------------------------------------------

def test_system_disk_is_the_parent_of_the_state_partition() -> None:
    assert system_disk(facts()) == NVME


def test_no_state_partition() -> None:
    f = facts(discovered=tuple(d for d in discovered_on(NVME) if d.partition_label != "STATE"))
    assert system_disk(f) is None
    assert install_disk_problems(f, "APPLE*") == [
        f"{WHERE}: no disk carries a STATE partition; disks: nvme0n1: model 'APPLE SSD AP0256Q', nvme, "
        "non-rotational; sda: model 'Portable SSD T5', usb, non-rotational"]


def test_state_partition_on_a_disk_talos_does_not_list() -> None:
    f = facts(disks=(USB,))
    assert system_disk(f) is None
    assert install_disk_problems(f, "APPLE*")[0].startswith(f"{WHERE}: no disk carries a STATE partition; disks: sda")


def test_installed_on_the_apple_disk() -> None:
    assert install_disk_problems(facts(), "APPLE*") == []
    assert install_disk_problems(facts(), "APPLE SSD AP0256Q") == []


def test_installed_on_the_usb_disk() -> None:
    f = facts(discovered=discovered_on(USB))
    assert system_disk(f) == USB
    assert install_disk_problems(f, "APPLE*") == [
        f"{WHERE}: system disk sda has model 'Portable SSD T5', which does not match the install disk selector "
        "'APPLE*'"]


def test_install_selector_glob_is_case_sensitive() -> None:
    assert install_disk_problems(facts(), "apple*") == [
        f"{WHERE}: system disk nvme0n1 has model 'APPLE SSD AP0256Q', which does not match the install disk "
        "selector 'apple*'"]


# -- user_volume_disk_problems --------------------------------------------------------------------

def test_one_usb_ssd_matches() -> None:
    assert user_volume_disk_problems(facts(), T5) == []


def test_no_disk_matches_the_model() -> None:
    assert user_volume_disk_problems(facts(disks=(NVME,)), T5) == [
        f"{WHERE}: 0 disks match the user-volume selector disk.model == 'Portable SSD T5', expected exactly 1; "
        "disks: nvme0n1: model 'APPLE SSD AP0256Q', nvme, non-rotational"]


def test_model_match_is_exact() -> None:
    assert user_volume_disk_problems(facts(), "Portable SSD")[0].startswith(
        f"{WHERE}: 0 disks match the user-volume selector disk.model == 'Portable SSD'")


def test_two_disks_match_the_model() -> None:
    second = replace(USB, id="sdb", dev_path="/dev/sdb", serial="S49WNP0N105678B")
    problems = user_volume_disk_problems(facts(disks=(NVME, USB, second)), T5)
    assert problems == [
        f"{WHERE}: 2 disks match the user-volume selector disk.model == 'Portable SSD T5', expected exactly 1; "
        "disks: nvme0n1: model 'APPLE SSD AP0256Q', nvme, non-rotational; sda: model 'Portable SSD T5', usb, "
        "non-rotational; sdb: model 'Portable SSD T5', usb, non-rotational"]


def test_matching_disk_not_on_usb_and_rotational() -> None:
    sata = replace(USB, transport="sata", rotational=True)
    assert user_volume_disk_problems(facts(disks=(NVME, sata)), T5) == [
        f"{WHERE}: sda (Portable SSD T5) has transport 'sata', expected usb",
        f"{WHERE}: sda (Portable SSD T5) is rotational, expected an SSD",
    ]


def test_matching_disk_with_unknown_transport() -> None:
    unknown = replace(USB, transport="")
    f = facts(disks=(NVME, unknown))
    assert user_volume_disk_problems(f, T5) == [f"{WHERE}: sda (Portable SSD T5) has transport '', expected usb"]
    assert "sda: model 'Portable SSD T5', ?, non-rotational" in f.describe_disks()


# -- user_volume_problems -------------------------------------------------------------------------

def test_user_volume_conforms() -> None:
    assert user_volume_problems(facts(), "longhorn-ssd", T5, "xfs") == []


def test_user_volume_status_missing() -> None:
    f = facts(volumes=(system_volume("STATE", 5, mapped="/dev/dm-0"),))
    assert user_volume_problems(f, "longhorn-ssd", T5, "xfs") == [
        f"user volume longhorn-ssd on {WHERE}: no VolumeStatus u-longhorn-ssd; volumes present: STATE"]


def test_user_volume_on_the_wrong_disk() -> None:
    on_nvme = replace(USER_VOLUME, location="/dev/nvme0n1p7", mount_location="/dev/nvme0n1p7",
                      parent_location="/dev/nvme0n1", partition_index=7)
    mount = replace(USER_MOUNT, source="/dev/nvme0n1p7")
    f = replace(with_volume(on_nvme), mounts=(mount,))
    assert user_volume_problems(f, "longhorn-ssd", T5, "xfs") == [
        f"user volume longhorn-ssd on {WHERE} is at /dev/nvme0n1p7 on /dev/nvme0n1, not on the Portable SSD T5 disk "
        "(/dev/sda)"]


def test_user_volume_on_a_disk_whose_name_extends_the_t5s() -> None:
    """/dev/sdaa1 is not on /dev/sda: the disk is judged by parentLocation, not a prefix of location."""
    on_sdaa = replace(USER_VOLUME, location="/dev/sdaa1", mount_location="/dev/sdaa1", parent_location="/dev/sdaa")
    problems = user_volume_problems(with_volume(on_sdaa), "longhorn-ssd", T5, "xfs")
    assert problems == [f"user volume longhorn-ssd on {WHERE} is at /dev/sdaa1 on /dev/sdaa, not on the "
                        "Portable SSD T5 disk (/dev/sda)"]


def test_user_volume_not_yet_located() -> None:
    waiting = replace(USER_VOLUME, phase="waiting", location="", mount_location="", parent_location="",
                      filesystem="none")
    f = replace(with_volume(waiting), mounts=())
    assert user_volume_problems(f, "longhorn-ssd", T5, "xfs") == [
        f"user volume longhorn-ssd on {WHERE} is at no location, not on the Portable SSD T5 disk (/dev/sda)",
        f"user volume longhorn-ssd on {WHERE}: phase waiting, expected ready",
        f"user volume longhorn-ssd on {WHERE}: filesystem none, expected xfs",
        f"user volume longhorn-ssd on {WHERE} is not mounted (no MountStatus u-longhorn-ssd)",
    ]


def test_whole_disk_user_volume_is_on_its_disk() -> None:
    whole = replace(USER_VOLUME, type="disk", location="/dev/sda", mount_location="/dev/sda", parent_location="",
                    partition_index=0)
    assert user_volume_problems(with_volume(whole), "longhorn-ssd", T5, "xfs") == []


def test_without_the_t5_the_location_is_not_judged() -> None:
    """With no disk of the model, user_volume_disk_problems says so; this rule judges only the volume."""
    assert user_volume_problems(facts(disks=(NVME,)), "longhorn-ssd", T5, "xfs") == []


def test_user_volume_with_another_filesystem() -> None:
    ext4 = replace(USER_VOLUME, filesystem="ext4")
    assert user_volume_problems(with_volume(ext4), "longhorn-ssd", T5, "xfs") == [
        f"user volume longhorn-ssd on {WHERE}: filesystem ext4, expected xfs"]


def test_user_volume_with_empty_filesystem_is_described_as_none() -> None:
    blank = replace(USER_VOLUME, filesystem="")
    assert user_volume_problems(with_volume(blank), "longhorn-ssd", T5, "xfs") == [
        f"user volume longhorn-ssd on {WHERE}: filesystem none, expected xfs"]


def test_user_volume_failed() -> None:
    failed = replace(USER_VOLUME, phase="failed", error_message="filesystem check failed")
    assert user_volume_problems(with_volume(failed), "longhorn-ssd", T5, "xfs") == [
        f"user volume longhorn-ssd on {WHERE}: phase failed, expected ready"]


def test_user_volume_not_mounted() -> None:
    other_mount = replace(USER_MOUNT, id="EPHEMERAL", source="/dev/dm-1", target="/var", volume_id="EPHEMERAL")
    f = facts(mounts=(other_mount,))
    assert user_volume_problems(f, "longhorn-ssd", T5, "xfs") == [
        f"user volume longhorn-ssd on {WHERE} is not mounted (no MountStatus u-longhorn-ssd)"]
