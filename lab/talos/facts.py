"""Turn a node's inventory and probed images into the COSI resources Talos would report.

    for resource in node_resources(load_inventory(path)): print(resource.type, resource.id)

Specs use Talos v1.10.5's YAML keys (siderolabs/talos pkg/machinery/resources/block: disk.go:26-54
and discovered_volume.go:27-54 snake_case, volume_status.go:26-64 and mount_status.go:26-33
camelCase), metadata the owning controller's name (internal/app/machined/pkg/controllers/block:
disks.go:27, discovery.go:30, volume_manager.go:39, mount.go:42). Volume status is derived from what
the probe found, judged against the machine config of the owner's cluster (talconfig.yaml:
systemDiskEncryption luks2 with a nodeID key for STATE and EPHEMERAL, diskQuotaSupport; user volume
longhorn-ssd on ``disk.model == "Portable SSD T5"``, xfs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lab.talos.hardware import T5_MODEL, USER_VOLUME
from lab.talos.inventory import InventoryDisk, NodeInventory
from lab.talos.probe import ProbedDisk, ProbedPartition, probe_disk
from lab.talos.units import pretty_size
from lab.talos.volumes import USER_VOLUME_LABEL, system_volume_statuses, user_volume_status

DISKS = "Disks.block.talos.dev"
DISCOVERED_VOLUMES = "DiscoveredVolumes.block.talos.dev"
VOLUME_STATUSES = "VolumeStatuses.block.talos.dev"
MOUNT_STATUSES = "MountStatuses.block.talos.dev"
# The running Talos version (pkg/machinery/resources/runtime/version.go, since v1.10.0: siderolabs/talos#10703;
# id "version", spec {version: <version.Tag>}, written by runtime.VersionController).
VERSIONS = "Versions.runtime.talos.dev"
TALOS_VERSION = "v1.10.5"
SECTOR = 512
OWNERS = {DISKS: "block.DisksController", DISCOVERED_VOLUMES: "block.DiscoveryController",
          VOLUME_STATUSES: "block.VolumeManagerController", MOUNT_STATUSES: "block.MountController",
          VERSIONS: "runtime.VersionController"}


@dataclass(frozen=True)
class LabResource:
    type: str
    id: str
    spec: dict[str, Any] = field(repr=False)
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProbedNodeDisk:
    disk: InventoryDisk
    probe: ProbedDisk

    @property
    def dev_path(self) -> str:
        return f"/dev/{self.disk.device}"

    def partition_device(self, index: int) -> str:
        separator = "p" if self.disk.device[-1].isdigit() else ""
        return f"{self.disk.device}{separator}{index}"


def node_resources(inventory: NodeInventory) -> list[LabResource]:
    disks = [ProbedNodeDisk(disk, probe_disk(disk.image)) for disk in inventory.disks]
    resources = [LabResource(DISKS, d.disk.device, disk_spec(d)) for d in disks]
    for d in disks:
        resources.append(LabResource(DISCOVERED_VOLUMES, d.disk.device, discovered_disk_spec(d)))
        resources += [
            LabResource(DISCOVERED_VOLUMES, d.partition_device(p.entry.index), discovered_partition_spec(d, p))
            for p in d.probe.partitions
        ]
    statuses = system_volume_statuses(disks)
    statuses.append(user_volume_status(disks, USER_VOLUME, T5_MODEL))
    user = {USER_VOLUME_LABEL: ""}  # copied from the VolumeConfig (volume_manager.go:341-343)
    resources += [LabResource(VOLUME_STATUSES, volume_id, spec, user if volume_id.startswith("u-") else {})
                  for volume_id, spec, _ in statuses]
    resources += [LabResource(MOUNT_STATUSES, volume_id, mount) for volume_id, _, mount in statuses if mount]
    resources.append(LabResource(VERSIONS, "version", {"version": TALOS_VERSION}))
    return resources


def disk_spec(d: ProbedNodeDisk) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "dev_path": d.dev_path, "size": d.probe.size, "pretty_size": pretty_size(d.probe.size),
        "io_size": SECTOR, "sector_size": SECTOR, "readonly": False, "cdrom": False,
        "model": d.disk.model, "serial": d.disk.serial,
        "bus_path": f"/pci0000:00/lab/{d.disk.transport}/{d.disk.device}", "sub_system": "/sys/class/block",
        "transport": d.disk.transport, "symlinks": [by_id_symlink(d.disk)],
    }
    if d.disk.rotational:
        spec["rotational"] = True  # omitempty upstream
    return spec


def by_id_symlink(disk: InventoryDisk) -> str:
    model = disk.model.replace(" ", "_")
    if disk.transport == "usb":
        return f"/dev/disk/by-id/usb-Samsung_{model}_{disk.serial}-0:0"
    return f"/dev/disk/by-id/{disk.transport}-{model}_{disk.serial}"


def discovered_disk_spec(d: ProbedNodeDisk) -> dict[str, Any]:
    spec: dict[str, Any] = {"dev_path": d.dev_path, "type": "disk", "device_path": f"/sys/devices/lab/{d.disk.device}",
                            "size": d.probe.size, "pretty_size": pretty_size(d.probe.size),
                            "sector_size": SECTOR, "io_size": SECTOR, "name": d.probe.table}
    if d.probe.disk_guid:
        spec["uuid"] = d.probe.disk_guid
    return spec


def discovered_partition_spec(d: ProbedNodeDisk, p: ProbedPartition) -> dict[str, Any]:
    device = d.partition_device(p.entry.index)
    spec: dict[str, Any] = {
        "dev_path": f"/dev/{device}", "type": "partition", "device_path": f"/sys/devices/lab/{d.disk.device}/{device}",
        "parent": d.disk.device, "parent_dev_path": d.dev_path, "size": p.entry.size,
        "pretty_size": pretty_size(p.entry.size), "sector_size": SECTOR, "io_size": SECTOR,
        "name": p.content.kind,
    }
    optional = {"uuid": p.content.uuid, "label": p.content.label, "block_size": p.content.block_size,
                "probed_size": p.content.filesystem_size, "partition_uuid": p.entry.part_guid,
                "partition_type": p.entry.type_guid, "partition_label": p.entry.name,
                "partition_index": p.entry.index}
    spec.update({key: value for key, value in optional.items() if value})
    return spec
