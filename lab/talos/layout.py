"""Partition layouts of the lab's disk images, derived from a node's hardware description.

    disk = system_disk_layout(node)        # EFI, BIOS, BOOT, META, STATE, EPHEMERAL on nvme0n1
    disks = usb_disk_layouts(node)         # one DiskLayout per attached USB SSD (sda, sdb, ...)

Partition names and type GUIDs follow the Talos installer (siderolabs/talos, installer target
``Partition()``: EFI = EFI System, BIOS = BIOS boot with LegacyBIOSBootable, the rest Linux
filesystem data). Sizes are shrunk so images stay a few tens of MiB; offsets stay 1 MiB aligned.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Literal

from lab.talos.hardware import Encryption, NodeHardware, UsbSsd

EFI_SYSTEM = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b"
BIOS_BOOT = "21686148-6449-6e6f-744e-656564454649"
LINUX_DATA = "0fc63daf-8483-4772-8e79-3d69d8477de4"
SECTOR = 512
MIB = 1024 * 1024
#: Smallest XFS the lab makes (mkfs.xfs refuses < 300 MB unless run as under fstests).
XFS_MIB = 16
_NAMESPACE = uuid.UUID("6c61622d-7461-6c6f-7300-000000000000")

Content = Literal["empty", "xfs", "luks2", "luks1"]


@dataclass(frozen=True)
class PartitionLayout:
    """One GPT partition and what the builder writes into it."""

    name: str
    type_guid: str
    size_mib: int
    content: Content
    part_uuid: str
    content_uuid: str
    legacy_bios_bootable: bool = False


@dataclass(frozen=True)
class DiskLayout:
    """One disk image: identity for the inventory plus the GPT to build."""

    device: str
    model: str
    serial: str
    transport: str
    disk_guid: str
    partitions: tuple[PartitionLayout, ...]

    @property
    def size_bytes(self) -> int:
        # 1 MiB before the first partition, 1 MiB after the last for the backup GPT.
        return (2 + sum(part.size_mib for part in self.partitions)) * MIB


def stable_uuid(*parts: str) -> str:
    """A UUID fixed by its inputs, so a rebuilt image is byte-identical and cacheable."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


def system_disk_layout(node: NodeHardware) -> DiskLayout:
    disk = node.system

    def part(name: str, type_guid: str, size: int, content: Content, bios: bool = False) -> PartitionLayout:
        return PartitionLayout(name, type_guid, size, content, stable_uuid(node.name, "nvme0n1", name, "part"),
                               stable_uuid(node.name, "nvme0n1", name, content), bios)

    return DiskLayout(
        device="nvme0n1", model=disk.model, serial=disk.serial, transport="nvme",
        disk_guid=stable_uuid(node.name, "nvme0n1"),
        partitions=(
            part("EFI", EFI_SYSTEM, 2, "empty"),
            part("BIOS", BIOS_BOOT, 1, "empty", bios=True),
            part("BOOT", LINUX_DATA, XFS_MIB, "xfs"),
            part("META", LINUX_DATA, 1, "empty"),
            part("STATE", LINUX_DATA, XFS_MIB, _content(disk.state)),
            part("EPHEMERAL", LINUX_DATA, XFS_MIB, _content(disk.ephemeral)),
        ),
    )


def usb_disk_layouts(node: NodeHardware) -> tuple[DiskLayout, ...]:
    return tuple(_usb_layout(node, f"sd{chr(ord('a') + index)}", ssd) for index, ssd in enumerate(node.usb))


def _usb_layout(node: NodeHardware, device: str, ssd: UsbSsd) -> DiskLayout:
    partitions: tuple[PartitionLayout, ...] = ()
    if ssd.user_volume is not None:
        label = f"u-{ssd.user_volume}"  # Talos labels a user volume's partition with the volume id
        partitions = (PartitionLayout(label, LINUX_DATA, XFS_MIB, "xfs", stable_uuid(node.name, device, label, "part"),
                                      stable_uuid(node.name, device, label, "xfs")),)
    return DiskLayout(device=device, model=ssd.model, serial=ssd.serial, transport="usb",
                      disk_guid=stable_uuid(node.name, device), partitions=partitions)


def _content(encryption: Encryption) -> Content:
    return "xfs" if encryption == "none" else encryption
