# mypy: ignore-errors
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from typing import ClassVar as _ClassVar

DESCRIPTOR: _descriptor.FileDescriptor

class BlockEncryptionProviderType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ENCRYPTION_PROVIDER_NONE: _ClassVar[BlockEncryptionProviderType]
    ENCRYPTION_PROVIDER_LUKS2: _ClassVar[BlockEncryptionProviderType]

class BlockFilesystemType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    FILESYSTEM_TYPE_NONE: _ClassVar[BlockFilesystemType]
    FILESYSTEM_TYPE_XFS: _ClassVar[BlockFilesystemType]
    FILESYSTEM_TYPE_VFAT: _ClassVar[BlockFilesystemType]
    FILESYSTEM_TYPE_EXT4: _ClassVar[BlockFilesystemType]
    FILESYSTEM_TYPE_ISO9660: _ClassVar[BlockFilesystemType]
    FILESYSTEM_TYPE_SWAP: _ClassVar[BlockFilesystemType]

class BlockVolumePhase(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VOLUME_PHASE_WAITING: _ClassVar[BlockVolumePhase]
    VOLUME_PHASE_FAILED: _ClassVar[BlockVolumePhase]
    VOLUME_PHASE_MISSING: _ClassVar[BlockVolumePhase]
    VOLUME_PHASE_LOCATED: _ClassVar[BlockVolumePhase]
    VOLUME_PHASE_PROVISIONED: _ClassVar[BlockVolumePhase]
    VOLUME_PHASE_PREPARED: _ClassVar[BlockVolumePhase]
    VOLUME_PHASE_READY: _ClassVar[BlockVolumePhase]
    VOLUME_PHASE_CLOSED: _ClassVar[BlockVolumePhase]

class BlockVolumeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VOLUME_TYPE_PARTITION: _ClassVar[BlockVolumeType]
    VOLUME_TYPE_DISK: _ClassVar[BlockVolumeType]
    VOLUME_TYPE_TMPFS: _ClassVar[BlockVolumeType]
    VOLUME_TYPE_DIRECTORY: _ClassVar[BlockVolumeType]
    VOLUME_TYPE_SYMLINK: _ClassVar[BlockVolumeType]
    VOLUME_TYPE_OVERLAY: _ClassVar[BlockVolumeType]
ENCRYPTION_PROVIDER_NONE: BlockEncryptionProviderType
ENCRYPTION_PROVIDER_LUKS2: BlockEncryptionProviderType
FILESYSTEM_TYPE_NONE: BlockFilesystemType
FILESYSTEM_TYPE_XFS: BlockFilesystemType
FILESYSTEM_TYPE_VFAT: BlockFilesystemType
FILESYSTEM_TYPE_EXT4: BlockFilesystemType
FILESYSTEM_TYPE_ISO9660: BlockFilesystemType
FILESYSTEM_TYPE_SWAP: BlockFilesystemType
VOLUME_PHASE_WAITING: BlockVolumePhase
VOLUME_PHASE_FAILED: BlockVolumePhase
VOLUME_PHASE_MISSING: BlockVolumePhase
VOLUME_PHASE_LOCATED: BlockVolumePhase
VOLUME_PHASE_PROVISIONED: BlockVolumePhase
VOLUME_PHASE_PREPARED: BlockVolumePhase
VOLUME_PHASE_READY: BlockVolumePhase
VOLUME_PHASE_CLOSED: BlockVolumePhase
VOLUME_TYPE_PARTITION: BlockVolumeType
VOLUME_TYPE_DISK: BlockVolumeType
VOLUME_TYPE_TMPFS: BlockVolumeType
VOLUME_TYPE_DIRECTORY: BlockVolumeType
VOLUME_TYPE_SYMLINK: BlockVolumeType
VOLUME_TYPE_OVERLAY: BlockVolumeType
