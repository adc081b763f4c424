"""Read Talos resources over the Talos API (gRPC + mTLS), the way ``talosctl get`` does.

    with TalosClient.from_talosconfig(Path("talosconfig"), timeout=5.0) as talos:
        disks = talos.disks(node="172.29.51.11")

COSI State calls go to an apid endpoint with gRPC metadata ``node: <ip or name>``; apid proxies the
call one-to-one to that node (siderolabs/talos v1.10.5 pkg/machinery/client/context.go:27-39 ``WithNode``,
used by talosctl for every COSI read, cmd/talosctl/pkg/talos/helpers/resources.go:42-68). ``nodes`` is never sent:
apid refuses it on COSI methods (internal/app/apid/pkg/director/director.go:81-85). Like talosctl's
connection wrapper (pkg/machinery/client/grpc_connection_wrapper.go:53-57, basic_auth.go) every call
also carries ``runtime: Talos``, ``context: <cluster>`` when the context names a cluster, and
``authorization: Basic ...`` for ``auth.basic``. Every call carries a deadline. TLS is done by
``TlsBridge`` (Python's ``ssl``) because grpcio cannot use Talos's Ed25519 keys; gRPC itself talks to
the bridge over a private Unix socket.
"""

from __future__ import annotations

import base64
import builtins
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import grpc

from harness.core.errors import ResourceNotFound, TalosApiError, TalosConfigError
from harness.probes.talos.config import Endpoint, TalosContext, load_talosconfig, parse_endpoint
from harness.probes.talos.resources import (
    ADDRESS_STATUSES,
    DISCOVERED_VOLUMES,
    DISKS,
    MOUNT_STATUSES,
    NETWORK,
    RUNTIME,
    VOLUME_STATUSES,
    AddressStatus,
    DiscoveredVolume,
    Disk,
    MountStatus,
    Resource,
    ResourceMetadata,
    VolumeStatus,
    parse_yaml_spec,
)
from harness.probes.talos.tls_bridge import TlsBridge
from talos_api.cosi import resource_pb2, state_pb2, state_pb2_grpc

T = TypeVar("T")


class TalosClient:
    """A COSI State client bound to one apid endpoint of a talosconfig context."""

    def __init__(self, context: TalosContext, *, endpoint: str | None = None, timeout: float = 10.0) -> None:
        if context.siderov1_identity:
            raise TalosConfigError(
                f"{context.where}: auth.siderov1 (Omni) signs every request with a PGP key from talosctl's key "
                "store, which the harness cannot do; use a talosconfig with a client certificate")
        addresses = (_override(endpoint, context),) if endpoint else context.addresses
        self.timeout = timeout
        self._metadata = call_metadata(context)
        connect_timeout = timeout if len(addresses) == 1 else max(1.0, timeout / len(addresses))
        self._bridge = TlsBridge(addresses, context, connect_timeout=connect_timeout).start()
        self._channel = grpc.insecure_channel(
            self._bridge.local_target, options=[("grpc.default_authority", addresses[0].target)])
        self._state = state_pb2_grpc.StateStub(self._channel)  # type: ignore[no-untyped-call]

    @property
    def endpoint(self) -> str:
        """The apid endpoint in use (``host:port``), or every configured one before the first connection."""
        return self._bridge.endpoint

    @classmethod
    def from_talosconfig(
        cls, path: Path, context: str | None = None, *, endpoint: str | None = None, timeout: float = 10.0
    ) -> TalosClient:
        """Client for ``context`` (or the current one) of the talosconfig at ``path``."""
        return cls(load_talosconfig(path).context(context), endpoint=endpoint, timeout=timeout)

    def list(
        self, resource_type: str, namespace: str, node: str, timeout: float | None = None
    ) -> builtins.list[Resource]:
        """Every resource of ``resource_type`` in ``namespace`` on ``node``."""
        request = state_pb2.ListRequest(namespace=namespace, type=resource_type)
        what = f"list {resource_type} in {namespace} on node {node}"

        def call() -> builtins.list[Resource]:
            stream = self._state.List(request, timeout=self._deadline(timeout), metadata=self._node_md(node))
            return [_to_resource(node, message.resource) for message in stream]

        return self._call(what, call)

    def get(
        self, resource_type: str, namespace: str, resource_id: str, node: str, timeout: float | None = None
    ) -> Resource:
        """One resource by id; raises ResourceNotFound when the node has no such resource."""
        request = state_pb2.GetRequest(namespace=namespace, type=resource_type, id=resource_id)
        what = f"get {resource_type}/{resource_id} in {namespace} on node {node}"

        def call() -> Resource:
            response = self._state.Get(request, timeout=self._deadline(timeout), metadata=self._node_md(node))
            return _to_resource(node, response.resource)

        return self._call(what, call)

    def disks(self, node: str) -> builtins.list[Disk]:
        return [Disk.from_resource(r) for r in self.list(DISKS, RUNTIME, node)]

    def discovered_volumes(self, node: str) -> builtins.list[DiscoveredVolume]:
        return [DiscoveredVolume.from_resource(r) for r in self.list(DISCOVERED_VOLUMES, RUNTIME, node)]

    def volume_statuses(self, node: str) -> builtins.list[VolumeStatus]:
        return [VolumeStatus.from_resource(r) for r in self.list(VOLUME_STATUSES, RUNTIME, node)]

    def volume_status(self, node: str, volume_id: str) -> VolumeStatus:
        return VolumeStatus.from_resource(self.get(VOLUME_STATUSES, RUNTIME, volume_id, node))

    def mount_statuses(self, node: str) -> builtins.list[MountStatus]:
        return [MountStatus.from_resource(r) for r in self.list(MOUNT_STATUSES, RUNTIME, node)]

    def address_statuses(self, node: str) -> builtins.list[AddressStatus]:
        return [AddressStatus.from_resource(r) for r in self.list(ADDRESS_STATUSES, NETWORK, node)]

    def close(self) -> None:
        self._channel.close()
        self._bridge.stop()

    def __enter__(self) -> TalosClient:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def _deadline(self, timeout: float | None) -> float:
        return self.timeout if timeout is None else timeout

    def _node_md(self, node: str) -> tuple[tuple[str, str], ...]:
        return (("node", node), *self._metadata)

    def _call(self, what: str, call: Callable[[], T]) -> T:
        try:
            return call()
        except grpc.RpcError as exc:
            raise _translate(exc, f"{what} via {self.endpoint}", self._bridge.last_tls_error) from exc


