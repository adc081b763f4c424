"""talosconfig decoding rules, one by one, as talosctl applies them (offline).

Endpoints: connection.go reduceURLsToAddresses + resolver.EnsureEndpointsHavePorts; keys: Go's
tls.X509KeyPair; YAML: yaml.v3 into Go strings; base64: base64.StdEncoding (see SOURCE.md).
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from harness.probes.talos import TalosConfigError, load_talosconfig, parse_endpoint, parse_talosconfig

NOW = dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(("raw", "host", "port"), [
    ("172.29.51.11", "172.29.51.11", 50000),
    ("172.29.51.11:50001", "172.29.51.11", 50001),
    ("mini01", "mini01", 50000),
    ("localhost:890", "localhost", 890),
    ("2001:db8:0:0:0:ff00:42:8329", "2001:db8:0:0:0:ff00:42:8329", 50000),   # roundrobin_test.go L23/L33
    ("[2001:db8:4006:812::200e]:8080", "2001:db8:4006:812::200e", 8080),      # L25/L35
    ("[fd47::1]", "fd47::1", 50000),
    ("https://mini01:50000", "mini01", 50000),
    ("https://mini01", "mini01", 443),
    ("HTTPS://mini01/", "mini01", 443),
    ("http://mini01", "mini01", 50000),
    ("grpc://[fd47::1]:50000/", "fd47::1", 50000),
])
def test_endpoint(raw: str, host: str, port: int) -> None:
    endpoint = parse_endpoint(raw)
    assert (endpoint.host, endpoint.port, endpoint.raw) == (host, port, raw)


@pytest.mark.parametrize(("raw", "problem"), [
    ("", "empty endpoint"),
    ("mini01:http", "port 'http' is not a number"),
    ("mini01:70000", "port 70000 out of range"),
    ("[fd47::1", "missing ']'"),
    ("a:b:c", "too many colons"),
    ("https://:50000", "URL has no host"),
])
def test_unusable_endpoint(raw: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_endpoint(raw)


def _cert(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey,
          public: object | None = None) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "os:admin")])
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(public or key.public_key())  # type: ignore[arg-type]
               .serial_number(1).not_valid_before(NOW).not_valid_after(NOW + dt.timedelta(days=1)))
    digest = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, digest).public_bytes(serialization.Encoding.PEM)


def _relabel(pem: bytes, label: str) -> bytes:
    return pem.replace(b"BEGIN PRIVATE KEY", b"BEGIN " + label.encode()).replace(
        b"END PRIVATE KEY", b"END " + label.encode())


def _pkcs8(key: ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey | ec.EllipticCurvePrivateKey,
           password: bytes | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def _config(crt: bytes | None, key: bytes | None, **extra: str) -> str:
    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    lines = ["context: t", "contexts:", "    t:", "        endpoints:", "            - 172.29.51.11"]
    if crt is not None:
        lines.append(f"        crt: {b64(crt)}")
    if key is not None:
        lines.append(f"        key: {b64(key)}")
    lines += [f"        {k}: {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


ED = ed25519.Ed25519PrivateKey.generate()
EC = ec.generate_private_key(ec.SECP256R1())
RSA = rsa.generate_private_key(65537, 2048)

KEY_FORMS: list[tuple[str, Callable[[], bytes], str, str]] = [
    ("ed25519 under the Talos label", lambda: _relabel(_pkcs8(ED), "ED25519 PRIVATE KEY"), "ed25519",
     "ED25519 PRIVATE KEY"),
    ("ed25519 as plain PKCS#8", lambda: _pkcs8(ED), "ed25519", "PRIVATE KEY"),
    ("ecdsa SEC1", lambda: EC.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                             serialization.NoEncryption()), "ecdsa", "EC PRIVATE KEY"),
    ("ecdsa PKCS#8 under the EC label", lambda: _relabel(_pkcs8(EC), "EC PRIVATE KEY"), "ecdsa", "EC PRIVATE KEY"),
    ("rsa PKCS#1", lambda: RSA.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                              serialization.NoEncryption()), "rsa", "RSA PRIVATE KEY"),
    ("any '... PRIVATE KEY' label", lambda: _relabel(_pkcs8(ED), "WHATEVER PRIVATE KEY"), "ed25519",
     "WHATEVER PRIVATE KEY"),
    ("text and other blocks before the key",
     lambda: b"comment\n" + _cert(ED) + _relabel(_pkcs8(ED), "ED25519 PRIVATE KEY"), "ed25519", "ED25519 PRIVATE KEY"),
]


@pytest.mark.parametrize(("what", "make", "key_type", "label"), KEY_FORMS, ids=[f[0] for f in KEY_FORMS])
def test_key_forms_go_accepts(what: str, make: Callable[[], bytes], key_type: str, label: str) -> None:
    key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = {
        "ed25519": ED, "ecdsa": EC, "rsa": RSA}[key_type]  # type: ignore[assignment]
    ctx = parse_talosconfig(_config(_cert(key), make())).context()
    assert (ctx.key_type, ctx.key_label) == (key_type, label)
    assert ctx.key_pem is not None and ctx.key_pem.startswith(b"-----BEGIN PRIVATE KEY-----")


@pytest.mark.parametrize(("crt", "key", "problem"), [
    (_cert(ED), None, "crt is set but key is empty; a client certificate needs both"),
    (None, _pkcs8(ED), "key is set but crt is empty"),
    (_cert(ED), _pkcs8(ed25519.Ed25519PrivateKey.generate()),
     "crt/key: the ed25519 key does not match the certificate"),
    (_cert(ED), _pkcs8(ED, b"secret"), "crt/key: the key is encrypted"),
    (_cert(ED), _pkcs8(ed448.Ed448PrivateKey.generate()), "crt/key: unsupported private key"),
    (_relabel(_pkcs8(ED), "ED25519 PRIVATE KEY"), _cert(ED), "crt/key: no CERTIFICATE PEM block in the certificate"),
    (_cert(ED), _cert(ED), "crt/key: no PEM block labelled '... PRIVATE KEY' in the key \\(found CERTIFICATE\\)"),
    (_cert(ED), b"-----BEGIN ED25519 PRIVATE KEY-----\nAAAA\n-----END ED25519 PRIVATE KEY-----\n",
     "crt/key: PEM is not a valid unencrypted private key"),
])
def test_client_pairs_go_refuses(crt: bytes | None, key: bytes | None, problem: str) -> None:
    with pytest.raises(TalosConfigError, match=problem) as caught:
        parse_talosconfig(_config(crt, key), source="cfg").context()
    message = str(caught.value)
    assert message.startswith("talosconfig cfg, context 't': ") and "\n" not in message
    assert "BEGIN" not in message and "MC4CAQAw" not in message


def test_base64_line_breaks_are_ignored_like_go() -> None:
    crt = base64.b64encode(_cert(ED)).decode()
    key = base64.b64encode(_relabel(_pkcs8(ED), "ED25519 PRIVATE KEY")).decode()
    folded = "\n".join(key[i:i + 60] for i in range(0, len(key), 60))
    text = (f"context: t\ncontexts:\n    t:\n        endpoints: [172.29.51.11]\n        crt: {crt}\n"
            "        key: |\n" + "".join(f"            {line}\n" for line in folded.splitlines()))
    assert parse_talosconfig(text).context().key_type == "ed25519"


def test_base64_without_padding_is_refused_like_go() -> None:
    with pytest.raises(TalosConfigError, match="context 't': crt: not valid base64"):
        parse_talosconfig("context: t\ncontexts:\n    t:\n        endpoints: [a]\n        crt: TWE\n").context()


def test_scalars_are_text_like_yaml_v3_into_go_strings() -> None:
    config = parse_talosconfig("context: 2025\ncontexts:\n    2025:\n        endpoints: [10.0.0.1, 1:20]\n"
                               "        nodes: [yes, 0x1F]\n        cluster: null\n        extra: ignored\n")
    ctx = config.context()
    assert (ctx.name, ctx.endpoints, ctx.nodes, ctx.cluster) == ("2025", ("10.0.0.1", "1:20"), ("yes", "0x1F"), "")
    assert ctx.endpoint_targets() == ("10.0.0.1:50000", "1:20")


def test_target_is_appended_after_endpoints() -> None:
    ctx = parse_talosconfig("context: t\ncontexts:\n    t:\n        endpoints: [a, b]\n        target: c\n").context()
    assert ctx.endpoints == ("a", "b", "c")


@pytest.mark.parametrize(("text", "problem"), [
    ("", "file is empty"),
    ("- a\n", "top level is a list, expected a mapping"),
    ("context: t\ncontexts: [t]\n", "'contexts' is a list, expected a mapping"),
    ("context: t\ncontexts:\n    t:\n", "context 't': empty context"),
    ("context: t\ncontexts:\n    t:\n        endpoints: a\n", "context 't': endpoints: expected a list of strings"),
    ("context: t\ncontexts:\n    t:\n        endpoints: [a]\n        auth: basic\n", "auth: expected a mapping"),
    ("context: t\ncontexts:\n    t:\n        endpoints: [a]\n    t:\n        endpoints: [b]\n",
     "malformed YAML at line 5: mapping key 't' already defined at line 3"),
])
def test_structure_talosctl_cannot_decode(text: str, problem: str) -> None:
    with pytest.raises(TalosConfigError, match=problem):
        parse_talosconfig(text, source="cfg")


@pytest.mark.parametrize(("text", "wanted", "problem"), [
    ("contexts: {}\n", None, "talosconfig cfg: file has no contexts"),
    ("contexts:\n    a:\n        endpoints: [x]\n", None, "no context named and no current context set"),
    ("context: b\ncontexts:\n    a:\n        endpoints: [x]\n", None, "context 'b' not found; contexts present: a"),
    ("context: a\ncontexts:\n    a:\n        nodes: [x]\n", None, "context 'a': no endpoints configured"),
    ("context: a\ncontexts:\n    a:\n        endpoints: ['x:y']\n", None, "context 'a': endpoint 'x:y': port 'y'"),
])
def test_context_talosctl_cannot_use(text: str, wanted: str | None, problem: str) -> None:
    config = parse_talosconfig(text, source="cfg")
    with pytest.raises(TalosConfigError, match=problem):
        config.context(wanted)


def test_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "talosconfig"
    path.write_bytes(b"\xff\xfe")
    with pytest.raises(TalosConfigError, match=rf"talosconfig {path}: not UTF-8 text"):
        load_talosconfig(path)
