"""The Talos API stand-in: one apid-like gRPC endpoint with mTLS serving COSI State Get/List.

    with TalosLab(state_dir, apply_faults(default_cluster(), {"mini02": ["no-t5"]})) as lab:
        TalosClient.from_talosconfig(lab.talosconfig).disks(node="172.29.51.12")

TLS (Ed25519, like Talos, with apid's TLS settings) is terminated by ``TlsFront``; the gRPC server
listens on loopback behind it, with ``ApidDirector`` checking the routing metadata as apid does.
Requests name their node in gRPC metadata ``node``, by address or hostname, as talosctl sends it
(siderolabs/talos v1.10.5 pkg/machinery/client/context.go:27-39); without it the endpoint's own node
answers; ``nodes`` is refused on COSI methods. Resources are recomputed from the node's inventory and images on
every call, so rebuilding a node (``lab.set_nodes``) changes what clients see at once.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent import futures
from pathlib import Path
from types import TracebackType
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from lab.talos.build import build_nodes
from lab.talos.facts import OWNERS, LabResource, node_resources
from lab.talos.hardware import NodeHardware, default_cluster
from lab.talos.inventory import load_inventory
from lab.talos.network import NETWORK_NAMESPACE
from lab.talos.network import OWNERS as NETWORK_OWNERS
from lab.talos.pki import Algorithm, LabPki, dump_go_yaml, write_talosconfig
from lab.talos.protospec import proto_spec
from lab.talos.tls_front import TALOS_1_10, ApidTls, TlsFront
from talos_api.cosi import resource_pb2, state_pb2, state_pb2_grpc

NAMESPACE = "runtime"
_OWNERS = {**OWNERS, **NETWORK_OWNERS}     # resource type -> the controller Talos names as its owner
APID_PORT = 50000  # pkg/machinery/constants ApidPort
READ_ROLES = frozenset({"os:admin", "os:operator", "os:reader"})


class _NodeDirectory:
    """Node name/address -> inventory path; swapped atomically when the lab rebuilds nodes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, Path] = {}
        self._names: dict[str, str] = {}
        self._default = ""

    def replace(self, nodes: Sequence[NodeHardware], inventories: dict[str, Path]) -> None:
        table = {key: inventories[n.name] for n in nodes for key in (n.name, n.address)}
        names = {key: n.name for n in nodes for key in (n.name, n.address)}
        with self._lock:
            self._by_key, self._names, self._default = table, names, nodes[0].name

    def resolve(self, node: str | None) -> Path | None:
        with self._lock:
            return self._by_key.get(node or self._default)

    def name_of(self, node: str | None) -> str:
        with self._lock:
            return self._names.get(node or self._default, "")


NetworkResources = Callable[[str], list[LabResource]]    # node name -> its network-namespace resources


class _StateService(state_pb2_grpc.StateServicer):
    def __init__(self, directory: _NodeDirectory, roles: Callable[[str], frozenset[str]],
                 network: NetworkResources | None = None) -> None:
        self._directory = directory
        self._roles = roles
        self._network = network
        self._since = dt.datetime.now(dt.UTC)

    def Get(self, request: state_pb2.GetRequest, context: grpc.ServicerContext) -> state_pb2.GetResponse:
        for resource in self._resources(request.namespace, request.type, context):
            if resource.id == request.id:
                return state_pb2.GetResponse(resource=_message(request.namespace, resource, self._since))
        context.abort(grpc.StatusCode.NOT_FOUND,
                      f"resource {request.type}({request.namespace}/{request.id}@undefined) doesn't exist")
        raise AssertionError("unreachable")  # abort raises

    def List(self, request: state_pb2.ListRequest, context: grpc.ServicerContext) -> Iterator[state_pb2.ListResponse]:
        for resource in self._resources(request.namespace, request.type, context):
            yield state_pb2.ListResponse(resource=_message(request.namespace, resource, self._since))

    def _resources(self, namespace: str, resource_type: str, context: grpc.ServicerContext) -> list[LabResource]:
        if not self._roles(context.peer()) & READ_ROLES:  # apid authorises by certificate role
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "not authorized")
        node = _target_node(context)
        inventory = self._directory.resolve(node)
        if inventory is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, _dial_error(node or ""))
            raise AssertionError("unreachable")  # abort raises
        if namespace == NETWORK_NAMESPACE and self._network is not None:
            resources = self._network(self._directory.name_of(node))
        else:
            resources = node_resources(load_inventory(inventory)) if namespace == NAMESPACE else []
        return [r for r in resources if r.type == resource_type]


class ApidDirector(grpc.ServerInterceptor):  # type: ignore[misc]
    """apid's routing checks on the request metadata, before any servicer runs.

    siderolabs/talos v1.10.5 internal/app/apid/pkg/director/director.go:50-94: ``proxyfrom`` means a
    call already proxied (answered locally); ``node`` must be single-valued (InvalidArgument "node
    metadata must be single-valued"); ``nodes`` (one-to-many, even with a single value) is refused on
    every ``/cosi.`` method with InvalidArgument "one-2-many proxying is not supported for COSI methods".
    apid forwards (its ``remoteBackendFactory`` is set) whenever it has a client certificate, as here.
    """

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        handler = continuation(details)
        problem = director_error(details.method, details.invocation_metadata or ())
        if handler is None or problem is None:
            return handler
        code, message = problem

        def refuse(request: object, context: grpc.ServicerContext) -> None:
            context.abort(code, message)

        wrap = {"unary_unary": grpc.unary_unary_rpc_method_handler,
                "unary_stream": grpc.unary_stream_rpc_method_handler,
                "stream_unary": grpc.stream_unary_rpc_method_handler,
                "stream_stream": grpc.stream_stream_rpc_method_handler}
        kind = next(name for name in wrap if getattr(handler, name) is not None)
        return wrap[kind](refuse, request_deserializer=handler.request_deserializer,
                          response_serializer=handler.response_serializer)


