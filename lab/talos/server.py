"""The Talos API stand-in: one apid-like gRPC endpoint with mTLS serving COSI State Get/List.

    with TalosLab(state_dir, apply_faults(default_cluster(), {"mini02": ["no-t5"]})) as lab:
        TalosClient.from_talosconfig(lab.talosconfig).disks(node="172.29.51.12")

TLS (Ed25519, like Talos) is terminated by ``TlsFront``; the gRPC server listens on loopback behind it.
Requests name their node in gRPC metadata ``node`` (or a single ``nodes`` value), by address or
hostname, as apid expects (siderolabs/talos pkg/machinery/client/context.go); without it the
endpoint's own node answers. Resources are recomputed from the node's inventory and images on
every call, so rebuilding a node (``lab.set_nodes``) changes what clients see at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent import futures
from pathlib import Path
from types import TracebackType

import grpc
import yaml

from lab.talos.build import build_nodes
from lab.talos.facts import LabResource, node_resources
from lab.talos.hardware import NodeHardware, default_cluster
from lab.talos.inventory import load_inventory
from lab.talos.pki import LabPki, write_talosconfig
from lab.talos.protospec import proto_spec
from lab.talos.tls_front import TlsFront
from talos_api.cosi import resource_pb2, state_pb2, state_pb2_grpc

NAMESPACE = "runtime"
READ_ROLES = frozenset({"os:admin", "os:operator", "os:reader"})


class _NodeDirectory:
    """Node name/address -> inventory path; swapped atomically when the lab rebuilds nodes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, Path] = {}
        self._default = ""

    def replace(self, nodes: Sequence[NodeHardware], inventories: dict[str, Path]) -> None:
        table = {key: inventories[n.name] for n in nodes for key in (n.name, n.address)}
        with self._lock:
            self._by_key, self._default = table, nodes[0].name

    def resolve(self, node: str | None) -> Path | None:
        with self._lock:
            return self._by_key.get(node or self._default)


class _StateService(state_pb2_grpc.StateServicer):
    def __init__(self, directory: _NodeDirectory, roles: Callable[[str], frozenset[str]]) -> None:
        self._directory = directory
        self._roles = roles

    def Get(self, request: state_pb2.GetRequest, context: grpc.ServicerContext) -> state_pb2.GetResponse:
        for resource in self._resources(request.namespace, request.type, context):
            if resource.id == request.id:
                return state_pb2.GetResponse(resource=_message(request.namespace, resource))
        context.abort(grpc.StatusCode.NOT_FOUND,
                      f"resource {request.type}({request.namespace}/{request.id}@undefined) doesn't exist")
        raise AssertionError("unreachable")  # abort raises

    def List(self, request: state_pb2.ListRequest, context: grpc.ServicerContext) -> Iterator[state_pb2.ListResponse]:
        for resource in self._resources(request.namespace, request.type, context):
            yield state_pb2.ListResponse(resource=_message(request.namespace, resource))

    def _resources(self, namespace: str, resource_type: str, context: grpc.ServicerContext) -> list[LabResource]:
        if not self._roles(context.peer()) & READ_ROLES:  # apid authorises by certificate role
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "not authorized")
        node = _target_node(context)
        inventory = self._directory.resolve(node)
        if inventory is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, _dial_error(node or ""))
            raise AssertionError("unreachable")  # abort raises
        resources = node_resources(load_inventory(inventory)) if namespace == NAMESPACE else []
        return [r for r in resources if r.type == resource_type]


def _target_node(context: grpc.ServicerContext) -> str | None:
    metadata = context.invocation_metadata() or ()
    single = [value for key, value in metadata if key == "node"]
    many = [value for key, value in metadata if key == "nodes"]
    if len(many) > 1:
        context.abort(grpc.StatusCode.INVALID_ARGUMENT, "one-to-many proxying is not supported for the COSI API")
    targets = single or many
    return str(targets[0]) if targets else None


def _dial_error(node: str) -> str:
    # What apid reports when it cannot reach the named backend (gRPC dial failure).
    if node.replace(".", "").isdigit() or ":" in node:
        reason = f"dial tcp {node}:50000: connect: no route to host"
    else:
        reason = f"dial tcp: lookup {node}: no such host"
    return f'connection error: desc = "transport: Error while dialing: {reason}"'


def _message(namespace: str, resource: LabResource) -> resource_pb2.Resource:
    metadata = resource_pb2.Metadata(namespace=namespace, type=resource.type, id=resource.id, version="1",
                                     owner="block.LabController", phase="running")
    spec = resource_pb2.Spec(yaml_spec=yaml.safe_dump(resource.spec, sort_keys=False),
                             proto_spec=proto_spec(resource.type, resource.spec))
    return resource_pb2.Resource(metadata=metadata, spec=spec)


class TalosLab:
    """Build the node images, issue the PKI, serve the API on 127.0.0.1 and write a talosconfig."""

    def __init__(self, state_dir: Path, nodes: Sequence[NodeHardware] | None = None,
                 context_name: str = "home-ops-lab", host: str = "127.0.0.1", port: int = 0) -> None:
        self.state_dir = state_dir
        self.host, self.port = host, port
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
        self.pki = LabPki.generate(server_sans=sans)
        cert_file, key_file = self._write_server_pem(self.pki)
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        inner_port = self._server.add_insecure_port("127.0.0.1:0")
        self._front = TlsFront(cert_file, key_file, self.pki.ca.cert_pem, inner_port, self.host, self.port).start()
        service = _StateService(self._directory, self._front.roles_for_peer)
        state_pb2_grpc.add_StateServicer_to_server(service, self._server)  # type: ignore[no-untyped-call]
        self._server.start()
        self.endpoint = f"{self.host}:{self._front.port}"
        write_talosconfig(self.talosconfig, self.pki, self.context_name, [self.endpoint],
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
