"""Typed views of the Talos block resources, parsed from a COSI resource's YAML spec.

    disks = [Disk.from_resource(r) for r in client.list(DISKS, RUNTIME, node="mini01")]
    usb = [d for d in disks if d.transport == "usb" and d.model == "Portable SSD T5"]

Type names, namespace and YAML keys follow siderolabs/talos ``pkg/machinery/resources/block``:
``Disks.block.talos.dev`` (snake_case keys, disk.go), ``DiscoveredVolumes.block.talos.dev``
(snake_case since pretty_size was added; older releases used camelCase, both are accepted here),
``VolumeStatuses.block.talos.dev`` and ``MountStatuses.block.talos.dev`` (camelCase keys).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.talos.errors import ResourceSpecError

RUNTIME = "runtime"
DISKS = "Disks.block.talos.dev"
DISCOVERED_VOLUMES = "DiscoveredVolumes.block.talos.dev"
VOLUME_STATUSES = "VolumeStatuses.block.talos.dev"
MOUNT_STATUSES = "MountStatuses.block.talos.dev"
#: Talos names user volumes "u-" + the name in the UserVolumeConfig (constants.UserVolumePrefix).
USER_VOLUME_PREFIX = "u-"


@dataclass(frozen=True)
class ResourceMetadata:
    """COSI metadata: (namespace, type, id) addresses a resource on one node."""

    namespace: str
    type: str
    id: str
    version: str
    phase: str
    owner: str
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Resource:
    """Any COSI resource: metadata, the node it came from, and the spec parsed from YAML."""

    node: str
    metadata: ResourceMetadata
    spec: Mapping[str, Any] = field(repr=False)
    yaml_spec: str = field(repr=False)
    proto_spec: bytes = field(default=b"", repr=False)

    def where(self) -> str:
        """``<type>/<id> on <node>`` for messages."""
        return f"{self.metadata.type}/{self.metadata.id} on {self.node}"


@dataclass(frozen=True)
class Disk:
    """A block device as ``talosctl get disks`` shows it."""

    node: str
    id: str
    dev_path: str
    size: int
    model: str
    serial: str
    transport: str
    rotational: bool
    readonly: bool
    wwid: str
    bus_path: str
    symlinks: tuple[str, ...]

    @classmethod
    def from_resource(cls, resource: Resource) -> Disk:
        spec = _Spec(resource, DISKS)
        return cls(
            node=resource.node, id=resource.metadata.id, dev_path=spec.text("dev_path"),
            size=spec.integer("size"), model=spec.text("model"), serial=spec.text("serial"),
            transport=spec.text("transport"), rotational=spec.flag("rotational"),
            readonly=spec.flag("readonly"), wwid=spec.text("wwid"), bus_path=spec.text("bus_path"),
            symlinks=spec.texts("symlinks"),
        )


@dataclass(frozen=True)
class DiscoveredVolume:
    """What Talos probed on a disk or partition: ``name`` is the content (gpt, xfs, luks, ...)."""

    node: str
    id: str
    type: str
    dev_path: str
    parent: str
    size: int
    name: str
    uuid: str
    label: str
    partition_label: str
    partition_type: str
    partition_uuid: str
    partition_index: int

    @property
    def is_luks(self) -> bool:
        return self.name == "luks"

    @classmethod
    def from_resource(cls, resource: Resource) -> DiscoveredVolume:
        spec = _Spec(resource, DISCOVERED_VOLUMES)
        return cls(
            node=resource.node, id=resource.metadata.id, type=spec.text("type"),
            dev_path=spec.text("dev_path", "devPath"), parent=spec.text("parent"),
            size=spec.integer("size"), name=spec.text("name"), uuid=spec.text("uuid"),
            label=spec.text("label"), partition_label=spec.text("partition_label", "partitionLabel"),
            partition_type=spec.text("partition_type", "partitionType"),
            partition_uuid=spec.text("partition_uuid", "partitionUUID"),
            partition_index=spec.integer("partition_index", "partitionIndex"),
        )


@dataclass(frozen=True)
class VolumeStatus:
    """A volume's lifecycle (``phase``: waiting, failed, missing, located, ..., ready)."""

    node: str
    id: str
    phase: str
    type: str
    location: str
    mount_location: str
    parent_location: str
    filesystem: str
    encryption_provider: str
    error_message: str
    size: int

    @property
    def is_ready(self) -> bool:
        return self.phase == "ready"

    @classmethod
    def from_resource(cls, resource: Resource) -> VolumeStatus:
        spec = _Spec(resource, VOLUME_STATUSES)
        return cls(
            node=resource.node, id=resource.metadata.id, phase=spec.text("phase"),
            type=spec.text("type"), location=spec.text("location"),
            mount_location=spec.text("mountLocation"), parent_location=spec.text("parentLocation"),
            filesystem=spec.text("filesystem") or "none",
            encryption_provider=spec.text("encryptionProvider") or "none",
            error_message=spec.text("errorMessage"), size=spec.integer("size"),
        )


@dataclass(frozen=True)
class MountStatus:
    """A mounted volume: source device, target path, filesystem and encryption."""

    node: str
    id: str
    source: str
    target: str
    filesystem: str
    encryption_provider: str
    read_only: bool

    @classmethod
    def from_resource(cls, resource: Resource) -> MountStatus:
        spec = _Spec(resource, MOUNT_STATUSES)
        return cls(
            node=resource.node, id=resource.metadata.id, source=spec.text("source"),
            target=spec.text("target"), filesystem=spec.text("filesystem") or "none",
            encryption_provider=spec.text("encryptionProvider") or "none",
            read_only=spec.flag("readOnly"),
        )


def parse_yaml_spec(yaml_spec: str, where: str) -> Mapping[str, Any]:
    """The YAML spec as a mapping (empty for an empty spec)."""
    try:
        spec = yaml.safe_load(yaml_spec) if yaml_spec.strip() else {}
    except yaml.YAMLError:
        raise ResourceSpecError(f"{where}: yaml_spec is not valid YAML") from None
    if not isinstance(spec, dict):
        raise ResourceSpecError(f"{where}: yaml_spec is a {type(spec).__name__}, expected a mapping")
    return spec


class _Spec:
    """Typed field access on a spec mapping, failing with the resource and key named."""

    def __init__(self, resource: Resource, expected_type: str) -> None:
        if resource.metadata.type != expected_type:
            raise ResourceSpecError(f"{resource.where()}: is not a {expected_type}")
        self._resource = resource
        self._spec = resource.spec

    def _get(self, keys: tuple[str, ...]) -> object:
        return next((self._spec[key] for key in keys if key in self._spec), None)

    def text(self, *keys: str) -> str:
        value = self._get(keys)
        if value is None:
            return ""
        if isinstance(value, (dict, list)):
            raise self._error(keys, "a scalar", value)
        return str(value)

    def integer(self, *keys: str) -> int:
        value = self._get(keys)
        if value is None:
            return 0
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._error(keys, "an integer", value)
        return value

    def flag(self, *keys: str) -> bool:
        value = self._get(keys)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._error(keys, "a boolean", value)
        return value

    def texts(self, *keys: str) -> tuple[str, ...]:
        value = self._get(keys)
        if value is None:
            return ()
        if not isinstance(value, list):
            raise self._error(keys, "a list", value)
        return tuple(str(item) for item in value)

    def _error(self, keys: tuple[str, ...], expected: str, seen: object) -> ResourceSpecError:
        return ResourceSpecError(
            f"{self._resource.where()}: spec key {keys[0]!r} expected {expected}, saw {type(seen).__name__}"
        )
