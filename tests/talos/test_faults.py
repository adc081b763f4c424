"""Every fault builder changes what a Talos client sees, because it changes the disk images."""

from __future__ import annotations

import pytest

from lab.talos.hardware import FAULTS

from .conftest import FaultLab

pytestmark = pytest.mark.lab


def test_state_unencrypted(fault_lab: FaultLab) -> None:
    talos = fault_lab({"mini02": ["state-unencrypted"]})
    state = talos.volume_status(node="mini02", volume_id="STATE")
    assert (state.phase, state.encryption_provider, state.filesystem) == ("ready", "none", "xfs")
    probed = {v.partition_label: v.name for v in talos.discovered_volumes(node="mini02")}
    assert probed["STATE"] == "xfs"
    assert talos.volume_status(node="mini01", volume_id="STATE").encryption_provider == "luks2"


def test_state_luks1(fault_lab: FaultLab) -> None:
    talos = fault_lab({"mini01": ["state-luks1"]})
    state = talos.volume_status(node="mini01", volume_id="STATE")
    assert state.phase == "failed" and state.encryption_provider == "none"
    assert "LUKS1 header" in state.error_message
    assert talos.volume_status(node="mini01", volume_id="EPHEMERAL").encryption_provider == "luks2"


def test_no_t5(fault_lab: FaultLab) -> None:
    talos = fault_lab({"mini03": ["no-t5"]})
    assert [d.model for d in talos.disks(node="mini03")] == ["APPLE SSD AP0256Q"]
    volume = talos.volume_status(node="mini03", volume_id="u-longhorn-ssd")
    assert volume.phase == "waiting" and volume.error_message == "no disks matched selector for volume"


def test_two_t5(fault_lab: FaultLab) -> None:
    talos = fault_lab({"mini01": ["two-t5"]})
    t5s = [d for d in talos.disks(node="mini01") if d.model == "Portable SSD T5"]
    assert [d.id for d in t5s] == ["sda", "sdb"]
    assert len({d.serial for d in t5s}) == 2
    assert talos.volume_status(node="mini01", volume_id="u-longhorn-ssd").location == "/dev/sda1"


def test_other_system_disk_model(fault_lab: FaultLab) -> None:
    talos = fault_lab({"mini02": ["other-system-disk"]})
    system = next(d for d in talos.disks(node="mini02") if d.id == "nvme0n1")
    assert not system.model.startswith("APPLE")


def test_unknown_fault_is_rejected(fault_lab: FaultLab) -> None:
    with pytest.raises(ValueError, match=r"unknown fault 'melted' for mini01; known faults: \["):
        fault_lab({"mini01": ["melted"]})


def test_every_fault_has_a_test() -> None:
    tested = {"state-unencrypted", "state-luks1", "no-t5", "two-t5", "other-system-disk", "ephemeral-unencrypted"}
    assert set(FAULTS) == tested
