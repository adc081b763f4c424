"""Encode lab spec dicts as Talos's protobuf specs, for ``Spec.proto_spec`` next to ``yaml_spec``.

    payload = proto_spec("Disks.block.talos.dev", {"model": "Portable SSD T5", ...})   # bytes, or b""

Field names map from the YAML keys to block.proto fields; enum strings map to the enum values of
talos.resource.definitions.enums (e.g. phase "ready" -> VOLUME_PHASE_READY).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from google.protobuf.message import Message

from talos_api.talos import block_pb2, enums_pb2

_MESSAGES: Mapping[str, type[Message]] = {
    "Disks.block.talos.dev": block_pb2.DiskSpec,
    "DiscoveredVolumes.block.talos.dev": block_pb2.DiscoveredVolumeSpec,
    "VolumeStatuses.block.talos.dev": block_pb2.VolumeStatusSpec,
}
_ENUMS: Mapping[str, tuple[Any, str]] = {
    "phase": (enums_pb2.BlockVolumePhase, "VOLUME_PHASE_"),
    "pre_fail_phase": (enums_pb2.BlockVolumePhase, "VOLUME_PHASE_"),
    "filesystem": (enums_pb2.BlockFilesystemType, "FILESYSTEM_TYPE_"),
    "encryption_provider": (enums_pb2.BlockEncryptionProviderType, "ENCRYPTION_PROVIDER_"),
    "type": (enums_pb2.BlockVolumeType, "VOLUME_TYPE_"),
}


def proto_spec(resource_type: str, spec: Mapping[str, Any]) -> bytes:
    """Serialized spec message, or b"" for types without a protobuf spec here."""
    message_type = _MESSAGES.get(resource_type)
    if message_type is None:
        return b""
    message = message_type()
    fields = message.DESCRIPTOR.fields_by_name
    for key, value in spec.items():
        name = _snake(key)
        if name not in fields:
            continue
        if fields[name].enum_type is not None:
            enum, prefix = _ENUMS[name]
            value = enum.Value(prefix + str(value).upper())
        if isinstance(value, list):
            getattr(message, name).extend(value)
        else:
            setattr(message, name, value)
    return message.SerializeToString()


def _snake(key: str) -> str:
    key = key.replace("UUID", "Uuid").replace("ID", "Id")
    return re.sub(r"(?<!^)([A-Z])", r"_\1", key).lower()
