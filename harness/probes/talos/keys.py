"""talosconfig key material read the way talosctl (Go's ``crypto/tls``) reads it, handed to Python's ssl.

    identity = client_identity(crt_pem, key_pem)     # raises KeyMaterialError("...") without key bytes
    identity.key_pem                                 # PKCS#8 "PRIVATE KEY" PEM: what ssl/cryptography load

Talos writes the talosconfig client key as PKCS#8 under the PEM label ``ED25519 PRIVATE KEY``
(siderolabs/crypto v0.6.0 x509/constants.go:19 ``PEMTypeEd25519Private``, x509/key.go:111-124
``NewEd25519Key``), an ECDSA key as SEC1 under ``EC PRIVATE KEY`` (x509/key.go:60-73) and RSA as PKCS#1
under ``RSA PRIVATE KEY`` (x509/key.go:153-158). talosctl hands crt and key to Go's
``tls.X509KeyPair`` (siderolabs/talos v1.10.5 pkg/machinery/client/connection.go:200), which takes the
first PEM block whose label is ``PRIVATE KEY`` or ends in `` PRIVATE KEY`` whatever its prefix, then
tries PKCS#1, PKCS#8 (RSA, ECDSA, Ed25519 only) and SEC1 on its bytes, and checks that the key
matches the first certificate (golang/go src/crypto/tls/tls.go ``X509KeyPair``, ``parsePrivateKey``).
Python's ``load_pem_private_key`` and ``ssl.SSLContext.load_cert_chain`` accept only the labels
OpenSSL knows, so the label is the only difference: the key is re-encoded in memory as PKCS#8
``PRIVATE KEY``. No message here ever carries key bytes.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from harness.core.errors import KeyMaterialError

_BLOCK = re.compile(rb"-----BEGIN ([^\r\n-]*)-----\r?\n(.*?)-----END \1-----", re.DOTALL)

#: key types Go's tls.X509KeyPair accepts, by the name used in messages
KEY_TYPES = {ed25519.Ed25519PrivateKey: "ed25519", ec.EllipticCurvePrivateKey: "ecdsa", rsa.RSAPrivateKey: "rsa"}


@dataclass(frozen=True)
class PemBlock:
    label: str
    der: bytes = field(repr=False)


@dataclass(frozen=True)
class ClientIdentity:
    """A client certificate chain and its key, ready for ``ssl``; ``key_label`` is the label as written."""

    chain_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)
    key_label: str
    key_type: str
    subject: str


def pem_blocks(data: bytes) -> list[PemBlock]:
    """Every well-formed PEM block in ``data``, in order; text around blocks and broken blocks are skipped.

    Like Go's ``encoding/pem.Decode`` called in a loop: RFC 1421 headers (``Key: value`` lines before a
    blank line) are allowed and ignored here.
    """
    blocks = []
    for match in _BLOCK.finditer(data):
        body = match.group(2).replace(b"\r\n", b"\n")
        if b":" in body.split(b"\n", 1)[0]:  # headers, then a blank line, then base64
            _, blank, body = body.partition(b"\n\n")
            if not blank:
                continue
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        blocks.append(PemBlock(match.group(1).decode("ascii", "replace"), der))
    return blocks


def certificates(pem: bytes) -> list[x509.Certificate]:
    """The parseable CERTIFICATE blocks of ``pem`` (Go ``CertPool.AppendCertsFromPEM`` skips the rest)."""
    found = []
    for block in pem_blocks(pem):
        if block.label != "CERTIFICATE":
            continue
        try:
            found.append(x509.load_der_x509_certificate(block.der))
        except ValueError:
            continue
    return found


def certificates_pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certs)


def client_identity(crt_pem: bytes, key_pem: bytes) -> ClientIdentity:
    """Certificate chain and key as ``tls.X509KeyPair`` reads them; the key re-encoded as PKCS#8."""
    chain = _chain(crt_pem)
    block = _key_block(key_pem)
    key = _private_key(block.der)
    key_type = next(name for kind, name in KEY_TYPES.items() if isinstance(key, kind))
    leaf = chain[0]
    if _spki(leaf.public_key()) != _spki(key.public_key()):
        raise KeyMaterialError(f"the {key_type} key does not match the certificate's public key")
    pkcs8 = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    return ClientIdentity(chain_pem=certificates_pem(chain), key_pem=pkcs8, key_label=block.label,
                          key_type=key_type, subject=leaf.subject.rfc4514_string())


def _chain(crt_pem: bytes) -> list[x509.Certificate]:
    blocks = pem_blocks(crt_pem)
    if not blocks:
        raise KeyMaterialError("no PEM data in the certificate")
    cert_blocks = [b for b in blocks if b.label == "CERTIFICATE"]
    if not cert_blocks:
        labels = ", ".join(sorted({b.label for b in blocks}))
        raise KeyMaterialError(f"no CERTIFICATE PEM block in the certificate (found {labels})")
    try:
        return [x509.load_der_x509_certificate(b.der) for b in cert_blocks]
    except ValueError as exc:
        raise KeyMaterialError("PEM is not a valid X.509 certificate") from exc


def _key_block(key_pem: bytes) -> PemBlock:
    blocks = pem_blocks(key_pem)
    if not blocks:
        raise KeyMaterialError("no PEM data in the key")
    for block in blocks:
        if block.label == "PRIVATE KEY" or block.label.endswith(" PRIVATE KEY"):
            return block
    labels = ", ".join(sorted({b.label for b in blocks}))
    raise KeyMaterialError(f"no PEM block labelled '... PRIVATE KEY' in the key (found {labels})")


def _private_key(der: bytes) -> ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey:
    # cryptography reads PKCS#8 and the traditional PKCS#1 (RSA) and SEC1 (EC) encodings, like Go.
    try:
        key = serialization.load_der_private_key(der, password=None)
    except TypeError as exc:
        raise KeyMaterialError("the key is encrypted; talosctl needs an unencrypted key") from exc
    except (ValueError, binascii.Error) as exc:
        raise KeyMaterialError("PEM is not a valid unencrypted private key (PKCS#8, PKCS#1 or SEC1)") from exc
    except UnsupportedAlgorithm as exc:
        raise KeyMaterialError("unsupported private key algorithm; talosctl accepts Ed25519, ECDSA and RSA") from exc
    if not isinstance(key, (ed25519.Ed25519PrivateKey, ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
        raise KeyMaterialError(f"unsupported private key type {type(key).__name__.removeprefix('_')}; "
                               "talosctl accepts Ed25519, ECDSA and RSA")
    return key


def _spki(public_key: object) -> bytes:
    encode = getattr(public_key, "public_bytes", None)
    if encode is None:
        return b""
    der: bytes = encode(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return der
