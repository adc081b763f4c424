"""Preflight lines offline: their shape, the identity read from a kubeconfig, and every check that fails or
skips on its input alone (before any connection). The checks against a running lab are in
tests/e2e/test_e2e_preflight.py."""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cli import preflight as pf
from harness.model.profile import Profile, load_profile
from harness.model.targets import SshEndpoint, Target

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")


def test_a_line_is_status_what_detail_and_the_first_fix() -> None:
    line = pf.Line(pf.FAIL, "router udm SSH root@172.29.51.1:22", "cannot connect:\n Connection refused", "check it")
    assert line.render() == ("FAIL  router udm SSH root@172.29.51.1:22: cannot connect: Connection refused; "
                             "fix: check it")
    assert pf.Line(pf.OK, "DNS", "answers", "unused").render() == "ok    DNS: answers"
    assert pf.Line(pf.FAIL, "x", "refused; fix: add the key", "other").render() == "FAIL  x: refused; fix: add the key"
    lines = [pf.Line(pf.OK, "a", "b"), pf.Line(pf.SKIP, "c", "d"), pf.Line(pf.FAIL, "e", "f")]
    assert pf.failed(lines) and not pf.failed(lines[:2])
    assert pf.summary(lines) == "preflight: 1 FAIL, 1 ok, 1 skip"


def _certificate(tmp_path: Path) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "system:masters"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "admin")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def _kubeconfig(path: Path, user: dict[str, str]) -> Path:
    path.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "home",
        "clusters": [{"name": "c", "cluster": {"server": "https://127.0.0.1:6443"}}],
        "contexts": [{"name": "home", "context": {"cluster": "c", "user": "u"}}],
        "users": [{"name": "u", "user": user}]}))
    return path


def test_identity_is_the_client_certificate_subject_of_the_context(tmp_path: Path) -> None:
    pem = _certificate(tmp_path)
    inline = _kubeconfig(tmp_path / "inline", {"client-certificate-data": base64.b64encode(pem).decode(),
                                                 "client-key-data": "bm90LWEta2V5"})
    assert pf.client_certificate_subject(inline, None) == "CN=admin, O=system:masters"
    (tmp_path / "admin.crt").write_bytes(pem)
    by_file = _kubeconfig(tmp_path / "by-file", {"client-certificate": "admin.crt"})
    assert pf.client_certificate_subject(by_file, "home") == "CN=admin, O=system:masters"
    token = _kubeconfig(tmp_path / "token", {"token": "secret-token"})
    assert pf.client_certificate_subject(token, None) is None
    assert pf.client_certificate_subject(inline, "no-such-context") is None


def test_live_target_takes_the_router_key_from_the_option_else_the_profiles_env(profile: Profile) -> None:
    env = {profile.bgp.router.ssh.key_env: "/keys/router"}
    common = dict(kubeconfig=None, context=None, talosconfig=None, talos_context=None, router_known_hosts=None,
                  ca_bundle=None)
    target = pf.live_target(profile, router_key=None, env=env, **common)  # type: ignore[arg-type]
    assert target.router_ssh == SshEndpoint("172.29.51.1", 22, "root", Path("/keys/router"), None)
    given = pf.live_target(profile, router_key=Path("/k"), env=env, **common)  # type: ignore[arg-type]
    assert given.router_ssh is not None and given.router_ssh.key_path == Path("/k")
    assert pf.live_target(profile, router_key=None, env={}, **common).router_ssh.key_path is None  # type: ignore


def test_inputs_missing_or_broken_fail_or_skip_their_own_lines_before_any_connection(
        profile: Profile, tmp_path: Path) -> None:
    bad = tmp_path / "kubeconfig"
    bad.write_text("apiVersion: v1\nclusters: [\n")
    target = Target("live", kubeconfig=bad, talosconfig=tmp_path / "absent-talosconfig",
                    router_ssh=SshEndpoint("172.29.51.1", 22, "root", tmp_path / "absent-key", None))
    inputs = pf.Inputs(profile, target, env={})
    kube = [line.render() for line in pf._kubernetes(inputs)]
    assert kube == [f"FAIL  Kubernetes API (kubeconfig {bad}): kubeconfig {bad}:3: malformed YAML; fix: give a "
                    "readable kubeconfig with that context (talosctl kubeconfig writes one)",
                    "skip  Kubernetes identity: skipped: no usable kubeconfig",
                    "skip  Kubernetes read access: skipped: no usable kubeconfig"]
    (talos,) = pf._talos(inputs)
    assert talos.status == pf.FAIL and f"--talosconfig {tmp_path}/absent-talosconfig: no such file" in talos.detail
    (router,) = pf._router(inputs)
    assert router.status == pf.FAIL and router.what == "router udm SSH root@172.29.51.1:22"
    assert f"{tmp_path}/absent-key is not a file" in router.render()
    assert "--router-key or $HOME_OPS_ROUTER_SSH_KEY" in router.render()


def test_nothing_given_is_skipped_saying_what_to_give(profile: Profile) -> None:
    inputs = pf.Inputs(profile, Target("live"), env={})
    lines = [*pf._kubernetes(inputs), *pf._talos(inputs), *pf._router(inputs), *pf._authentik(inputs)]
    assert [line.status for line in lines] == [pf.SKIP] * 4
    assert "give --kubeconfig" in lines[0].render() and "give --talosconfig" in lines[1].render()
    assert lines[3].render().startswith("skip  Authentik test account: skipped: no Authentik test account: give "
                                        "--authentik-credentials FILE")


def test_an_unreadable_authentik_account_fails_its_line_and_prints_no_password(
        profile: Profile, tmp_path: Path) -> None:
    creds = tmp_path / "creds.json"
    creds.write_text('{"username": "conformance", "password": ""}')
    (line,) = pf._authentik(pf.Inputs(profile, Target("live"), authentik_credentials=creds, env={}))
    assert line.status == pf.FAIL and "--authentik-credentials" in line.detail
    only_cookies = pf.Inputs(profile, Target("live"), env={"HOME_OPS_AUTHENTIK_COOKIES": "authentik_proxy_x=v4lue"})
    (line,) = pf._authentik(only_cookies)
    assert line.status == pf.SKIP and "no account" in line.detail and "v4lue" not in line.render()