def director_error(method: str, metadata: Iterable[tuple[str, Any]]) -> tuple[grpc.StatusCode, str] | None:
    pairs = list(metadata)
    if any(key == "proxyfrom" for key, _ in pairs):
        return None
    node = [value for key, value in pairs if key == "node"]
    nodes = [value for key, value in pairs if key == "nodes"]
    if node and len(node) != 1:
        return grpc.StatusCode.INVALID_ARGUMENT, "node metadata must be single-valued"
    if nodes and method.startswith("/cosi."):
        return grpc.StatusCode.INVALID_ARGUMENT, "one-2-many proxying is not supported for COSI methods"
    return None


def _target_node(context: grpc.ServicerContext) -> str | None:
    """The ``node`` the call names (``ApidDirector`` has refused every other shape), None for the local node."""
    metadata = context.invocation_metadata() or ()
    if any(key == "proxyfrom" for key, _ in metadata):
        return None
    return next((str(value) for key, value in metadata if key == "node"), None)


def _dial_error(node: str) -> str:
    # What apid reports when it cannot reach the named backend (gRPC dial failure).
    if node.replace(".", "").isdigit() or ":" in node:
        reason = f"dial tcp {node}:50000: connect: no route to host"
    else:
        reason = f"dial tcp: lookup {node}: no such host"
    return f'connection error: desc = "transport: Error while dialing: {reason}"'


def _message(namespace: str, resource: LabResource, since: dt.datetime) -> resource_pb2.Resource:
    """COSI metadata as a node sends it: the owning controller, phase running, labels, created/updated."""
    created = Timestamp(seconds=int(since.timestamp()))
    metadata = resource_pb2.Metadata(namespace=namespace, type=resource.type, id=resource.id, version="1",
                                     owner=_OWNERS.get(resource.type, ""), phase="running", created=created,
                                     updated=created, labels=resource.labels)
    spec = resource_pb2.Spec(yaml_spec=dump_go_yaml(resource.spec),
                             proto_spec=proto_spec(resource.type, resource.spec))
    return resource_pb2.Resource(metadata=metadata, spec=spec)


class TalosLab:
    """Build the node images, issue the PKI, serve the API on 127.0.0.1 and write a talosconfig."""

    def __init__(self, state_dir: Path, nodes: Sequence[NodeHardware] | None = None,
                 context_name: str = "home-ops-lab", host: str = "127.0.0.1", port: int = 0,
                 tls: ApidTls = TALOS_1_10, algorithm: Algorithm = "ed25519",
                 network: NetworkResources | None = None) -> None:
        self.state_dir = state_dir
        self.network = network          # the nodes' AddressStatuses (None: the network namespace is empty)
        self.host, self.port = host, port
        self.tls, self.algorithm = tls, algorithm
        self.nodes = tuple(nodes or default_cluster())
        self.context_name = context_name
        self.talosconfig = state_dir / "talosconfig"
        self.endpoint = ""
        self.pki: LabPki | None = None
        self._directory = _NodeDirectory()
        self._server: grpc.Server | None = None
        self._front: TlsFront | None = None

    def start(self) -> TalosLab:
        self.set_nodes(self.nodes)
        sans = ["127.0.0.1", "localhost", *(n.address for n in self.nodes), *(n.name for n in self.nodes)]
        self.pki = LabPki.generate(server_sans=sans, algorithm=self.algorithm)
        cert_file, key_file = self._write_server_pem(self.pki)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[ApidDirector()])
        inner_port = self._server.add_insecure_port("127.0.0.1:0")
        self._front = TlsFront(cert_file, key_file, self.pki.ca.cert_pem, inner_port, self.host, self.port,
                               profile=self.tls).start()
        service = _StateService(self._directory, self._front.roles_for_peer, self.network)
        state_pb2_grpc.add_StateServicer_to_server(service, self._server)  # type: ignore[no-untyped-call]
        self._server.start()
        self.endpoint = f"{self.host}:{self._front.port}"
        # talhelper lists node addresses without a port (talosctl adds 50000): do the same on apid's port
        written = self.host if self._front.port == APID_PORT else self.endpoint
        write_talosconfig(self.talosconfig, self.pki, self.context_name, [written],
                          [n.address for n in self.nodes])
        return self

    def set_nodes(self, nodes: Sequence[NodeHardware]) -> None:
        """(Re)build images and inventories for ``nodes``; served answers change immediately."""
        self.nodes = tuple(nodes)
        self._directory.replace(self.nodes, build_nodes(self.state_dir, self.nodes))

    def stop(self) -> None:
        if self._front is not None:
            self._front.stop()
            self._front = None
        if self._server is not None:
            self._server.stop(grace=None).wait(timeout=5)
            self._server = None

    def _write_server_pem(self, pki: LabPki) -> tuple[Path, Path]:
        directory = self.state_dir / "pki"
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        cert_file, key_file = directory / "apid.crt", directory / "apid.key"
        cert_file.write_bytes(pki.server.cert_pem)
        key_file.touch(mode=0o600)
        key_file.write_bytes(pki.server.key_pem)
        return cert_file, key_file

    def __enter__(self) -> TalosLab:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
