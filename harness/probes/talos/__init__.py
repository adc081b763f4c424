"""Talos API adapter: talosconfig parsing, a COSI State client, typed block resources.

    talos = TalosClient.from_talosconfig(Path("talosconfig"))
    state = talos.volume_status(node="172.29.51.11", volume_id="STATE")   # .encryption_provider == "luks2"

This package is the only place in ``harness/`` that imports ``grpc`` and ``talos_api``.
"""

from harness.core.errors import ResourceNotFound, ResourceSpecError, TalosApiError, TalosConfigError, TalosError
from harness.probes.talos.client import TalosClient
from harness.probes.talos.config import (
    BasicAuth,
    Endpoint,
    TalosConfig,
    TalosContext,
    load_talosconfig,
    parse_endpoint,
    parse_talosconfig,
)
from harness.probes.talos.resources import (
    ADDRESS_STATUSES,
    DISCOVERED_VOLUMES,
    DISKS,
    MOUNT_STATUSES,
    NETWORK,
    RUNTIME,
    USER_VOLUME_LABEL,
    USER_VOLUME_PREFIX,
    VOLUME_STATUSES,
    AddressStatus,
    DiscoveredVolume,
    Disk,
    MountStatus,
    Resource,
    ResourceMetadata,
    VolumeStatus,
    disk_of_volume,
    parse_talosctl_yaml,
)

__all__ = [
    "ADDRESS_STATUSES", "NETWORK", "AddressStatus",
    "DISCOVERED_VOLUMES", "DISKS", "MOUNT_STATUSES", "RUNTIME", "USER_VOLUME_LABEL", "USER_VOLUME_PREFIX",
    "VOLUME_STATUSES", "BasicAuth", "DiscoveredVolume", "Disk", "Endpoint", "MountStatus", "Resource",
    "ResourceMetadata", "ResourceNotFound", "ResourceSpecError", "TalosApiError", "TalosClient", "TalosConfig",
    "TalosConfigError", "TalosContext", "TalosError", "VolumeStatus", "disk_of_volume", "load_talosconfig",
    "parse_endpoint", "parse_talosconfig", "parse_talosctl_yaml",
]
