"""A throw-away certificate authority for the lab API server (EC P-256: fast to generate).

    ca = LabCA.create()
    cert_pem, key_pem = ca.issue("admin", ["system:masters"])   # client cert: CN=user, O=groups

Client certificates carry the user in the subject CN and groups in the O attributes, the
convention of kube-apiserver's x509 authenticator
(https://kubernetes.io/docs/reference/access-authn-authz/authentication/#x509-client-certificates).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = dt.timedelta(days=2)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _builder(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
    )


@dataclass(frozen=True)
class LabCA:
    """The CA key and certificate; issues server and client certificates."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate

    @classmethod
    def create(cls) -> LabCA:
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lab-kubernetes-ca")])
        cert = (
            _builder(name, name, key.public_key())
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
            .sign(key, hashes.SHA256())
        )
        return cls(key, cert)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    def _sign(
        self, subject: x509.Name, usage: x509.ObjectIdentifier, sans: Sequence[x509.GeneralName] = ()
    ) -> tuple[bytes, bytes]:
        key = ec.generate_private_key(ec.SECP256R1())
        builder = (
            _builder(subject, self.cert.subject, key.public_key())
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if sans:
            builder = builder.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
        cert = builder.sign(self.key, hashes.SHA256())
        return cert.public_bytes(serialization.Encoding.PEM), _key_pem(key)

    def issue_server(self, host: str) -> tuple[bytes, bytes]:
        """Server certificate for ``host`` plus localhost, 127.0.0.1 and ::1."""
        names: list[x509.GeneralName] = [
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            x509.IPAddress(ipaddress.ip_address("::1")),
        ]
        try:
            extra: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
        except ValueError:
            extra = x509.DNSName(host)
        if extra not in names:
            names.append(extra)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")])
        return self._sign(subject, ExtendedKeyUsageOID.SERVER_AUTH, names)

    def issue(self, user: str, groups: Sequence[str]) -> tuple[bytes, bytes]:
        """Client certificate: CN = user, one O attribute per group."""
        attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, user))
        return self._sign(x509.Name(attrs), ExtendedKeyUsageOID.CLIENT_AUTH)


@dataclass(frozen=True)
class Identity:
    """Who made a request, from the verified client certificate."""

    user: str
    groups: tuple[str, ...]


def identity_from_peercert(peer: dict[str, object] | None) -> Identity | None:
    """Read CN/O from ``ssl.SSLSocket.getpeercert()``; None when no verified certificate."""
    if not peer:
        return None
    user, groups = "", []
    subject = peer.get("subject", ())
    for rdn in subject if isinstance(subject, tuple) else ():
        for key, value in rdn:
            if key == "commonName":
                user = value
            elif key == "organizationName":
                groups.append(value)
    return Identity(user, tuple(groups)) if user else None
