"""Typed views of the Talos block resources, parsed from a COSI resource's YAML spec.

    disks = [Disk.from_resource(r) for r in client.list(DISKS, RUNTIME, node="mini01")]
    usb = [d for d in disks if d.transport == "usb" and d.model == "Portable SSD T5"]
    disk_of_volume(volume_status, disks)          # the Disk whose dev_path is the volume's parentLocation

Type names, namespace and YAML keys follow siderolabs/talos v1.10.5 ``pkg/machinery/resources/block``
(the ``yaml:"..."`` struct tags; yaml.v3 omits ``omitempty`` fields at their zero value, and
enum fields such as ``filesystem: none`` or ``encryptionProvider: none`` are zero, so absent):

- ``Disks.block.talos.dev``: snake_case (disk.go:26-54, ``symlinks`` since v1.10).
- ``DiscoveredVolumes.block.talos.dev``: snake_case (discovered_volume.go:27-54); the device path key
  was misspelt ``dev_dath`` up to v1.10.3 (fixed in 2d5a805b0 "fix: typo in DiscoverdVolume spec",
  v1.10.4); both spellings are read.
- ``VolumeStatuses.block.talos.dev``: camelCase (volume_status.go:26-64; ``type``, ``parentID``,
  ``configuredEncryptionKeys``, ``mountSpec`` and ``symlink`` since v1.10).
- ``MountStatuses.block.talos.dev``: camelCase (mount_status.go:26-33).

``parse_talosctl_yaml`` reads the documents ``talosctl get <type> -o yaml`` prints
(cmd/talosctl/cmd/talos/output/yaml.go:42-65: ``node:``, then cosi-project/runtime v0.10.2
``MarshalYAML``: ``metadata`` with namespace, type, id, version, owner, phase, created, updated and
optional labels/annotations/finalizers, pkg/resource/metadata.go:197-296; then ``spec``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from harness.core.errors import ResourceSpecError

RUNTIME = "runtime"
DISKS = "Disks.block.talos.dev"
DISCOVERED_VOLUMES = "DiscoveredVolumes.block.talos.dev"
VOLUME_STATUSES = "VolumeStatuses.block.talos.dev"
MOUNT_STATUSES = "MountStatuses.block.talos.dev"
NETWORK = "network"
ADDRESS_STATUSES = "AddressStatuses.net.talos.dev"
#: Talos names user volumes "u-" + the name in the UserVolumeConfig (constants.UserVolumePrefix).
USER_VOLUME_PREFIX = "u-"
#: label on the VolumeConfig/VolumeStatus of user volumes (resources/block/block.go:33)
USER_VOLUME_LABEL = "talos.dev/user-volume"


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
    created: str = ""
    updated: str = ""


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
    pretty_size: str = ""
    cdrom: bool = False
    modalias: str = ""
    sub_system: str = ""
    secondary_disks: tuple[str, ...] = ()

    @classmethod
    def from_resource(cls, resource: Resource) -> Disk:
        spec = _Spec(resource, DISKS)
        return cls(
            node=resource.node, id=resource.metadata.id, dev_path=spec.text("dev_path"),
            size=spec.integer("size"), model=spec.text("model"), serial=spec.text("serial"),
            transport=spec.text("transport"), rotational=spec.flag("rotational"),
            readonly=spec.flag("readonly"), wwid=spec.text("wwid"), bus_path=spec.text("bus_path"),
            symlinks=spec.texts("symlinks"), pretty_size=spec.text("pretty_size"), cdrom=spec.flag("cdrom"),
            modalias=spec.text("modalias"), sub_system=spec.text("sub_system"),
            secondary_disks=spec.texts("secondary_disks"),
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
    parent_dev_path: str = ""
    pretty_size: str = ""

    @classmethod
    def from_resource(cls, resource: Resource) -> DiscoveredVolume:
        spec = _Spec(resource, DISCOVERED_VOLUMES)
        return cls(
            node=resource.node, id=resource.metadata.id, type=spec.text("type"),
            dev_path=spec.text("dev_path", "dev_dath"), parent=spec.text("parent"),
            size=spec.integer("size"), name=spec.text("name"), uuid=spec.text("uuid"),
            label=spec.text("label"), partition_label=spec.text("partition_label"),
            partition_type=spec.text("partition_type"), partition_uuid=spec.text("partition_uuid"),
            partition_index=spec.integer("partition_index"), parent_dev_path=spec.text("parent_dev_path"),
            pretty_size=spec.text("pretty_size"),
        )


@dataclass(frozen=True)
class VolumeStatus:
    """A volume's lifecycle (``phase``: waiting, failed, missing, located, ..., ready).

    ``location`` is the raw block device (``/dev/sda1``), ``parent_location`` the disk it is a partition
    of (``/dev/sda``; empty for whole-disk volumes), ``mount_location`` what is mounted (the
    device-mapper device, ``/dev/dm-0``, when the volume is encrypted).
    """

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
    pre_fail_phase: str = ""
    parent_id: str = ""
    partition_index: int = 0
    uuid: str = ""
    partition_uuid: str = ""
    pretty_size: str = ""
    encryption_failed_syncs: tuple[str, ...] = ()
    configured_encryption_keys: tuple[str, ...] = ()
    mount_target: str = ""
    mount_parent_id: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_ready(self) -> bool:
        return self.phase == "ready"

    @property
    def is_user_volume(self) -> bool:
        return USER_VOLUME_LABEL in self.labels or self.id.startswith(USER_VOLUME_PREFIX)

    @classmethod
    def from_resource(cls, resource: Resource) -> VolumeStatus:
        spec = _Spec(resource, VOLUME_STATUSES)
        mount = spec.mapping("mountSpec")
        return cls(
            node=resource.node, id=resource.metadata.id, phase=spec.text("phase"),
            type=spec.text("type"), location=spec.text("location"),
            mount_location=spec.text("mountLocation"), parent_location=spec.text("parentLocation"),
            filesystem=spec.text("filesystem") or "none",
            encryption_provider=spec.text("encryptionProvider") or "none",
            error_message=spec.text("errorMessage"), size=spec.integer("size"),
            pre_fail_phase=spec.text("preFailPhase"), parent_id=spec.text("parentID"),
            partition_index=spec.integer("partitionIndex"), uuid=spec.text("uuid"),
            partition_uuid=spec.text("partitionUUID"), pretty_size=spec.text("prettySize"),
            encryption_failed_syncs=spec.texts("encryptionFailedSyncs"),
            configured_encryption_keys=spec.texts("configuredEncryptionKeys"),
            mount_target=str(mount.get("targetPath") or ""), mount_parent_id=str(mount.get("parentId") or ""),
            labels=dict(resource.metadata.labels),
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
    volume_id: str = ""
    project_quota_support: bool = False

    @classmethod
    def from_resource(cls, resource: Resource) -> MountStatus:
        spec = _Spec(resource, MOUNT_STATUSES)
        request = spec.mapping("spec")
        return cls(
            node=resource.node, id=resource.metadata.id, source=spec.text("source"),
            target=spec.text("target"), filesystem=spec.text("filesystem") or "none",
            encryption_provider=spec.text("encryptionProvider") or "none",
            read_only=spec.flag("readOnly"), volume_id=str(request.get("volumeID") or ""),
            project_quota_support=spec.flag("projectQuotaSupport"),
        )


@dataclass(frozen=True)
class AddressStatus:
    """An address a node's link holds (siderolabs/talos v1.10.5 pkg/machinery/resources/network/
    address_status.go L28-39): ``address`` a prefix (a VIP is a host prefix, /32 or /128), the link's
    name, family ``inet4``/``inet6``, scope, comma-joined flags."""

    node: str
    id: str
    address: str
    link: str
    family: str
    scope: str
    flags: str = ""

    @property
    def ip(self) -> str:
        return self.address.split("/", 1)[0]

    @classmethod
    def from_resource(cls, resource: Resource) -> AddressStatus:
        spec = _Spec(resource, ADDRESS_STATUSES)
        return cls(node=resource.node, id=resource.metadata.id, address=spec.text("address"),
                   link=spec.text("linkName"), family=spec.text("family"), scope=spec.text("scope") or "global",
                   flags=str(resource.spec.get("flags") or ""))


def disk_of_volume(volume: VolumeStatus, disks: Iterable[Disk]) -> Disk | None:
    """The disk ``volume`` lives on: its ``parentLocation`` equals the disk's ``dev_path``.

    Talos fills ``parentLocation`` from the DiscoveredVolume's ``parent_dev_path`` when it locates a
    partition volume, and with the picked disk when it provisions one (siderolabs/talos v1.10.5
    internal/app/machined/pkg/controllers/block/internal/volumes/locate.go:56-58 and 150-153). A
    whole-disk volume has no ``parentLocation``; its ``location`` is the disk (locate.go:139-141).
    A prefix test on ``location`` would put ``/dev/sda10`` on ``/dev/sda1`` and ``/dev/sdaa1`` on ``/dev/sda``.
    """
    wanted = volume.parent_location or (volume.location if volume.type == "disk" else "")
    if not wanted:
        return None
    return next((disk for disk in disks if disk.dev_path == wanted), None)


def parse_yaml_spec(yaml_spec: str, where: str) -> Mapping[str, Any]:
    """The YAML spec as a mapping (empty for an empty spec)."""
    try:
        spec = yaml.load(yaml_spec, Loader=_SpecLoader) if yaml_spec.strip() else {}  # noqa: S506 - SafeLoader
    except yaml.YAMLError as exc:
        raise ResourceSpecError(f"{where}: yaml_spec is not valid YAML") from exc
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise ResourceSpecError(f"{where}: yaml_spec is a {type(spec).__name__}, expected a mapping")
    return spec


def parse_talosctl_yaml(text: str, source: str = "<talosctl output>") -> list[Resource]:
    """Resources from ``talosctl get ... -o yaml`` output (``---``-separated documents)."""
    try:
        documents = [d for d in yaml.load_all(text, Loader=_SpecLoader) if d is not None]  # noqa: S506
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise ResourceSpecError(f"{source}: malformed YAML{line}") from exc
    return [_document_resource(document, f"{source} document {index}")
            for index, document in enumerate(documents, start=1)]


def _document_resource(document: object, where: str) -> Resource:
    if not isinstance(document, dict):
        raise ResourceSpecError(f"{where}: expected a mapping with metadata and spec")
    md, spec = document.get("metadata"), document.get("spec")
    if not isinstance(md, dict):
        raise ResourceSpecError(f"{where}: no metadata mapping")
    if spec is None:
        spec = {}
    if not isinstance(spec, dict):
        raise ResourceSpecError(f"{where}: spec is a {type(spec).__name__}, expected a mapping")
    missing = [key for key in ("namespace", "type", "id") if not md.get(key)]
    if missing:
        raise ResourceSpecError(f"{where}: metadata lacks {', '.join(missing)}")
    labels = md.get("labels") or {}
    metadata = ResourceMetadata(
        namespace=str(md["namespace"]), type=str(md["type"]), id=str(md["id"]), version=str(md.get("version", "")),
        phase=str(md.get("phase", "")), owner=str(md.get("owner") or ""),
        labels={str(k): "" if v is None else str(v) for k, v in labels.items()} if isinstance(labels, dict) else {},
        created=str(md.get("created", "")), updated=str(md.get("updated", "")),
    )
    return Resource(node=str(document.get("node") or ""), metadata=metadata, spec=spec,
                    yaml_spec=yaml.safe_dump(spec, sort_keys=False))


class _SpecLoader(yaml.SafeLoader):
    """Safe YAML without timestamp conversion: COSI's ``created``/``updated`` stay RFC 3339 text."""


_SpecLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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

    def mapping(self, *keys: str) -> Mapping[str, Any]:
        value = self._get(keys)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self._error(keys, "a mapping", value)
        return value

    def _error(self, keys: tuple[str, ...], expected: str, seen: object) -> ResourceSpecError:
        return ResourceSpecError(
            f"{self._resource.where()}: spec key {keys[0]!r} expected {expected}, saw {type(seen).__name__}"
        )
