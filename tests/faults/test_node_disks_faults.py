"""Each node_disks scenario fails, naming node, disk or volume, expected and seen, when its fault is in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from lab.faults import inject
from tests.faults.labrun import FaultLab

pytestmark = pytest.mark.lab

FEATURE = "node_disks.feature"


@contextmanager
def hardware_fault(lab: FaultLab, node: str, kind: str) -> Iterator[None]:
    inject(lab.lab_dir, "talos-hardware", node=node, kind=kind)
    try:
        yield
    finally:
        inject(lab.lab_dir, "clear")


def test_conforming_lab_passes_node_disks(lab: FaultLab) -> None:
    verdicts = lab.run_feature(FEATURE)
    verdicts.all_passed()


@pytest.mark.parametrize(("kind", "scenario", "words"), [
    ("state-unencrypted", "[STATE]", ["volume STATE on mini02 (172.29.51.12)", "encryption provider none",
                                      "expected luks2"]),
    ("state-luks1", "[STATE]", ["volume STATE on mini02 (172.29.51.12)", "expected luks2", "phase failed",
                                "LUKS1"]),
    ("no-t5", "exactly one", ["mini02 (172.29.51.12): 0 disks match", "'Portable SSD T5'", "expected exactly 1",
                              "APPLE SSD"]),
    ("two-t5", "exactly one", ["mini02 (172.29.51.12): 2 disks match", "expected exactly 1"]),
    ("other-system-disk", "install selector", ["mini02 (172.29.51.12): system disk nvme0n1 has model",
                                               "does not match the install disk selector 'APPLE*'"]),
])
def test_hardware_fault_is_named(lab: FaultLab, kind: str, scenario: str, words: list[str]) -> None:
    with hardware_fault(lab, "mini02", kind):
        verdicts = lab.run_feature(FEATURE)
    v = verdicts.failed(scenario)
    for word in words:
        assert word in v.message, f"{word!r} not in:\n{v.message}"
    assert "mini01" not in v.message and "mini03" not in v.message, v.message
