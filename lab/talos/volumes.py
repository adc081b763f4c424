"""Volume statuses judged from probed partitions, as Talos v1.10's volume manager would report them.

    for volume_id, spec, mount in system_volume_statuses(disks): ...   # STATE, then EPHEMERAL
    volume_id, spec, mount = user_volume_status(disks, "longhorn-ssd", "Portable SSD T5")

Keys, their order and omissions follow siderolabs/talos v1.10.5 pkg/machinery/resources/block
(volume_status.go:26-64, the MountSpec of volume_config.go:153-170, mount_status.go:26-33,
mount_request.go:26-32; yaml.v3 writes struct fields in order and drops ``omitempty`` zero values, so
``filesystem``/``encryptionProvider`` "none" are absent). Values follow the volume manager
(internal/app/machined/pkg/controllers/block/internal/volumes): a located partition gets ``location``,
``partitionIndex``, ``parentLocation`` (the disk's dev path), ``uuid``, ``partitionUUID``, size
(locate.go:55-62); an encrypted one is opened as ``<partition>-encrypted`` and ``mountLocation`` is
that mapping with symlinks resolved, i.e. ``/dev/dm-N`` (encrypt.go:99-113), with
``configuredEncryptionKeys`` the sorted key types (encrypt.go:116-126); ``mountSpec`` comes from the
VolumeConfig (locate.go:27): STATE at /system/state, EPHEMERAL at /var with project quota when
``diskQuotaSupport`` is on (controllers/block/volume_config.go:254-300), a user volume as
``targetPath: <name>`` under ``parentId: /var/mnt`` with mode 0755 (user_volume_config.go:176-183).
Phases and enum spellings: volumephase.go, encryptionprovidertype.go ("none"/"luks2"),
filesystemtype.go. Talos only speaks LUKS2: a LUKS1 header cannot be opened with the configured
luks2 provider, so such a volume is reported failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lab.talos.units import pretty_size

if TYPE_CHECKING:
    from lab.talos.facts import ProbedNodeDisk
    from lab.talos.probe import ProbedPartition

VolumeResult = tuple[str, dict[str, Any], dict[str, Any] | None]
#: constants.UserVolumeMountPoint upstream; user volumes mount at /var/mnt/<name>.
USER_VOLUME_MOUNT_POINT = "/var/mnt"
#: resources/block/block.go:33
USER_VOLUME_LABEL = "talos.dev/user-volume"
#: pkg/machinery/constants/constants.go:193-215 (mount points and SELinux labels)
SYSTEM_MOUNTS = {
    "STATE": {"targetPath": "/system/state", "selinuxLabel": "system_u:object_r:system_state_t:s0",
              "projectQuotaSupport": False},
    "EPHEMERAL": {"targetPath": "/var", "selinuxLabel": "system_u:object_r:ephemeral_t:s0",
                  "projectQuotaSupport": True},  # the owner's machine.features.diskQuotaSupport: true
}
#: the owner's talconfig: systemDiskEncryption keys are ``nodeID`` (EncryptionKeyType "nodeID")
SYSTEM_KEYS = ["nodeID"]
#: VolumeStatusSpec field order (volume_status.go:26-64)
ORDER = ("phase", "preFailPhase", "type", "parentID", "location", "mountLocation", "partitionIndex",
         "parentLocation", "uuid", "partitionUUID", "size", "prettySize", "filesystem", "encryptionProvider",
         "encryptionFailedSyncs", "configuredEncryptionKeys", "mountSpec", "symlink", "errorMessage")


def system_volume_statuses(disks: Sequence[ProbedNodeDisk]) -> list[VolumeResult]:
    """STATE then EPHEMERAL, opened in that order, so device-mapper numbers follow it (dm-0 first)."""
    results = []
    opened = 0
    for label in ("STATE", "EPHEMERAL"):
        result = system_volume_status(disks, label, dm_index=opened)
        if result[1].get("encryptionProvider") and result[1]["phase"] == "ready":
            opened += 1
        results.append(result)
    return results


def system_volume_status(disks: Sequence[ProbedNodeDisk], label: str, dm_index: int = 0) -> VolumeResult:
    mount_spec = dict(SYSTEM_MOUNTS[label])
    found = _find_partition(disks, label)
    if found is None:
        return label, _ordered({"phase": "missing", "type": "partition", "mountSpec": mount_spec,
                                "errorMessage": f"no partition labelled {label} on any disk"}), None
    disk, part = found
    spec = _located(disk, part)
    spec["mountSpec"] = mount_spec
    content = part.content
    if content.kind == "luks" and content.version == 2:
        spec.update(phase="ready", filesystem="xfs", encryptionProvider="luks2", mountLocation=f"/dev/dm-{dm_index}",
                    configuredEncryptionKeys=list(SYSTEM_KEYS))
    elif content.kind == "luks":
        spec.update(phase="failed", preFailPhase="located",
                    errorMessage=f"{spec['location']} carries a LUKS{content.version} header; "
                                 f"configured provider luks2 cannot open it")
        return label, _ordered(spec), None
    elif content.kind == "xfs":
        spec.update(phase="ready", filesystem="xfs", mountLocation=spec["location"])
    else:
        spec.update(phase="failed", preFailPhase="located",
                    errorMessage=f"{spec['location']}: no LUKS header and no filesystem found")
        return label, _ordered(spec), None
    return label, _ordered(spec), _mount(label, spec, str(mount_spec["targetPath"]))


def user_volume_status(disks: Sequence[ProbedNodeDisk], name: str, model: str) -> VolumeResult:
    volume_id = f"u-{name}"
    mount_spec = {"targetPath": name, "selinuxLabel": SYSTEM_MOUNTS["EPHEMERAL"]["selinuxLabel"],
                  "projectQuotaSupport": False, "parentId": USER_VOLUME_MOUNT_POINT, "fileMode": 0o755}
    matching = [d for d in disks if d.disk.model == model]
    if not matching:
        return volume_id, _ordered({"phase": "waiting", "type": "partition", "mountSpec": mount_spec,
                                    "errorMessage": "no disks matched selector for volume"}), None
    found = _find_partition(matching, volume_id)
    if found is None:
        return volume_id, _ordered({"phase": "waiting", "type": "partition", "mountSpec": mount_spec,
                                    "errorMessage": f"partition {volume_id} not provisioned on "
                                                    f"{matching[0].dev_path}"}), None
    disk, part = found
    spec = _located(disk, part)
    spec["mountSpec"] = mount_spec
    if part.content.kind != "xfs":
        seen = part.content.kind or "nothing"
        spec.update(phase="failed", preFailPhase="located", errorMessage=f"{spec['location']}: expected xfs, "
                                                                         f"found {seen}")
        return volume_id, _ordered(spec), None
    spec.update(phase="ready", filesystem="xfs", mountLocation=spec["location"])
    return volume_id, _ordered(spec), _mount(volume_id, spec, f"{USER_VOLUME_MOUNT_POINT}/{name}")


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
    unknown = set(spec) - set(ORDER)
    assert not unknown, f"VolumeStatus spec keys Talos does not have: {sorted(unknown)}"
    return {key: spec[key] for key in ORDER if key in spec}


def _mount(volume_id: str, spec: dict[str, Any], target: str) -> dict[str, Any]:
    """MountStatus: MountRequestSpec, source (the volume's mountLocation), full target, fs, encryption."""
    request = {"volumeID": volume_id, "parentID": "", "readOnly": False, "requesters": ["lab"],
               "requesterIDs": ["lab"]}
    mount: dict[str, Any] = {"spec": request, "source": spec["mountLocation"], "target": target,
                             "filesystem": spec["filesystem"]}
    if "encryptionProvider" in spec:
        mount["encryptionProvider"] = spec["encryptionProvider"]
    mount.update(readOnly=False, projectQuotaSupport=bool(spec["mountSpec"]["projectQuotaSupport"]))
    return mount
