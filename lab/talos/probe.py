"""Discover what a disk image holds by parsing it: GPT, then LUKS or XFS at each partition.

    disk = probe_disk(Path("nvme0n1.img"))
    [(p.entry.name, p.content.kind, p.content.version) for p in disk.partitions]   # ("STATE", "luks", 2)

Formats: GPT header at LBA 1 and its partition entry array (UEFI spec 2.10 §5.3, header CRC32
checked); LUKS magic ``LUKS\\xba\\xbe`` + big-endian version at offset 6, label at 24 (LUKS2 only)
and UUID at 168 (cryptsetup docs/on-disk-format*.pdf); XFS superblock magic ``XFSB`` with
big-endian block size at 4, block count at 8, UUID at 32 and label at 108 (xfs_format.h).
"""

from __future__ import annotations

import struct
import uuid
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

SECTOR = 512
_GPT_SIGNATURE = b"EFI PART"
_LUKS_MAGIC = b"LUKS\xba\xbe"
_XFS_MAGIC = b"XFSB"


class ProbeError(ValueError):
    """The image is not what its parser expects (bad signature, CRC, truncated table)."""


@dataclass(frozen=True)
class GptEntry:
    index: int
    name: str
    type_guid: str
    part_guid: str
    first_lba: int
    last_lba: int

    @property
    def offset(self) -> int:
        return self.first_lba * SECTOR

    @property
    def size(self) -> int:
        return (self.last_lba - self.first_lba + 1) * SECTOR


@dataclass(frozen=True)
class Content:
    """What a probe recognised: ``kind`` is "luks", "xfs" or "" (nothing known)."""

    kind: str
    version: int = 0
    uuid: str = ""
    label: str = ""
    block_size: int = 0
    filesystem_size: int = 0


@dataclass(frozen=True)
class ProbedPartition:
    entry: GptEntry
    content: Content


@dataclass(frozen=True)
class ProbedDisk:
    path: Path
    size: int
    table: str
    disk_guid: str
    partitions: tuple[ProbedPartition, ...]


def probe_disk(path: Path) -> ProbedDisk:
    """Parse the GPT of the image at ``path`` and probe every partition's content."""
    with open(path, "rb") as image:
        size = image.seek(0, 2)
        header = _read(image, SECTOR, 92)
        if header[:8] != _GPT_SIGNATURE:
            return ProbedDisk(path, size, "", "", ())
        _check_header_crc(header, path)
        disk_guid = _guid(header[56:72])
        entries_lba, count, entry_size = struct.unpack_from("<QII", header, 72)
        table = _read(image, entries_lba * SECTOR, count * entry_size)
        entries = [_entry(table, i, entry_size) for i in range(count)]
        partitions = tuple(ProbedPartition(e, probe_content(image, e.offset)) for e in entries if e is not None)
    return ProbedDisk(path, size, "gpt", disk_guid, partitions)


def probe_content(image: BinaryIO, offset: int) -> Content:
    """LUKS header or XFS superblock at ``offset``, else an unknown Content."""
    head = _read(image, offset, 4096, allow_short=True)
    if head[:6] == _LUKS_MAGIC:
        version = struct.unpack_from(">H", head, 6)[0]
        label = _cstring(head[24:72]) if version == 2 else ""
        return Content("luks", version=version, uuid=_cstring(head[168:208]), label=label)
    if head[:4] == _XFS_MAGIC:
        block_size, blocks = struct.unpack_from(">IQ", head, 4)
        return Content("xfs", uuid=str(uuid.UUID(bytes=head[32:48])), label=_cstring(head[108:120]),
                       block_size=block_size, filesystem_size=block_size * blocks)
    return Content("")


def _entry(table: bytes, index: int, entry_size: int) -> GptEntry | None:
    raw = table[index * entry_size:(index + 1) * entry_size]
    if raw[:16] == bytes(16):
        return None
    first, last = struct.unpack_from("<QQ", raw, 32)
    name = raw[56:128].decode("utf-16-le").rstrip("\x00")
    return GptEntry(index + 1, name, _guid(raw[0:16]), _guid(raw[16:32]), first, last)


def _check_header_crc(header: bytes, path: Path) -> None:
    header_size = struct.unpack_from("<I", header, 12)[0]
    stored = struct.unpack_from("<I", header, 16)[0]
    zeroed = header[:16] + bytes(4) + header[20:header_size]
    if zlib.crc32(zeroed) != stored:
        raise ProbeError(f"{path}: GPT header CRC mismatch (stored {stored:#010x})")


def _guid(raw: bytes) -> str:
    return str(uuid.UUID(bytes_le=raw))  # GPT stores GUIDs mixed-endian


def _cstring(raw: bytes) -> str:
    return raw.split(b"\x00", 1)[0].decode(errors="replace")


def _read(image: BinaryIO, offset: int, length: int, allow_short: bool = False) -> bytes:
    image.seek(offset)
    data = image.read(length)
    if len(data) < length and not allow_short:
        raise ProbeError(f"{getattr(image, 'name', 'image')}: truncated at offset {offset} (wanted {length} bytes)")
    return data
