"""The lab's apid stand-in against apid's own rules, and Talos-shaped talosconfigs end to end.

apid (siderolabs/talos v1.10.5 + siderolabs/crypto v0.6.0 + grpc-go v1.71.3, see SOURCE.md): TLS >= 1.2,
X25519 only, the one TLS 1.2 suite ECDHE-ECDSA-AES256-GCM-SHA384, no session tickets, client
certificate required, ALPN h2 or the connection is closed; ``nodes`` refused on COSI methods.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
import yaml

from harness.probes.talos import (
    TalosApiError,
    TalosClient,
    TalosConfigError,
    TalosError,
    load_talosconfig,
    parse_endpoint,
)
from harness.probes.talos.tls_bridge import TlsBridge, client_ssl_context
from lab.talos import TalosLab
from lab.talos.pki import dump_go_yaml
from lab.talos.tls_front import TALOS_1_11, TlsFront, curve_settable
from talos_api.cosi import state_pb2, state_pb2_grpc

pytestmark = pytest.mark.lab

DISKS = "Disks.block.talos.dev"
SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "upstream" / "talos"


def _variant(lab: TalosLab, tmp_path: Path, **changes: object) -> Path:
    """The lab's talosconfig with some context keys changed (None removes the key)."""
    document = yaml.safe_load(lab.talosconfig.read_text())
    context = document["contexts"][lab.context_name]
    for key, value in changes.items():
        if value is None:
            context.pop(key, None)
        else:
            context[key] = value
    path = tmp_path / "talosconfig"
    path.write_text(dump_go_yaml(document))
    return path


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- the talosconfig the lab writes, and talosconfig shapes end to end ------------------------------------

def test_lab_talosconfig_key_is_pkcs8_under_the_talos_label(lab: TalosLab) -> None:
    context = yaml.safe_load(lab.talosconfig.read_text())["contexts"][lab.context_name]
    key = base64.b64decode(context["key"])
    assert key.startswith(b"-----BEGIN ED25519 PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw")  # PKCS#8 Ed25519 DER prefix
    assert list(context) == ["endpoints", "nodes", "ca", "crt", "key"]
    assert lab.talosconfig.read_text().startswith("context: home-ops-lab\ncontexts:\n    home-ops-lab:\n"
                                                  "        endpoints:\n            - 127.0.0.1:")
    assert lab.talosconfig.stat().st_mode & 0o777 == 0o600


def test_ed25519_talos_label_key_works_end_to_end(lab: TalosLab) -> None:
    context = load_talosconfig(lab.talosconfig).context()
    assert (context.key_label, context.key_type, context.client_subject) == ("ED25519 PRIVATE KEY", "ed25519",
                                                                            "O=os:admin")
    with TalosClient(context, timeout=5.0) as talos:
        assert {d.id for d in talos.disks("mini01")} == {"nvme0n1", "sda"}
        assert talos.endpoint == lab.endpoint


def test_url_form_endpoint(lab: TalosLab, tmp_path: Path) -> None:
    path = _variant(lab, tmp_path, endpoints=[f"https://{lab.endpoint}"])
    with TalosClient.from_talosconfig(path, timeout=5.0) as talos:
        assert talos.disks("mini02")


def test_several_endpoints_first_reachable_wins(lab: TalosLab, tmp_path: Path) -> None:
    dead = f"127.0.0.1:{_dead_port()}"
    path = _variant(lab, tmp_path, endpoints=[dead, lab.endpoint])
    with TalosClient.from_talosconfig(path, timeout=5.0) as talos:
        assert talos.disks("mini03") and talos.endpoint == lab.endpoint


def test_deprecated_target_endpoint(lab: TalosLab, tmp_path: Path) -> None:
    path = _variant(lab, tmp_path, endpoints=None, target=lab.endpoint)
    with TalosClient.from_talosconfig(path, timeout=5.0) as talos:
        assert talos.disks("mini01")


def test_all_endpoints_unreachable_names_them(lab: TalosLab, tmp_path: Path) -> None:
    dead = [f"127.0.0.1:{_dead_port()}", f"127.0.0.1:{_dead_port()}"]
    path = _variant(lab, tmp_path, endpoints=dead)
    with TalosClient.from_talosconfig(path, timeout=3.0) as talos, pytest.raises(TalosApiError) as caught:
        talos.disks("mini01")
    assert caught.value.code == "UNAVAILABLE"
    assert f"via {dead[0]}, {dead[1]}: UNAVAILABLE" in str(caught.value)


