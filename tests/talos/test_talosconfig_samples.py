"""Every talosconfig shape talosctl accepts (fixtures/upstream/talos, see SOURCE.md) is accepted here.

Offline: no lab, no network. The samples carry throwaway keys in the shapes Talos writes them.
"""

from __future__ import annotations

import base64
import os
import ssl
import tempfile
from pathlib import Path

import pytest
import yaml
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from harness.probes.talos import TalosClient, TalosConfigError, load_talosconfig
from harness.probes.talos.client import call_metadata
from harness.probes.talos.tls_bridge import client_ssl_context

SAMPLES = Path(__file__).resolve().parents[2] / "fixtures" / "upstream" / "talos"
V4 = ("172.29.51.11:50000", "172.29.51.12:50000", "172.29.51.13:50000")


def sample(name: str) -> Path:
    return SAMPLES / name


def raw_key(path: Path, context: str) -> bytes:
    return base64.b64decode(yaml.safe_load(path.read_text())["contexts"][context]["key"])


def test_every_talosconfig_sample_is_listed_in_source_md() -> None:
    listed = (SAMPLES / "SOURCE.md").read_text()
    files = sorted(p.name for p in SAMPLES.iterdir() if p.suffix == ".yaml")
    assert files and all(f"`{name}`" in listed for name in files), files


@pytest.mark.parametrize(("name", "context", "targets", "label", "key_type"), [
    ("talosconfig-talhelper-ed25519.yaml", "home-ops", V4, "ED25519 PRIVATE KEY", "ed25519"),
    ("talosconfig-ecdsa.yaml", "legacy-ecdsa", V4[:1], "EC PRIVATE KEY", "ecdsa"),
    ("talosconfig-ipv6.yaml", "home-ops-v6", ("[fd47:25e1:2f96:51::11]:50000", "[fd47:25e1:2f96:51::12]:50000"),
     "ED25519 PRIVATE KEY", "ed25519"),
    ("talosconfig-deprecated-target.yaml", "old", V4[:1], "ED25519 PRIVATE KEY", "ed25519"),
    ("talosconfig-contexts.yaml", "home-ops", V4[:2], "ED25519 PRIVATE KEY", "ed25519"),
])
def test_sample_with_client_certificate(name: str, context: str, targets: tuple[str, ...], label: str,
                                        key_type: str) -> None:
    config = load_talosconfig(sample(name))
    assert config.current == context
    ctx = config.context()
    assert ctx.endpoint_targets() == targets
    assert (ctx.key_label, ctx.key_type, ctx.client_subject) == (label, key_type, "O=os:admin")
    assert ctx.ca_pem is not None and ctx.crt_pem is not None and ctx.key_pem is not None
    assert ctx.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")  # PKCS#8, what ssl/cryptography read
    assert raw_key(sample(name), context).startswith(f"-----BEGIN {label}-----".encode())


def test_python_alone_cannot_read_the_talos_key_label() -> None:
    """The mismatch this adapter exists for: cryptography refuses the label Go's tls.X509KeyPair accepts."""
    talos_pem = raw_key(sample("talosconfig-talhelper-ed25519.yaml"), "home-ops")
    with pytest.raises(ValueError):
        load_pem_private_key(talos_pem, password=None)
    ctx = load_talosconfig(sample("talosconfig-talhelper-ed25519.yaml")).context()
    assert ctx.key_pem is not None
    assert load_pem_private_key(ctx.key_pem, password=None).public_key() is not None


@pytest.mark.parametrize("name", ["talosconfig-talhelper-ed25519.yaml", "talosconfig-ecdsa.yaml"])
def test_ssl_loads_the_client_key_without_writing_it_to_disk(name: str) -> None:
    before = set(os.listdir(tempfile.gettempdir()))
    tls = client_ssl_context(load_talosconfig(sample(name)).context())
    assert isinstance(tls, ssl.SSLContext) and tls.minimum_version == ssl.TLSVersion.TLSv1_2
    assert set(os.listdir(tempfile.gettempdir())) == before


