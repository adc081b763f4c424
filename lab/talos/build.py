"""Build every node's disk images (in parallel, cached) and write the per-node inventories.

    inventories = build_nodes(state_dir, default_cluster())   # {"mini01": Path(".../mini01/inventory.yaml"), ...}
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lab.talos.hardware import NodeHardware
from lab.talos.images import build_image
from lab.talos.inventory import InventoryDisk, NodeInventory, write_inventory
from lab.talos.layout import DiskLayout, system_disk_layout, usb_disk_layouts


def node_layouts(node: NodeHardware) -> tuple[DiskLayout, ...]:
    return (system_disk_layout(node), *usb_disk_layouts(node))


def build_nodes(state_dir: Path, nodes: Sequence[NodeHardware]) -> dict[str, Path]:
    """Images under ``state_dir/images`` (shared cache), inventories under ``state_dir/nodes/<name>``."""
    cache = state_dir / "images"
    jobs = [(node, layout) for node in nodes for layout in node_layouts(node)]
    with ThreadPoolExecutor(max_workers=4) as pool:  # the tools run as subprocesses, off the GIL
        images = list(pool.map(lambda job: build_image(job[1], cache), jobs))
    paths: dict[str, Path] = {}
    for node in nodes:
        built = zip(jobs, images, strict=True)
        disks = tuple(_disk(layout, image) for (owner, layout), image in built if owner is node)
        inventory = NodeInventory(node=node.name, address=node.address, disks=disks)
        paths[node.name] = write_inventory(state_dir / "nodes" / node.name / "inventory.yaml", inventory)
    return paths


def _disk(layout: DiskLayout, image: Path) -> InventoryDisk:
    return InventoryDisk(device=layout.device, image=image, model=layout.model, serial=layout.serial,
                         transport=layout.transport, rotational=False)