def test_no_ca_means_the_system_trust_store(lab: TalosLab, tmp_path: Path) -> None:
    path = _variant(lab, tmp_path, ca=None)
    with TalosClient.from_talosconfig(path, timeout=5.0) as talos, pytest.raises(TalosConfigError) as caught:
        talos.disks("mini01")
    assert str(caught.value).startswith(f"TLS verification of {lab.endpoint} failed: ")


def test_no_client_certificate_is_refused_by_apid(lab: TalosLab, tmp_path: Path) -> None:
    path = _variant(lab, tmp_path, crt=None, key=None)
    with TalosClient.from_talosconfig(path, timeout=5.0) as talos, pytest.raises(TalosError) as caught:
        talos.disks("mini01")
    assert "\n" not in str(caught.value)


def test_ecdsa_os_ca_talosconfig_works_end_to_end(tmp_path: Path) -> None:
    with TalosLab(tmp_path / "ecdsa", algorithm="ecdsa") as lab:
        context = load_talosconfig(lab.talosconfig).context()
        assert (context.key_label, context.key_type) == ("EC PRIVATE KEY", "ecdsa")
        with TalosClient(context, timeout=5.0) as talos:
            assert talos.volume_status("mini01", "STATE").encryption_provider == "luks2"


# -- apid's TLS listener ------------------------------------------------------------------------------

def _handshake(lab: TalosLab, tls: ssl.SSLContext, port: int | None = None) -> ssl.SSLSocket:
    address = parse_endpoint(lab.endpoint)
    raw = socket.create_connection((address.host, port or address.port), timeout=5)
    return tls.wrap_socket(raw, server_hostname=address.host)


def _client(lab: TalosLab) -> ssl.SSLContext:
    return client_ssl_context(load_talosconfig(lab.talosconfig).context())


def test_tls13_with_alpn_h2(lab: TalosLab) -> None:
    with _handshake(lab, _client(lab)) as tls:
        assert (tls.version(), tls.selected_alpn_protocol()) == ("TLSv1.3", "h2")


def test_tls12_offers_only_ecdhe_ecdsa_aes256_gcm_sha384_without_tickets(lab: TalosLab) -> None:
    client = _client(lab)
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    with _handshake(lab, client) as tls:
        assert (tls.version(), (tls.cipher() or ("",))[0]) == ("TLSv1.2", "ECDHE-ECDSA-AES256-GCM-SHA384")
        assert tls.session is not None and not tls.session.has_ticket
    client.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305")
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE|NO_SHARED_CIPHER"):
        _handshake(lab, client)


@pytest.mark.parametrize("maximum", [ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3])
def test_only_x25519_key_exchange(lab: TalosLab, maximum: ssl.TLSVersion) -> None:
    if not curve_settable("X25519"):
        pytest.skip(f"this Python ({sys.version.split()[0]}, {ssl.OPENSSL_VERSION}) cannot limit TLS key "
                    "exchange to X25519 (ssl.set_ecdh_curve refuses it), so the lab's apid offers OpenSSL's "
                    "default groups and a test client cannot pick X25519 alone")
    client = _client(lab)
    client.maximum_version = maximum
    client.set_ecdh_curve("prime256v1")
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
        _handshake(lab, client)
    client.set_ecdh_curve("X25519")
    _handshake(lab, client).close()


def test_below_tls12_is_refused(lab: TalosLab) -> None:
    client = _client(lab)
    client.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this OpenSSL speak TLS 1.1 at all
    with pytest.warns(DeprecationWarning):
        client.minimum_version = ssl.TLSVersion.TLSv1_1
        client.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL"):
        _handshake(lab, client)


def test_client_certificate_is_required(lab: TalosLab) -> None:
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    assert lab.pki is not None
    client.load_verify_locations(cadata=lab.pki.ca.cert_pem.decode())
    client.maximum_version = ssl.TLSVersion.TLSv1_2  # in TLS 1.2 the refusal is part of the handshake
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE|CERTIFICATE_REQUIRED"):
        _handshake(lab, client)


def test_connection_without_alpn_h2_is_closed(lab: TalosLab) -> None:
    client = _client(lab)
    client.set_alpn_protocols(["http/1.1"])
    with _handshake(lab, client) as tls:
        assert tls.selected_alpn_protocol() is None
        with contextlib.suppress(ConnectionResetError, ssl.SSLError):
            assert tls.recv(1) == b""  # closed right after the handshake


def test_talos_1_11_front_uses_the_library_defaults(lab: TalosLab) -> None:
    assert lab.pki is not None
    pki_dir = lab.state_dir / "pki"
    front = TlsFront(pki_dir / "apid.crt", pki_dir / "apid.key", lab.pki.ca.cert_pem, _dead_port(),
                     profile=TALOS_1_11).start()
    try:
        client = _client(lab)
        client.set_ecdh_curve("prime256v1")
        with _handshake(lab, client, port=front.port) as tls:
            assert tls.version() == "TLSv1.3"
    finally:
        front.stop()


