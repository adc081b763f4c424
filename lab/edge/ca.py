"""The lab CA and the certificates it issues, as cert-manager's CA issuer would.

    ca = LabCa.create(Path("/tmp/lab/edge/ca"))        # ca.cert_path is what probes trust
    pair = ca.issue(("longhorn.k8s.home.geoffdavis.com",))   # PEM cert + key for a TLS Secret

Leaf certificates carry the hosts as DNS SANs (clients check SANs, not the CN, per
RFC 6125 §6.4.4) and serverAuth EKU. Key material is written with mode 0600 and never logged.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=7)


@dataclass(frozen=True)
class IssuedPair:
    """A certificate chain (leaf then CA) and its key, both PEM; the key never prints."""

    cert_pem: bytes
    key_pem: bytes = field(repr=False)
    hosts: tuple[str, ...] = ()


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "home-ops lab"),
                      x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` readable by the owner only."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)


class LabCa:
    def __init__(self, key: ec.EllipticCurvePrivateKey, cert: x509.Certificate, cert_path: Path) -> None:
        self._key, self.cert, self.cert_path = key, cert, cert_path

    @classmethod
    def create(cls, directory: Path) -> LabCa:
        """A fresh self-signed CA; its certificate is written to ``directory/ca.crt``."""
        directory.mkdir(parents=True, exist_ok=True)
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(_name("home-ops lab CA")).issuer_name(_name("home-ops lab CA"))
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + VALIDITY)
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                               critical=True)
                .sign(key, hashes.SHA256()))
        path = directory / "ca.crt"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(key, cert, path)

    def issue(self, hosts: tuple[str, ...]) -> IssuedPair:
        """A serverAuth leaf for ``hosts`` (first host is the CN), signed by this CA."""
        if not hosts:
            raise ValueError("LabCa.issue: a certificate needs at least one host")
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(_name(hosts[0])).issuer_name(self.cert.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + VALIDITY)
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(h) for h in hosts]),
                               critical=False)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(self._key, hashes.SHA256()))
        chain = cert.public_bytes(serialization.Encoding.PEM) + \
            self.cert.public_bytes(serialization.Encoding.PEM)
        return IssuedPair(chain, _key_pem(key), hosts)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)
