"""Declarative per-node hardware for the Talos stand-in, and the fault builders that vary it.

    nodes = apply_faults(default_cluster(), {"mini02": ["state-luks1"], "mini03": ["no-t5"]})
    TalosLab(state_dir, nodes).start()

The healthy shape mirrors the owner's cluster (talconfig.yaml): three Mac minis whose internal
Apple SSD carries Talos's GPT layout with STATE and EPHEMERAL in LUKS2, and one USB Samsung
Portable SSD T5 each, holding the ``longhorn-ssd`` user volume formatted XFS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

#: What a system partition holds: a LUKS header of that version, or a bare XFS filesystem.
Encryption = Literal["luks2", "luks1", "none"]

APPLE_SSD_MODEL = "APPLE SSD AP0256Q"
T5_MODEL = "Portable SSD T5"
USER_VOLUME = "longhorn-ssd"


@dataclass(frozen=True)
class SystemDisk:
    """The internal NVMe disk Talos is installed on."""

    serial: str
    model: str = APPLE_SSD_MODEL
    state: Encryption = "luks2"
    ephemeral: Encryption = "luks2"


@dataclass(frozen=True)
class UsbSsd:
    """A USB SSD; ``user_volume`` names the XFS user-volume partition on it (None: blank disk)."""

    serial: str
    model: str = T5_MODEL
    user_volume: str | None = USER_VOLUME


@dataclass(frozen=True)
class NodeHardware:
    """One node: its name, the address talosctl targets it by, and its disks."""

    name: str
    address: str
    system: SystemDisk
    usb: tuple[UsbSsd, ...]


def default_node(index: int) -> NodeHardware:
    """Healthy ``mini0<index>`` at 172.29.51.1<index> (addresses only label nodes; never dialled)."""
    return NodeHardware(
        name=f"mini{index:02d}",
        address=f"172.29.51.{10 + index}",
        system=SystemDisk(serial=f"C0{index}2330A0ABC"),
        usb=(UsbSsd(serial=f"S49WNP0N10{index}234"),),
    )


def default_cluster() -> tuple[NodeHardware, ...]:
    return tuple(default_node(index) for index in (1, 2, 3))


def state_unencrypted(node: NodeHardware) -> NodeHardware:
    """STATE is a plain XFS filesystem instead of LUKS2."""
    return replace(node, system=replace(node.system, state="none"))


def state_luks1(node: NodeHardware) -> NodeHardware:
    """STATE carries a LUKS1 header instead of LUKS2."""
    return replace(node, system=replace(node.system, state="luks1"))


def ephemeral_unencrypted(node: NodeHardware) -> NodeHardware:
    """EPHEMERAL is a plain XFS filesystem instead of LUKS2."""
    return replace(node, system=replace(node.system, ephemeral="none"))


def without_t5(node: NodeHardware) -> NodeHardware:
    """No USB SSD attached."""
    return replace(node, usb=())


def with_two_t5(node: NodeHardware) -> NodeHardware:
    """A second, blank T5 attached next to the one holding the user volume."""
    extra = UsbSsd(serial=f"S49WNP0N99{node.name[-1]}876", user_volume=None)
    return replace(node, usb=(*node.usb, extra))


def other_system_disk(node: NodeHardware, model: str = "Samsung SSD 970 EVO Plus 1TB") -> NodeHardware:
    """The system disk is of another model than the Apple SSD the install selector expects."""
    return replace(node, system=replace(node.system, model=model))


FAULTS: Mapping[str, Callable[[NodeHardware], NodeHardware]] = {
    "state-unencrypted": state_unencrypted,
    "state-luks1": state_luks1,
    "ephemeral-unencrypted": ephemeral_unencrypted,
    "no-t5": without_t5,
    "two-t5": with_two_t5,
    "other-system-disk": other_system_disk,
}


def apply_faults(nodes: Sequence[NodeHardware], faults: Mapping[str, Sequence[str]]) -> tuple[NodeHardware, ...]:
    """Nodes with the named faults applied, e.g. ``{"mini02": ["state-luks1"]}``."""
    unknown_nodes = set(faults) - {node.name for node in nodes}
    if unknown_nodes:
        raise ValueError(f"faults name unknown nodes {sorted(unknown_nodes)}; nodes are {[n.name for n in nodes]}")
    return tuple(_apply(node, faults.get(node.name, ())) for node in nodes)


def _apply(node: NodeHardware, names: Sequence[str]) -> NodeHardware:
    for name in names:
        if name not in FAULTS:
            raise ValueError(f"unknown fault {name!r} for {node.name}; known faults: {sorted(FAULTS)}")
        node = FAULTS[name](node)
    return node
