"""The lab's Talos PKI: an Ed25519 CA, an apid server certificate and an admin client certificate.

    pki = LabPki.generate(server_sans=["127.0.0.1", "172.29.51.11", "mini01"])
    write_talosconfig(path, pki, context="home-ops-lab", endpoints=["127.0.0.1:50000"], nodes=[...])

Talos issues Ed25519 keys for its OS CA and talosconfig client certificates; the client
certificate's Organization carries its role (``os:admin``), which apid authorises
(siderolabs/talos ``pkg/machinery/role``). Keys live only in files under the lab state dir.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ADMIN_ROLE = "os:admin"


@dataclass(frozen=True)
class KeyPair:
    cert_pem: bytes
    key_pem: bytes = field(repr=False)


@dataclass(frozen=True)
class LabPki:
    ca: KeyPair
    server: KeyPair
    client: KeyPair

    @classmethod
    def generate(cls, server_sans: Sequence[str], client_role: str = ADMIN_ROLE) -> LabPki:
        ca_key = ed25519.Ed25519PrivateKey.generate()
        ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "talos")])
        ca_cert = _builder(ca_name, ca_name, ca_key.public_key()).add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).sign(ca_key, None)
        server = _leaf(ca_key, ca_name, x509.Name([]), ExtendedKeyUsageOID.SERVER_AUTH, server_sans)
        client_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, client_role),
                                 x509.NameAttribute(NameOID.COMMON_NAME, "admin")])
        client = _leaf(ca_key, ca_name, client_name, ExtendedKeyUsageOID.CLIENT_AUTH, ())
        return cls(ca=KeyPair(_cert_pem(ca_cert), _key_pem(ca_key)), server=server, client=client)


def write_talosconfig(
    path: Path, pki: LabPki, context: str, endpoints: Sequence[str], nodes: Sequence[str],
    ca_pem: bytes | None = None,
) -> Path:
    """Write a talosconfig for ``pki``'s client (``ca_pem`` overrides the CA, for wrong-CA tests)."""
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    document = {
        "context": context,
        "contexts": {context: {
            "endpoints": list(endpoints), "nodes": list(nodes),
            "ca": b64(ca_pem or pki.ca.cert_pem), "crt": b64(pki.client.cert_pem), "key": b64(pki.client.key_pem),
        }},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _leaf(ca_key: ed25519.Ed25519PrivateKey, issuer: x509.Name, subject: x509.Name,
          usage: x509.ObjectIdentifier, sans: Sequence[str]) -> KeyPair:
    key = ed25519.Ed25519PrivateKey.generate()
    builder = _builder(subject, issuer, key.public_key()).add_extension(
        x509.ExtendedKeyUsage([usage]), critical=False
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_san(s) for s in sans]), critical=False)
    return KeyPair(_cert_pem(builder.sign(ca_key, None)), _key_pem(key))


def _builder(subject: x509.Name, issuer: x509.Name, public_key: ed25519.Ed25519PublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1)))


def _san(value: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ed25519.Ed25519PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
