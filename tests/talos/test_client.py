"""The Talos client against the lab stand-in over real gRPC + mTLS (Ed25519 keys, like Talos)."""

from __future__ import annotations

import pytest

from harness.probes.talos import (
    DISCOVERED_VOLUMES,
    DISKS,
    RUNTIME,
    VOLUME_STATUSES,
    Disk,
    ResourceNotFound,
    TalosApiError,
    TalosClient,
)
from talos_api.talos import block_pb2, enums_pb2

pytestmark = pytest.mark.lab

NODES = [("mini01", "172.29.51.11"), ("mini02", "172.29.51.12"), ("mini03", "172.29.51.13")]


@pytest.mark.parametrize(("name", "address"), NODES)
def test_each_node_has_apple_system_disk_and_one_t5(talos: TalosClient, name: str, address: str) -> None:
    disks = {d.id: d for d in talos.disks(node=address)}
    assert sorted(disks) == ["nvme0n1", "sda"]
    assert (disks["nvme0n1"].model, disks["nvme0n1"].transport) == ("APPLE SSD AP0256Q", "nvme")
    t5 = disks["sda"]
    assert (t5.model, t5.transport, t5.rotational, t5.dev_path) == ("Portable SSD T5", "usb", False, "/dev/sda")
    assert t5.size > 0


def test_disk_serials_differ_per_node(talos: TalosClient) -> None:
    serials = {talos.get(DISKS, RUNTIME, "sda", node=name).spec["serial"] for name, _ in NODES}
    assert len(serials) == 3


def test_name_and_address_route_to_the_same_node(talos: TalosClient) -> None:
    by_name = Disk.from_resource(talos.get(DISKS, RUNTIME, "nvme0n1", node="mini02"))
    by_address = Disk.from_resource(talos.get(DISKS, RUNTIME, "nvme0n1", node="172.29.51.12"))
    assert by_name.serial == by_address.serial
    assert by_name.serial != Disk.from_resource(talos.get(DISKS, RUNTIME, "nvme0n1", node="mini03")).serial


def test_discovered_volumes_show_talos_partition_layout(talos: TalosClient) -> None:
    volumes = {v.partition_label: v for v in talos.discovered_volumes(node="mini01") if v.parent == "nvme0n1"}
    assert list(volumes) == ["EFI", "BIOS", "BOOT", "META", "STATE", "EPHEMERAL"]
    assert volumes["EFI"].partition_type == "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
    assert volumes["BIOS"].partition_type == "21686148-6449-6e6f-744e-656564454649"
    assert (volumes["STATE"].name, volumes["EPHEMERAL"].name, volumes["BOOT"].name) == ("luks", "luks", "xfs")
    assert volumes["STATE"].dev_path == "/dev/nvme0n1p5"


def test_user_volume_partition_is_xfs_on_the_t5(talos: TalosClient) -> None:
    volume = talos.get(DISCOVERED_VOLUMES, RUNTIME, "sda1", node="mini03")
    seen = (volume.spec["name"], volume.spec["partition_label"], volume.spec["parent"])
    assert seen == ("xfs", "u-longhorn-ssd", "sda")


@pytest.mark.parametrize(("volume_id", "mapped", "target"), [("STATE", "/dev/dm-0", "/system/state"),
                                                             ("EPHEMERAL", "/dev/dm-1", "/var")])
def test_system_volumes_are_luks2_and_ready(talos: TalosClient, volume_id: str, mapped: str, target: str) -> None:
    status = talos.volume_status(node="mini01", volume_id=volume_id)
    assert (status.phase, status.encryption_provider, status.filesystem) == ("ready", "luks2", "xfs")
    assert (status.mount_location, status.mount_target) == (mapped, target)  # opened in order, symlink resolved
    assert status.configured_encryption_keys == ("nodeID",)
    assert status.parent_location == "/dev/nvme0n1" and status.location.startswith("/dev/nvme0n1p")


def test_user_volume_is_ready_and_mounted(talos: TalosClient) -> None:
    status = talos.volume_status(node="mini02", volume_id="u-longhorn-ssd")
    assert (status.phase, status.location, status.filesystem) == ("ready", "/dev/sda1", "xfs")
    mounts = {m.id: m for m in talos.mount_statuses(node="mini02")}
    assert mounts["u-longhorn-ssd"].target == "/var/mnt/longhorn-ssd"
    assert mounts["STATE"].encryption_provider == "luks2"


def test_resource_metadata_and_proto_spec_are_filled(talos: TalosClient) -> None:
    resource = talos.get(VOLUME_STATUSES, RUNTIME, "STATE", node="mini01")
    metadata = resource.metadata
    assert (metadata.namespace, metadata.type, metadata.id) == (RUNTIME, VOLUME_STATUSES, "STATE")
    spec = block_pb2.VolumeStatusSpec.FromString(resource.proto_spec)
    assert spec.phase == enums_pb2.VOLUME_PHASE_READY
    assert spec.encryption_provider == enums_pb2.ENCRYPTION_PROVIDER_LUKS2
    assert spec.location == resource.spec["location"]


def test_get_of_missing_resource_raises_not_found(talos: TalosClient) -> None:
    with pytest.raises(ResourceNotFound, match=r"Disks\.block\.talos\.dev/sdz .* on node mini01"):
        talos.get(DISKS, RUNTIME, "sdz", node="mini01")


def test_unknown_node_is_unavailable_like_apid(talos: TalosClient) -> None:
    with pytest.raises(TalosApiError) as caught:
        talos.disks(node="mini04")
    assert caught.value.code == "UNAVAILABLE"
    assert "lookup mini04: no such host" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_other_namespace_lists_nothing(talos: TalosClient) -> None:
    assert talos.list(DISKS, "config", node="mini01") == []
