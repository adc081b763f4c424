"""The lab's disk images are real artefacts: blkid/sfdisk agree with the stand-in's own parser."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lab.talos.build import build_nodes
from lab.talos.hardware import default_cluster, ephemeral_unencrypted, state_luks1
from lab.talos.images import build_image
from lab.talos.inventory import load_inventory
from lab.talos.layout import MIB, system_disk_layout
from lab.talos.probe import probe_disk

pytestmark = pytest.mark.lab

BLKID = shutil.which("blkid") or "/usr/sbin/blkid"


def _blkid(image: Path, offset: int) -> dict[str, str]:
    out = subprocess.run([BLKID, "-p", "-o", "export", "-O", str(offset), str(image)],
                         capture_output=True, text=True, check=False).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def test_three_nodes_build_fast_and_sparse(tmp_path: Path) -> None:
    started = time.monotonic()
    inventories = build_nodes(tmp_path, default_cluster())
    assert time.monotonic() - started < 3.0
    images = {disk.image for path in inventories.values() for disk in load_inventory(path).disks}
    assert len(images) == 6
    for image in images:
        assert image.stat().st_blocks * 512 < image.stat().st_size / 2, f"{image} is not sparse"


def test_rebuild_hits_the_cache(tmp_path: Path) -> None:
    layout = system_disk_layout(default_cluster()[0])
    first = build_image(layout, tmp_path)
    mtime = first.stat().st_mtime_ns
    assert build_image(layout, tmp_path) == first and first.stat().st_mtime_ns == mtime
    assert build_image(system_disk_layout(state_luks1(default_cluster()[0])), tmp_path) != first


def test_probe_matches_blkid_and_sfdisk(tmp_path: Path) -> None:
    node = ephemeral_unencrypted(state_luks1(default_cluster()[1]))
    image = build_image(system_disk_layout(node), tmp_path)
    disk = probe_disk(image)
    dump = subprocess.run([shutil.which("sfdisk") or "/usr/sbin/sfdisk", "--dump", str(image)],
                          capture_output=True, text=True, check=True).stdout
    for part in disk.partitions:
        assert f'name="{part.entry.name}"' in dump and f"start={part.entry.first_lba:>12}" in dump
    by_name = {p.entry.name: p for p in disk.partitions}
    state = _blkid(image, by_name["STATE"].entry.offset)
    assert (state["TYPE"], state["VERSION"], state["UUID"]) == ("crypto_LUKS", "1", by_name["STATE"].content.uuid)
    assert by_name["STATE"].content.version == 1
    ephemeral = _blkid(image, by_name["EPHEMERAL"].entry.offset)
    assert (ephemeral["TYPE"], ephemeral["UUID"]) == ("xfs", by_name["EPHEMERAL"].content.uuid)


@pytest.mark.parametrize("encryption", ["luks2"])
def test_luks2_header_carries_label(tmp_path: Path, encryption: str) -> None:
    image = build_image(system_disk_layout(default_cluster()[2]), tmp_path)
    state = next(p for p in probe_disk(image).partitions if p.entry.name == "STATE")
    found = _blkid(image, state.entry.offset)
    assert (found["TYPE"], found["VERSION"], found["LABEL"]) == ("crypto_LUKS", "2", "STATE")
    assert state.content.label == "STATE" and state.entry.offset % MIB == 0
