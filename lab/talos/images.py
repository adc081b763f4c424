"""Build the lab's sparse GPT disk images with the real tools: sfdisk, cryptsetup, mkfs.xfs.

    path = build_image(layout, cache_dir)      # cached by content key: rebuilt only when the layout changes

Each partition's content is made in a file of its own (``cryptsetup luksFormat`` and ``mkfs.xfs``
both accept a plain file, no loop device), then copied into the image at the partition's offset,
skipping holes so the image stays sparse.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import asdict
from pathlib import Path

from lab.talos.layout import MIB, SECTOR, DiskLayout, PartitionLayout

BUILDER_VERSION = "1"
_SBIN = ("/usr/sbin", "/sbin")
#: mkfs.xfs (xfsprogs >= 5.19) refuses filesystems < 300 MB unless it runs under fstests, which it
#: detects by these variables (xfsprogs mkfs/xfs_mkfs.c, validate_datadev).
_XFS_SMALL_ENV = {"TEST_DIR": "1", "TEST_DEV": "1", "QA_CHECK_FS": "1"}
_LUKS_PASSPHRASE = b"lab-node-id-key"


class ImageBuildError(RuntimeError):
    """A tool failed while building a disk image."""


def content_key(layout: DiskLayout) -> str:
    payload = json.dumps({"v": BUILDER_VERSION, "layout": asdict(layout)}, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def build_image(layout: DiskLayout, cache_dir: Path) -> Path:
    """The image for ``layout`` in ``cache_dir``, built unless an identical one is already there."""
    final = cache_dir / f"{layout.device}-{content_key(layout)}.img"
    if final.exists():
        return final
    cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".build-") as scratch:
        work = Path(scratch) / "disk.img"
        with open(work, "wb") as image:
            image.truncate(layout.size_bytes)
        _partition(work, layout)
        offset = MIB
        for part in layout.partitions:
            _fill_partition(work, offset, part, Path(scratch))
            offset += part.size_mib * MIB
        os.replace(work, final)
    return final


def _partition(image: Path, layout: DiskLayout) -> None:
    lines = ["label: gpt", f"label-id: {layout.disk_guid}", "unit: sectors", "first-lba: 2048", ""]
    start = MIB // SECTOR
    for part in layout.partitions:
        size = part.size_mib * MIB // SECTOR
        attrs = ', attrs="LegacyBIOSBootable"' if part.legacy_bios_bootable else ""
        identity = f'type={part.type_guid}, uuid={part.part_uuid}, name="{part.name}"'
        lines.append(f"start={start}, size={size}, {identity}{attrs}")
        start += size
    _run([_tool("sfdisk"), "--quiet", "--no-reread", "--no-tell-kernel", str(image)], "\n".join(lines) + "\n")


def _fill_partition(image: Path, offset: int, part: PartitionLayout, scratch: Path) -> None:
    if part.content == "empty":
        return
    blob = scratch / f"{part.name}.part"
    with open(blob, "wb") as handle:
        handle.truncate(part.size_mib * MIB)
    if part.content == "xfs":
        _run([_tool("mkfs.xfs"), "-q", "-f", "-K", "-m", f"uuid={part.content_uuid}", str(blob)],
             env={**os.environ, **_XFS_SMALL_ENV})
    else:
        _luks_format(blob, part)
    _copy_sparse(blob, image, offset)
    blob.unlink()


def _luks_format(blob: Path, part: PartitionLayout) -> None:
    # Fast, small and deterministic: pbkdf2 with the minimum 1000 iterations, a 1 MiB keyslot area
    # (LUKS2 default is 16 MiB), the partition's stable UUID; Talos labels LUKS2 headers by volume.
    args = [_tool("cryptsetup"), "luksFormat", "--batch-mode", "--type", part.content,
            "--pbkdf-force-iterations", "1000", "--uuid", part.content_uuid, "--key-file", "-"]
    if part.content == "luks2":
        args += ["--pbkdf", "pbkdf2", "--luks2-metadata-size", "16k", "--luks2-keyslots-size", "1m",
                 "--label", part.name]
    _run([*args, str(blob)], _LUKS_PASSPHRASE)


def _copy_sparse(source: Path, image: Path, offset: int) -> None:
    """Copy only the data extents of ``source`` into ``image`` at ``offset`` (SEEK_DATA/SEEK_HOLE)."""
    size = source.stat().st_size
    with open(source, "rb") as src, open(image, "r+b") as dst:
        position = 0
        while position < size:
            try:
                data = os.lseek(src.fileno(), position, os.SEEK_DATA)
            except OSError:  # ENXIO: no data after position
                break
            hole = os.lseek(src.fileno(), data, os.SEEK_HOLE)
            src.seek(data)
            dst.seek(offset + data)
            dst.write(src.read(hole - data))
            position = hole


def _tool(name: str) -> str:
    found = shutil.which(name) or next((f"{d}/{name}" for d in _SBIN if os.access(f"{d}/{name}", os.X_OK)), None)
    if found is None:
        package = {"sfdisk": "fdisk", "cryptsetup": "cryptsetup-bin", "mkfs.xfs": "xfsprogs"}[name]
        raise ImageBuildError(f"lab.talos needs {name} on PATH or in /usr/sbin (Debian package {package})")
    return found


def _run(args: list[str], stdin: str | bytes | None = None, env: dict[str, str] | None = None) -> None:
    data = stdin.encode() if isinstance(stdin, str) else stdin
    result = subprocess.run(args, input=data, capture_output=True, env=env, check=False, timeout=60)
    if result.returncode != 0:
        detail = " ".join(result.stderr.decode(errors="replace").split())[:300]
        raise ImageBuildError(f"{Path(args[0]).name} exited {result.returncode} building a lab image: {detail}")
