"""Regenerate the talosconfig samples in fixtures/upstream/talos/ (throwaway keys, Talos's shapes).

    .venv/bin/python -m tests.talos.make_talosconfig_samples      # rewrites fixtures/upstream/talos/talosconfig-*.yaml

Written for this project from the facts in fixtures/upstream/talos/SOURCE.md: an OS CA as
``NewTalosCA`` makes it (O=talos, Ed25519, or ECDSA P-256 for the ECDSA variant), an admin client
certificate as ``NewAdminCertificateAndKey`` (O=os:admin, client auth), key PEMs as siderolabs/crypto
encodes them (Ed25519 PKCS#8 under "ED25519 PRIVATE KEY", ECDSA SEC1 under "EC PRIVATE KEY"), and the
YAML as yaml.v3 writes ``clientconfig.Config`` (4-space indent, omitempty fields absent). The keys are
made up here and protect nothing. Certificates are valid 2025-01-01 to 2035-01-01.
"""

from __future__ import annotations

import base64
import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "upstream" / "talos"
NOT_BEFORE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOT_AFTER = dt.datetime(2035, 1, 1, tzinfo=dt.UTC)
Key = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def _sign(builder: x509.CertificateBuilder, key: Key) -> x509.Certificate:
    return builder.sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())


def _base(subject: x509.Name, issuer: x509.Name, public: Any) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public)
            .serial_number(x509.random_serial_number()).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER))


def _talos_key_pem(key: Key) -> bytes:
    if isinstance(key, ec.EllipticCurvePrivateKey):  # SEC1, "EC PRIVATE KEY" (x509.MarshalECPrivateKey)
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    return pkcs8.replace(b"-----BEGIN PRIVATE KEY-----", b"-----BEGIN ED25519 PRIVATE KEY-----").replace(
        b"-----END PRIVATE KEY-----", b"-----END ED25519 PRIVATE KEY-----")


def credentials(algorithm: str) -> dict[str, str]:
    """ca/crt/key of a fresh OS CA and admin certificate, base64 as in a talosconfig."""
    def new_key() -> Key:
        if algorithm == "ed25519":
            return ed25519.Ed25519PrivateKey.generate()
        return ec.generate_private_key(ec.SECP256R1())

    ca_key, client_key = new_key(), new_key()
    ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "talos")])
    ca = _sign(_base(ca_name, ca_name, ca_key.public_key())
               .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
               .add_extension(_usage(True), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                     ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False), ca_key)
    admin = _sign(_base(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "os:admin")]), ca_name,
                        client_key.public_key())
                  .add_extension(_usage(False), critical=True)
                  .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False), ca_key)

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {"ca": b64(ca.public_bytes(serialization.Encoding.PEM)),
            "crt": b64(admin.public_bytes(serialization.Encoding.PEM)), "key": b64(_talos_key_pem(client_key))}


class _GoYaml(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


def _write(name: str, document: dict[str, Any]) -> None:
    text = yaml.dump(document, Dumper=_GoYaml, indent=4, sort_keys=False, width=1 << 30)
    (ROOT / name).write_text(text, encoding="utf-8")


NODES_V4 = ["172.29.51.11", "172.29.51.12", "172.29.51.13"]


def main() -> None:
    ROOT.mkdir(parents=True, exist_ok=True)
    home = credentials("ed25519")
    _write("talosconfig-talhelper-ed25519.yaml", {
        "context": "home-ops",
        "contexts": {"home-ops": {"endpoints": NODES_V4, "nodes": NODES_V4, **home}}})
    _write("talosconfig-ecdsa.yaml", {
        "context": "legacy-ecdsa",
        "contexts": {"legacy-ecdsa": {"endpoints": ["172.29.51.11"], "nodes": ["172.29.51.11"],
                                      **credentials("ecdsa")}}})
    _write("talosconfig-endpoint-forms.yaml", {
        "context": "forms",
        "contexts": {"forms": {"endpoints": [
            "https://172.29.51.11:50000", "172.29.51.12:50000", "172.29.51.13", "mini01.home.arpa",
            "mini02.home.arpa:50001", "[fd47:25e1:2f96:51::11]:50000", "fd47:25e1:2f96:51::12",
            "https://[fd47:25e1:2f96:51::13]:50000", "https://talos.home.arpa", "tcp://mini03.home.arpa",
        ], "nodes": NODES_V4, **home}}})
    _write("talosconfig-ipv6.yaml", {
        "context": "home-ops-v6",
        "contexts": {"home-ops-v6": {"endpoints": ["[fd47:25e1:2f96:51::11]:50000", "fd47:25e1:2f96:51::12"],
                                     "nodes": ["fd47:25e1:2f96:51::11", "fd47:25e1:2f96:51::12"], **home}}})
    _write("talosconfig-no-certs.yaml", {
        "context": "bare",
        "contexts": {"bare": {"endpoints": ["172.29.51.11"], "nodes": ["172.29.51.11"]}}})
    _write("talosconfig-deprecated-target.yaml", {
        "context": "old",
        "contexts": {"old": {"target": "172.29.51.11", **home}}})
    _write("talosconfig-contexts.yaml", {
        "context": "home-ops",
        "contexts": {
            "home-ops": {"endpoints": ["172.29.51.11:50000", "172.29.51.12:50000"], "nodes": NODES_V4, **home},
            "home-ops-1": {"endpoints": ["https://mini01.home.arpa:50000"], "nodes": ["mini01.home.arpa"], **home},
            "omni": {"endpoints": ["https://home.omni.example.net"],
                     "auth": {"siderov1": {"identity": "owner@example.net"}}, "cluster": "home-ops"},
            "proxied": {"endpoints": ["https://talos-proxy.home.arpa"], "ca": home["ca"],
                        "auth": {"basic": {"username": "talos", "password": "not-a-real-password"}}},
            "stale": {"endpoints": ["172.29.40.11"], "ca": "not base64!", "crt": home["crt"], "key": "%%%"},
        }})


if __name__ == "__main__":
    main()
