"""Volume statuses judged from probed partitions, as Talos's volume manager would report them.

    volume_id, spec, mount = system_volume_status(disks, "STATE")   # spec["phase"] == "ready"

Phases and enum spellings follow siderolabs/talos pkg/machinery/resources/block (volumephase.go,
encryptionprovidertype.go: "none"/"luks2", filesystemtype.go). Talos only speaks LUKS2: a LUKS1
header cannot be opened with the configured luks2 provider, so such a volume is reported failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lab.talos.units import pretty_size

if TYPE_CHECKING:
    from lab.talos.facts import ProbedNodeDisk
    from lab.talos.probe import ProbedPartition

VolumeResult = tuple[str, dict[str, Any], dict[str, Any] | None]
MOUNT_TARGETS = {"STATE": "/system/state", "EPHEMERAL": "/var"}
#: constants.UserVolumeMountPoint upstream; user volumes mount at /var/mnt/<name>.
USER_VOLUME_MOUNT_POINT = "/var/mnt"


def system_volume_status(disks: Sequence[ProbedNodeDisk], label: str) -> VolumeResult:
    found = _find_partition(disks, label)
    if found is None:
        return label, {"phase": "missing", "type": "partition",
                       "errorMessage": f"no partition labelled {label} on any disk"}, None
    disk, part = found
    spec = _located(disk, part)
    content = part.content
    if content.kind == "luks" and content.version == 2:
        spec.update(phase="ready", filesystem="xfs", encryptionProvider="luks2",
                    mountLocation=f"/dev/mapper/luks2-{label}")
    elif content.kind == "luks":
        spec.update(phase="failed", preFailPhase="located",
                    errorMessage=f"{spec['location']} carries a LUKS{content.version} header; "
                                 f"configured provider luks2 cannot open it")
        return label, spec, None
    elif content.kind == "xfs":
        spec.update(phase="ready", filesystem="xfs", mountLocation=spec["location"])
    else:
        spec.update(phase="failed", preFailPhase="located",
                    errorMessage=f"{spec['location']}: no LUKS header and no filesystem found")
        return label, spec, None
    return label, _ordered(spec), _mount(label, spec, MOUNT_TARGETS[label])


def user_volume_status(disks: Sequence[ProbedNodeDisk], name: str, model: str) -> VolumeResult:
    volume_id = f"u-{name}"
    matching = [d for d in disks if d.disk.model == model]
    if not matching:
        return volume_id, {"phase": "waiting", "type": "partition",
                           "errorMessage": "no disks matched selector for volume"}, None
    found = _find_partition(matching, volume_id)
    if found is None:
        return volume_id, {"phase": "waiting", "type": "partition",
                           "errorMessage": f"partition {volume_id} not provisioned on {matching[0].dev_path}"}, None
    disk, part = found
    spec = _located(disk, part)
    if part.content.kind != "xfs":
        seen = part.content.kind or "nothing"
        spec.update(phase="failed", errorMessage=f"{spec['location']}: expected xfs, found {seen}")
        return volume_id, spec, None
    target = f"{USER_VOLUME_MOUNT_POINT}/{name}"
    spec.update(phase="ready", filesystem="xfs", mountLocation=spec["location"], mountSpec={"targetPath": target})
    return volume_id, _ordered(spec), _mount(volume_id, spec, target)


def _find_partition(disks: Sequence[ProbedNodeDisk], label: str) -> tuple[ProbedNodeDisk, ProbedPartition] | None:
    return next(((d, p) for d in disks for p in d.probe.partitions if p.entry.name == label), None)


def _located(disk: ProbedNodeDisk, part: ProbedPartition) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "partition", "location": f"/dev/{disk.partition_device(part.entry.index)}",
        "partitionIndex": part.entry.index, "parentLocation": disk.dev_path,
        "partitionUUID": part.entry.part_guid, "size": part.entry.size, "prettySize": pretty_size(part.entry.size),
    }
    if part.content.uuid:
        spec["uuid"] = part.content.uuid
    return spec


def _ordered(spec: dict[str, Any]) -> dict[str, Any]:
    first = ("phase", "type", "location", "mountLocation")
    return {**{k: spec[k] for k in first if k in spec}, **{k: v for k, v in spec.items() if k not in first}}


def _mount(volume_id: str, spec: dict[str, Any], target: str) -> dict[str, Any]:
    mount: dict[str, Any] = {"spec": {"volumeID": volume_id, "requesters": ["lab"]},
                             "source": spec["mountLocation"], "target": target,
                             "filesystem": spec["filesystem"], "readOnly": False, "projectQuotaSupport": False}
    if "encryptionProvider" in spec:
        mount["encryptionProvider"] = spec["encryptionProvider"]
    return mount