def _override(endpoint: str, context: TalosContext) -> Endpoint:
    try:
        return parse_endpoint(endpoint)
    except ValueError as exc:
        raise TalosConfigError(f"{context.where}: {exc}") from exc


def call_metadata(context: TalosContext) -> tuple[tuple[str, str], ...]:
    """gRPC metadata talosctl adds to every call for this context (besides ``node``)."""
    metadata = [("runtime", "Talos")]
    if context.cluster:
        metadata.append(("context", context.cluster))
    if context.basic_auth is not None:
        token = f"{context.basic_auth.username}:{context.basic_auth.password}".encode()
        metadata.append(("authorization", "Basic " + base64.b64encode(token).decode()))
    return tuple(metadata)


def _to_resource(node: str, message: resource_pb2.Resource) -> Resource:
    md = message.metadata
    metadata = ResourceMetadata(
        namespace=md.namespace, type=md.type, id=md.id, version=md.version, phase=md.phase,
        owner=md.owner, labels=dict(md.labels), created=_rfc3339(md.created), updated=_rfc3339(md.updated),
    )
    where = f"{md.type}/{md.id} on {node}"
    return Resource(node=node, metadata=metadata, spec=parse_yaml_spec(message.spec.yaml_spec, where),
                    yaml_spec=message.spec.yaml_spec, proto_spec=message.spec.proto_spec)


def _rfc3339(stamp: object) -> str:
    """A protobuf Timestamp as COSI prints it (Go ``time.RFC3339``, seconds); empty when none was sent."""
    seconds = int(getattr(stamp, "seconds", 0))
    if not seconds:
        return ""
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _translate(exc: grpc.RpcError, what: str, tls_error: str | None) -> Exception:
    code = exc.code() if isinstance(exc, grpc.Call) else grpc.StatusCode.UNKNOWN
    details = (exc.details() if isinstance(exc, grpc.Call) else str(exc)) or ""
    if code == grpc.StatusCode.UNAVAILABLE and tls_error:
        return TalosConfigError(tls_error)
    one_line = " ".join(details.split())
    if code == grpc.StatusCode.NOT_FOUND:
        return ResourceNotFound(f"{what}: not found ({one_line})", code=code.name)
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return TalosApiError(f"{what}: no answer before the deadline", code=code.name)
    return TalosApiError(f"{what}: {code.name}: {one_line}", code=code.name)

