"""talosconfig problems fail at once with one line that names the file/context and holds no secret."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml

from harness.probes.talos import TalosClient, TalosConfigError, load_talosconfig
from lab.talos import TalosLab
from lab.talos.pki import LabPki, write_talosconfig

pytestmark = pytest.mark.lab


def _assert_one_line_without_secrets(message: str, lab: TalosLab) -> None:
    assert "\n" not in message
    assert lab.pki is not None
    for secret in (lab.pki.client.key_pem, lab.pki.client.talos_key_pem, lab.pki.client.cert_pem):
        assert base64.b64encode(secret).decode()[:40] not in message
        assert "PRIVATE KEY" not in message


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TalosConfigError, match=r"talosconfig .*nope.yaml: file not found"):
        load_talosconfig(tmp_path / "nope.yaml")


def test_malformed_yaml(tmp_path: Path, lab: TalosLab) -> None:
    path = tmp_path / "talosconfig"
    path.write_text("context: x\ncontexts: {x: [unclosed\n")
    with pytest.raises(TalosConfigError, match=r"malformed YAML at line \d+") as caught:
        load_talosconfig(path)
    _assert_one_line_without_secrets(str(caught.value), lab)


def test_missing_context(lab: TalosLab) -> None:
    with pytest.raises(TalosConfigError, match=r"context 'prod' not found; contexts present: home-ops-lab") as caught:
        TalosClient.from_talosconfig(lab.talosconfig, context="prod")
    _assert_one_line_without_secrets(str(caught.value), lab)


def test_missing_endpoints(tmp_path: Path, lab: TalosLab) -> None:
    document = yaml.safe_load(lab.talosconfig.read_text())
    document["contexts"]["home-ops-lab"]["endpoints"] = []
    path = tmp_path / "talosconfig"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(TalosConfigError, match=r"context 'home-ops-lab': no endpoints configured"):
        load_talosconfig(path).context()


@pytest.mark.parametrize(("field", "value", "problem"), [
    ("key", "not base64 at all!", "key: not valid base64"),
    ("crt", base64.b64encode(b"hello").decode(), "crt: base64 decodes to something that is not PEM"),
    ("ca", base64.b64encode(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").decode(),
     "ca: PEM is not a valid X.509 certificate"),
])
def test_bad_pem_material(tmp_path: Path, lab: TalosLab, field: str, value: str, problem: str) -> None:
    document = yaml.safe_load(lab.talosconfig.read_text())
    document["contexts"]["home-ops-lab"][field] = value
    path = tmp_path / "talosconfig"
    path.write_text(yaml.safe_dump(document))
    config = load_talosconfig(path)  # talosctl decodes key material only for the context it uses
    with pytest.raises(TalosConfigError, match=problem) as caught:
        config.context()
    _assert_one_line_without_secrets(str(caught.value), lab)


def test_wrong_ca_fails_tls_verification(tmp_path: Path, lab: TalosLab) -> None:
    assert lab.pki is not None
    other_ca = LabPki.generate(server_sans=["127.0.0.1"]).ca.cert_pem
    path = write_talosconfig(tmp_path / "talosconfig", lab.pki, "home-ops-lab", [lab.endpoint], ["mini01"],
                             ca_pem=other_ca)
    expected = rf"^TLS verification of {lab.endpoint} failed: .*certificate"
    client = TalosClient.from_talosconfig(path, timeout=5.0)
    with client, pytest.raises(TalosConfigError, match=expected) as caught:
        client.disks(node="mini01")
    _assert_one_line_without_secrets(str(caught.value), lab)


def test_context_repr_hides_key_material(lab: TalosLab) -> None:
    context = load_talosconfig(lab.talosconfig).context()
    assert "PRIVATE" not in repr(context) and "BEGIN" not in repr(context)
    assert context.endpoint_targets() == (lab.endpoint,)
    assert context.nodes == ("172.29.51.11", "172.29.51.12", "172.29.51.13")
