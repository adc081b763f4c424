"""The lab's Talos PKI and talosconfig, made the way Talos and talhelper make them.

    pki = LabPki.generate(server_sans=["127.0.0.1", "172.29.51.11", "mini01"])
    write_talosconfig(path, pki, context="home-ops-lab", endpoints=["172.29.51.11"], nodes=[...])

Shapes (siderolabs/talos v1.10.5, siderolabs/crypto v0.6.0):

- OS CA: ``NewTalosCA`` (pkg/machinery/config/generate/secrets/ca.go:54-63) = O=talos, Ed25519 by default
  (crypto x509/options.go:149-162), CA with cert-sign + digital-signature usage and server + client
  auth (x509/certificate_authority.go:36-53). ``algorithm="ecdsa"`` makes the ECDSA P-256 variant
  (``x509.ECDSA(true)``, certificate_authority.go:125-165) that clusters with an ECDSA OS CA have.
- admin client certificate: ``NewAdminCertificateAndKey`` (ca.go:65-86): O=<role> (``os:admin``), no CN,
  digital-signature usage, client-auth only; its key follows the CA's algorithm (x509/keypair.go:31-47).
- the talosconfig key PEM: Ed25519 as PKCS#8 under ``ED25519 PRIVATE KEY`` (x509/key.go:111-124),
  ECDSA as SEC1 under ``EC PRIVATE KEY`` (x509/key.go:60-73); base64 in the talosconfig
  (pkg/machinery/client/config/config.go:29-41 ``NewConfig``), YAML as yaml.v3 writes it (4-space indent).

The apid server key stays PKCS#8 ``PRIVATE KEY`` in a 0600 file under the lab state dir: it only
feeds the lab's own TLS front (Python's ssl cannot read the Talos label). Role in the Organization:
siderolabs/talos ``pkg/machinery/role``, authorised by apid.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ADMIN_ROLE = "os:admin"
Algorithm = Literal["ed25519", "ecdsa"]
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey
#: siderolabs/crypto x509/constants.go:17,19
PEM_ED25519_PRIVATE = "ED25519 PRIVATE KEY"
PEM_EC_PRIVATE = "EC PRIVATE KEY"


@dataclass(frozen=True)
class KeyPair:
    cert_pem: bytes
    key_pem: bytes = field(repr=False)          # PKCS#8 "PRIVATE KEY": what Python's ssl loads
    talos_key_pem: bytes = field(repr=False)    # as Talos writes it: "ED25519 PRIVATE KEY" / "EC PRIVATE KEY"


@dataclass(frozen=True)
class LabPki:
    ca: KeyPair
    server: KeyPair
    client: KeyPair

    @classmethod
    def generate(cls, server_sans: Sequence[str], client_role: str = ADMIN_ROLE,
                 algorithm: Algorithm = "ed25519") -> LabPki:
        ca_key = _new_key(algorithm)
        ca_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "talos")])
        ca_cert = (_builder(ca_name, ca_name, ca_key)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .add_extension(_usage(cert_sign=True), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                                         ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
                   .sign(ca_key, _digest(ca_key)))
        server = _leaf(ca_key, ca_name, x509.Name([]), ExtendedKeyUsageOID.SERVER_AUTH, server_sans, algorithm)
        client_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, client_role)])
        client = _leaf(ca_key, ca_name, client_name, ExtendedKeyUsageOID.CLIENT_AUTH, (), algorithm)
        return cls(ca=_pair(ca_cert, ca_key), server=server, client=client)


def talosconfig_document(pki: LabPki, context: str, endpoints: Sequence[str], nodes: Sequence[str],
                         ca_pem: bytes | None = None) -> dict[str, Any]:
    """The talosconfig as ``clientconfig.NewConfig`` + talhelper build it (endpoints, then nodes)."""
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "context": context,
        "contexts": {context: {
            "endpoints": list(endpoints), "nodes": list(nodes),
            "ca": b64(ca_pem or pki.ca.cert_pem), "crt": b64(pki.client.cert_pem),
            "key": b64(pki.client.talos_key_pem),
        }},
    }


def write_talosconfig(
    path: Path, pki: LabPki, context: str, endpoints: Sequence[str], nodes: Sequence[str],
    ca_pem: bytes | None = None,
) -> Path:
    """Write a talosconfig for ``pki``'s client (``ca_pem`` overrides the CA, for wrong-CA tests)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(dump_go_yaml(talosconfig_document(pki, context, endpoints, nodes, ca_pem)), encoding="utf-8")
    return path


class _GoYamlDumper(yaml.SafeDumper):
    """yaml.v3's layout: 4-space indent, sequences indented under their key, no line folding."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


def dump_go_yaml(document: object) -> str:
    return yaml.dump(document, Dumper=_GoYamlDumper, indent=4, sort_keys=False, width=1 << 30,
                     default_flow_style=False)


def _new_key(algorithm: Algorithm) -> PrivateKey:
    return ed25519.Ed25519PrivateKey.generate() if algorithm == "ed25519" else ec.generate_private_key(ec.SECP256R1())


def _digest(key: PrivateKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _usage(cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign, crl_sign=False,
                         encipher_only=False, decipher_only=False)


def _leaf(ca_key: PrivateKey, issuer: x509.Name, subject: x509.Name, usage: x509.ObjectIdentifier,
          sans: Sequence[str], algorithm: Algorithm) -> KeyPair:
    key = _new_key(algorithm)
    builder = (_builder(subject, issuer, key)
               .add_extension(_usage(cert_sign=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([_san(s) for s in sans]), critical=False)
    return _pair(builder.sign(ca_key, _digest(ca_key)), key)


def _builder(subject: x509.Name, issuer: x509.Name, key: PrivateKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=1)))


def _san(value: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(value))
    except ValueError:
        return x509.DNSName(value)


def _pair(cert: x509.Certificate, key: PrivateKey) -> KeyPair:
    return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _pkcs8(key), talos_key_pem(key))


def _pkcs8(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def talos_key_pem(key: PrivateKey) -> bytes:
    """The key PEM as siderolabs/crypto encodes it: PKCS#8 under "ED25519 PRIVATE KEY", SEC1 "EC PRIVATE KEY"."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                 serialization.NoEncryption())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    body = base64.encodebytes(der).replace(b"\n", b"")
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN %s-----\n%s\n-----END %s-----\n" % (PEM_ED25519_PRIVATE.encode(), lines,
                                                           PEM_ED25519_PRIVATE.encode())