# -- apid's routing metadata on COSI methods ---------------------------------------------------------

@pytest.fixture
def state(lab: TalosLab) -> Iterator[state_pb2_grpc.StateStub]:
    context = load_talosconfig(lab.talosconfig).context()
    with TlsBridge(context.addresses, context) as bridge:
        channel = grpc.insecure_channel(bridge.local_target)
        yield state_pb2_grpc.StateStub(channel)  # type: ignore[no-untyped-call]
        channel.close()


def _list(state: state_pb2_grpc.StateStub, *metadata: tuple[str, str]) -> list[str]:
    request = state_pb2.ListRequest(namespace="runtime", type=DISKS)
    return [m.resource.metadata.id for m in state.List(request, timeout=5, metadata=metadata)]


@pytest.mark.parametrize("nodes", [["mini01"], ["mini01", "mini02"]])
def test_nodes_metadata_is_refused_on_cosi_methods(state: state_pb2_grpc.StateStub, nodes: list[str]) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _list(state, *(("nodes", node) for node in nodes))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "one-2-many proxying is not supported for COSI methods"
    with pytest.raises(grpc.RpcError) as get:
        state.Get(state_pb2.GetRequest(namespace="runtime", type=DISKS, id="sda"), timeout=5,
                  metadata=[("nodes", "mini01")])
    assert get.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_node_metadata_must_be_single_valued(state: state_pb2_grpc.StateStub) -> None:
    with pytest.raises(grpc.RpcError) as caught:
        _list(state, ("node", "mini01"), ("node", "mini02"))
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.details() == "node metadata must be single-valued"


def test_single_node_and_local_calls_are_answered(state: state_pb2_grpc.StateStub) -> None:
    assert sorted(_list(state, ("node", "mini02"))) == ["nvme0n1", "sda"]
    assert sorted(_list(state)) == ["nvme0n1", "sda"]                              # the endpoint's own node
    assert sorted(_list(state, ("proxyfrom", "x"), ("nodes", "mini01"))) == ["nvme0n1", "sda"]  # already proxied


# -- the resources the lab serves have the keys real nodes print --------------------------------------

def _sample_spec(name: str, resource_id: str) -> dict[str, object]:
    for document in yaml.safe_load_all((SAMPLES / name).read_text()):
        if document["metadata"]["id"] == resource_id:
            return dict(document["spec"])
    raise AssertionError(f"{resource_id} not in {name}")


@pytest.mark.parametrize(("resource_type", "resource_id", "sample", "owner"), [
    ("VolumeStatuses.block.talos.dev", "STATE", "volumestatus-system-luks2.yaml", "block.VolumeManagerController"),
    ("VolumeStatuses.block.talos.dev", "EPHEMERAL", "volumestatus-system-luks2.yaml", "block.VolumeManagerController"),
    ("VolumeStatuses.block.talos.dev", "u-longhorn-ssd", "volumestatus-user-volume.yaml",
     "block.VolumeManagerController"),
    ("Disks.block.talos.dev", "sda", "disks-mac-mini.yaml", "block.DisksController"),
    ("DiscoveredVolumes.block.talos.dev", "sda1", "discoveredvolumes-user-partition.yaml", "block.DiscoveryController"),
    ("MountStatuses.block.talos.dev", "u-longhorn-ssd", "mountstatus-user-volume.yaml", "block.MountController"),
])
def test_lab_resources_have_the_sample_keys(talos: TalosClient, resource_type: str, resource_id: str, sample: str,
                                            owner: str) -> None:
    served = talos.get(resource_type, "runtime", resource_id, node="mini01")
    expected = _sample_spec(sample, resource_id)
    optional = {"serial", "modalias", "wwid", "block_size", "filesystem_block_size", "probed_size"}
    assert set(expected) - optional <= set(served.spec) <= set(expected) | optional
    assert list(served.spec) == [key for key in expected if key in served.spec]  # Go struct order
    for key in ("mountSpec", "spec"):
        if isinstance(expected.get(key), dict):
            assert list(served.spec[key]) == list(expected[key])  # type: ignore[call-overload]
    assert (served.metadata.owner, served.metadata.phase) == (owner, "running")
    assert served.metadata.created.endswith("Z")
    if resource_id.startswith("u-") and resource_type.startswith("VolumeStatuses"):
        assert served.metadata.labels == {"talos.dev/user-volume": ""}