def test_endpoint_forms_map_like_talosctl() -> None:
    ctx = load_talosconfig(sample("talosconfig-endpoint-forms.yaml")).context()
    assert [(a.raw, a.host, a.port) for a in ctx.addresses] == [
        ("https://172.29.51.11:50000", "172.29.51.11", 50000),
        ("172.29.51.12:50000", "172.29.51.12", 50000),
        ("172.29.51.13", "172.29.51.13", 50000),
        ("mini01.home.arpa", "mini01.home.arpa", 50000),
        ("mini02.home.arpa:50001", "mini02.home.arpa", 50001),
        ("[fd47:25e1:2f96:51::11]:50000", "fd47:25e1:2f96:51::11", 50000),
        ("fd47:25e1:2f96:51::12", "fd47:25e1:2f96:51::12", 50000),
        ("https://[fd47:25e1:2f96:51::13]:50000", "fd47:25e1:2f96:51::13", 50000),
        ("https://talos.home.arpa", "talos.home.arpa", 443),     # reduceURLsToAddresses: https without port
        ("tcp://mini03.home.arpa", "mini03.home.arpa", 50000),
    ]
    assert ctx.endpoint_targets()[5:8] == ("[fd47:25e1:2f96:51::11]:50000", "[fd47:25e1:2f96:51::12]:50000",
                                           "[fd47:25e1:2f96:51::13]:50000")


def test_omitted_ca_crt_and_key_mean_system_trust_and_no_client_certificate() -> None:
    ctx = load_talosconfig(sample("talosconfig-no-certs.yaml")).context()
    assert (ctx.ca_pem, ctx.crt_pem, ctx.key_pem, ctx.key_label) == (None, None, None, "")
    assert ctx.endpoint_targets() == V4[:1]
    tls = client_ssl_context(ctx)
    assert tls.verify_mode == ssl.CERT_REQUIRED and tls.check_hostname


def test_deprecated_target_becomes_an_endpoint() -> None:
    ctx = load_talosconfig(sample("talosconfig-deprecated-target.yaml")).context("old")
    assert ctx.endpoints == ("172.29.51.11",)


def test_several_contexts_each_usable_on_its_own() -> None:
    config = load_talosconfig(sample("talosconfig-contexts.yaml"))
    assert config.names == ("home-ops", "home-ops-1", "omni", "proxied", "stale")
    assert config.context("home-ops-1").endpoint_targets() == ("mini01.home.arpa:50000",)
    omni = config.context("omni")
    assert (omni.endpoint_targets(), omni.cluster, omni.siderov1_identity) == (
        ("home.omni.example.net:443",), "home-ops", "owner@example.net")
    assert omni.crt_pem is None and omni.key_pem is None and omni.ca_pem is None
    proxied = config.context("proxied")
    assert proxied.ca_pem is not None and proxied.crt_pem is None
    assert proxied.basic_auth is not None and proxied.basic_auth.username == "talos"
    assert "not-a-real-password" not in repr(proxied)


def test_a_broken_context_does_not_break_the_others_and_fails_on_its_own() -> None:
    config = load_talosconfig(sample("talosconfig-contexts.yaml"))
    config.context()  # the current context is fine
    with pytest.raises(TalosConfigError) as caught:
        config.context("stale")
    message = str(caught.value)
    assert message == f"talosconfig {sample('talosconfig-contexts.yaml')}, context 'stale': ca: not valid base64"


def test_call_metadata_like_talosctl() -> None:
    config = load_talosconfig(sample("talosconfig-contexts.yaml"))
    assert call_metadata(config.context("home-ops")) == (("runtime", "Talos"),)
    token = base64.b64encode(b"talos:not-a-real-password").decode()
    assert call_metadata(config.context("proxied")) == (("runtime", "Talos"), ("authorization", f"Basic {token}"))
    assert ("context", "home-ops") in call_metadata(config.context("omni"))


def test_siderov1_context_is_refused_with_one_clear_line() -> None:
    omni = load_talosconfig(sample("talosconfig-contexts.yaml")).context("omni")
    with pytest.raises(TalosConfigError) as caught:
        TalosClient(omni)
    message = str(caught.value)
    assert "\n" not in message and "context 'omni'" in message and "auth.siderov1" in message
    assert "talosconfig-contexts.yaml" in message


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("talosconfig-*.yaml")))
def test_reprs_and_errors_never_show_key_material(name: str) -> None:
    config = load_talosconfig(sample(name))
    document = yaml.safe_load(sample(name).read_text())
    for context_name in config.names:
        secrets = [v for k, v in document["contexts"][context_name].items() if k in ("crt", "key") and len(v) > 56]
        try:
            shown = repr(config.context(context_name)) + repr(config)
        except TalosConfigError as exc:
            shown = str(exc)
        assert "BEGIN" not in shown and "PRIVATE" not in shown
        assert all(secret[16:56] not in shown for secret in secrets)
