"""Per-node inventory file: the disk facts an image cannot hold (model, serial, transport, ...).

    write_inventory(node_dir / "inventory.yaml", NodeInventory("mini01", "172.29.51.11", disks))
    inventory = load_inventory(node_dir / "inventory.yaml")

The lab writes it next to the node's images; the stand-in reads it (and probes the images it
names) on every request, so rebuilding a node's images changes what clients see.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class InventoryDisk:
    device: str
    image: Path
    model: str
    serial: str
    transport: str
    rotational: bool = False


@dataclass(frozen=True)
class NodeInventory:
    node: str
    address: str
    disks: tuple[InventoryDisk, ...]


def write_inventory(path: Path, inventory: NodeInventory) -> Path:
    document = asdict(inventory)
    document["disks"] = [{**asdict(disk), "image": str(disk.image)} for disk in inventory.disks]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    tmp.replace(path)
    return path


def load_inventory(path: Path) -> NodeInventory:
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    disks = tuple(InventoryDisk(**{**disk, "image": Path(disk["image"])}) for disk in document["disks"])
    return NodeInventory(node=document["node"], address=document["address"], disks=disks)
