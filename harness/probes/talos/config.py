"""Parse a talosconfig the way talosctl does, and pick a context.

    cfg = load_talosconfig(Path("~/.talos/config").expanduser())
    ctx = cfg.context()          # or cfg.context("home-ops"); raises TalosConfigError when unusable
    ctx.addresses                # (Endpoint(host="172.29.51.11", port=50000), ...), tried in order

Format: siderolabs/talos v1.10.5 pkg/machinery/client/config/config.go (unchanged v1.9 to v1.11):
``context`` (current context) and ``contexts`` by name (lines 20-22); a context has ``endpoints``,
``nodes``, base64 PEM ``ca``/``crt``/``key`` (all ``omitempty``), ``auth`` (``basic`` username/password
or ``siderov1`` identity), ``cluster``, and the deprecated ``target``, which talosctl appends to the
endpoints on read (lines 50-83). The YAML is decoded like gopkg.in/yaml.v3 decodes into those Go
strings: every scalar is text, unknown keys are ignored, a duplicate key is an error. Key material
is decoded only for the context in use (talosctl decodes it when it connects), so a broken context
does not make the others unusable. What is accepted and what talosctl does with it:

- ``ca`` empty: the system trust store (connection.go:115-129 leaves ``RootCAs`` nil).
- ``crt`` and ``key`` both empty: no client certificate (connection.go:185-188); one of them empty
  fails like ``tls.X509KeyPair`` does.
- base64 as Go's ``base64.StdEncoding`` decodes it (padding required, CR/LF ignored).
- the key: any ``... PRIVATE KEY`` label, PKCS#8/PKCS#1/SEC1 (see ``harness.probes.talos.keys``).
- endpoints: ``reduceURLsToAddresses`` then ``EnsureEndpointsHavePorts`` (connection.go:208-231,
  resolver/roundrobin.go:57-66): a URL keeps its host and port, ``https://`` without a port means
  443, anything else without a port gets apid's 50000; bare IPv6 addresses are bracketed.

Key material is never put in messages or reprs.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from harness.core.errors import KeyMaterialError, TalosConfigError
from harness.probes.talos.keys import certificates, certificates_pem, client_identity

#: apid listens here when an endpoint has no explicit port (pkg/machinery/constants ApidPort).
DEFAULT_API_PORT = 50000
#: talosctl maps ``https://host`` without a port to 443 (connection.go:215-217, for Omni).
HTTPS_PORT = 443

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class Endpoint:
    """One apid endpoint: ``raw`` as written in the talosconfig, ``host`` without brackets."""

    raw: str
    host: str
    port: int

    @property
    def target(self) -> str:
        """``host:port`` (``[v6]:port`` for IPv6), the form talosctl dials and messages show."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def __str__(self) -> str:
        return self.target


def parse_endpoint(raw: str) -> Endpoint:
    """Host and port of a talosconfig endpoint, as talosctl derives them; ValueError when unusable."""
    text = raw.strip()
    if not text:
        raise ValueError("empty endpoint")
    scheme = _SCHEME.match(text)
    if scheme:
        try:
            url = urlsplit(text)
            host, port = url.hostname or "", url.port
        except ValueError as exc:
            raise ValueError(f"endpoint {raw!r}: {exc}") from exc
        if not host:
            raise ValueError(f"endpoint {raw!r}: URL has no host")
        if port is None:
            port = HTTPS_PORT if scheme.group(1).lower() == "https" else DEFAULT_API_PORT
        return Endpoint(raw, host, _check_port(raw, port))
    host, port_text = _split_host_port(text)
    port = DEFAULT_API_PORT if port_text is None else _port(raw, port_text)
    if not host:
        raise ValueError(f"endpoint {raw!r}: no host")
    return Endpoint(raw, host, port)


def _split_host_port(text: str) -> tuple[str, str | None]:
    """Go's ``net.SplitHostPort``, falling back to "no port" the way ``EnsureEndpointsHavePorts`` does."""
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket:
            raise ValueError(f"endpoint {text!r}: missing ']' in address")
        if rest.startswith(":"):
            return host, rest[1:]
        if rest:
            raise ValueError(f"endpoint {text!r}: unexpected {rest!r} after ']'")
        return host, None
    if text.count(":") == 1:
        host, _, port = text.partition(":")
        return host, port
    if text.count(":") > 1:
        try:
            ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError as exc:
            raise ValueError(f"endpoint {text!r}: too many colons in address") from exc
    return text, None


def _port(raw: str, text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"endpoint {raw!r}: port {text!r} is not a number")
    return _check_port(raw, int(text))


def _check_port(raw: str, port: int) -> int:
    if not 0 < port < 65536:
        raise ValueError(f"endpoint {raw!r}: port {port} out of range")
    return port


@dataclass(frozen=True)
class BasicAuth:
    """``auth.basic``: talosctl sends it as gRPC metadata ``authorization: Basic ...`` (basic_auth.go)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class TalosContext:
    """One talosconfig context with decoded PEM material (hidden from ``repr``)."""

    name: str
    source: str
    endpoints: tuple[str, ...]
    addresses: tuple[Endpoint, ...]
    nodes: tuple[str, ...]
    ca_pem: bytes | None = field(repr=False)
    crt_pem: bytes | None = field(repr=False)
    key_pem: bytes | None = field(repr=False)
    key_label: str = field(default="", repr=False)
    key_type: str = ""
    client_subject: str = ""
    cluster: str = ""
    basic_auth: BasicAuth | None = field(default=None, repr=False)
    siderov1_identity: str = ""

    @property
    def where(self) -> str:
        return f"talosconfig {self.source}, context {self.name!r}"

    def endpoint_targets(self) -> tuple[str, ...]:
        """Endpoints as gRPC ``host:port`` targets (port 50000 when none is given)."""
        return tuple(address.target for address in self.addresses)


@dataclass(frozen=True)
class TalosConfig:
    """The parsed file: the current context's name and every context's settings by name."""

    source: str
    current: str
    raw_contexts: Mapping[str, Mapping[str, Any]] = field(repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.raw_contexts)

    def context(self, name: str | None = None) -> TalosContext:
        """The named context, or the current one when ``name`` is None, with its key material decoded."""
        wanted = name or self.current
        if not wanted:
            problem = "file has no contexts" if not self.raw_contexts else "no context named and no current context set"
            raise TalosConfigError(f"talosconfig {self.source}: {problem}")
        if wanted not in self.raw_contexts:
            known = ", ".join(sorted(self.raw_contexts)) or "none"
            raise TalosConfigError(
                f"talosconfig {self.source}: context {wanted!r} not found; contexts present: {known}"
            )
        return _build_context(wanted, self.raw_contexts[wanted], self.source)


def load_talosconfig(path: Path) -> TalosConfig:
    """Read and parse the talosconfig at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TalosConfigError(f"talosconfig {path}: file not found") from exc
    except UnicodeDecodeError as exc:
        raise TalosConfigError(f"talosconfig {path}: not UTF-8 text") from exc
    except OSError as exc:
        raise TalosConfigError(f"talosconfig {path}: cannot read ({exc.strerror})") from exc
    return parse_talosconfig(text, source=str(path))


def parse_talosconfig(text: str, source: str = "<talosconfig>") -> TalosConfig:
    """Parse talosconfig YAML text (structure only); ``source`` names it in error messages."""
    document = _load_yaml(text, source)
    raw_contexts = document.get("contexts")
    if raw_contexts is None:
        raw_contexts = {}
    if not isinstance(raw_contexts, dict):
        kind = _kind(raw_contexts)
        raise TalosConfigError(f"talosconfig {source}: 'contexts' is a {kind}, expected a mapping")
    contexts = {str(name): _check_structure(str(name), raw, source) for name, raw in raw_contexts.items()}
    return TalosConfig(source=source, current=_scalar(document.get("context"), f"talosconfig {source}: context"),
                       raw_contexts=contexts)


class _GoYamlLoader(yaml.SafeLoader):
    """YAML as yaml.v3 decodes it into Go strings: every plain scalar is text; duplicate keys fail."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[str, int] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    problem = f"mapping key {key!r} already defined at line {seen[key] + 1}"
                    raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


_GoYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:merge")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _load_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        document = yaml.load(text, Loader=_GoYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None)
        detail = f": {problem}" if problem and "already defined" in str(problem) else ""
        raise TalosConfigError(f"talosconfig {source}: malformed YAML{line}{detail}") from exc
    if document is None:
        raise TalosConfigError(f"talosconfig {source}: file is empty")
    if not isinstance(document, dict):
        raise TalosConfigError(f"talosconfig {source}: top level is a {_kind(document)}, expected a mapping")
    return document


def _check_structure(name: str, raw: object, source: str) -> Mapping[str, Any]:
    """Fail like yaml.v3's typed decode does: a wrong shape anywhere makes the file unreadable to talosctl."""
    where = f"talosconfig {source}, context {name!r}"
    if raw is None:
        raise TalosConfigError(f"{where}: empty context")
    if not isinstance(raw, dict):
        raise TalosConfigError(f"{where}: expected a mapping, got {_kind(raw)}")
    for key in ("endpoints", "nodes"):
        _string_list(raw.get(key), f"{where}: {key}")
    for key in ("target", "ca", "crt", "key", "cluster"):
        _scalar(raw.get(key), f"{where}: {key}")
    _auth(raw.get("auth"), where)
    return raw


def _build_context(name: str, raw: Mapping[str, Any], source: str) -> TalosContext:
    where = f"talosconfig {source}, context {name!r}"
    endpoints = _string_list(raw.get("endpoints"), f"{where}: endpoints")
    target = _scalar(raw.get("target"), f"{where}: target")
    if target:  # Context.upgrade(): the deprecated target is appended to the endpoints
        endpoints = (*endpoints, target)
    if not endpoints:
        raise TalosConfigError(f"{where}: no endpoints configured")
    try:
        addresses = tuple(parse_endpoint(endpoint) for endpoint in endpoints)
    except ValueError as exc:
        raise TalosConfigError(f"{where}: {exc}") from exc
    basic, identity = _auth(raw.get("auth"), where)
    ca_pem = _ca(raw.get("ca"), where)
    crt = _pem(raw.get("crt"), f"{where}: crt")
    key = _pem(raw.get("key"), f"{where}: key")
    crt_pem = key_pem = None
    key_label = key_type = subject = ""
    if crt is not None or key is not None:
        if crt is None or key is None:
            missing, present = ("crt", "key") if crt is None else ("key", "crt")
            raise TalosConfigError(f"{where}: {present} is set but {missing} is empty; a client certificate "
                                   "needs both")
        try:
            client = client_identity(crt, key)
        except KeyMaterialError as exc:
            raise TalosConfigError(f"{where}: crt/key: {exc}") from exc
        crt_pem, key_pem = client.chain_pem, client.key_pem
        key_label, key_type, subject = client.key_label, client.key_type, client.subject
    return TalosContext(
        name=name, source=source, endpoints=endpoints, addresses=addresses,
        nodes=_string_list(raw.get("nodes"), f"{where}: nodes"), ca_pem=ca_pem, crt_pem=crt_pem, key_pem=key_pem,
        key_label=key_label, key_type=key_type, client_subject=subject,
        cluster=_scalar(raw.get("cluster"), f"{where}: cluster"), basic_auth=basic, siderov1_identity=identity,
    )


def _auth(value: object, where: str) -> tuple[BasicAuth | None, str]:
    if value is None:
        return None, ""
    if not isinstance(value, dict):
        raise TalosConfigError(f"{where}: auth: expected a mapping, got {_kind(value)}")
    basic = value.get("basic")
    if basic is not None and not isinstance(basic, dict):
        raise TalosConfigError(f"{where}: auth.basic: expected a mapping, got {_kind(basic)}")
    sidero = value.get("siderov1")
    if sidero is not None and not isinstance(sidero, dict):
        raise TalosConfigError(f"{where}: auth.siderov1: expected a mapping, got {_kind(sidero)}")
    auth = None
    if basic is not None:
        auth = BasicAuth(_scalar(basic.get("username"), f"{where}: auth.basic.username"),
                         _scalar(basic.get("password"), f"{where}: auth.basic.password"))
    identity = _scalar(sidero.get("identity"), f"{where}: auth.siderov1.identity") if sidero is not None else ""
    return auth, identity


def _scalar(value: object, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        raise TalosConfigError(f"{where}: expected a string, got a {_kind(value)}")
    return str(value)


def _string_list(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or any(isinstance(item, (dict, list)) for item in value):
        raise TalosConfigError(f"{where}: expected a list of strings")
    return tuple("" if item is None else str(item) for item in value)


def _decode(value: object, where: str) -> bytes | None:
    """Go's ``base64.StdEncoding.DecodeString``: padding required, CR and LF ignored; "" means absent."""
    text = _scalar(value, where)
    if not text:
        return None
    try:
        return base64.b64decode(text.replace("\r", "").replace("\n", ""), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise TalosConfigError(f"{where}: not valid base64") from exc


def _pem(value: object, where: str) -> bytes | None:
    decoded = _decode(value, where)
    if decoded is not None and b"-----BEGIN " not in decoded:
        raise TalosConfigError(f"{where}: base64 decodes to something that is not PEM")
    return decoded


def _ca(value: object, where: str) -> bytes | None:
    decoded = _pem(value, f"{where}: ca")
    if decoded is None:
        return None
    found = certificates(decoded)
    if not found:  # talosctl: "failed to append CA certificate to RootCAs pool"
        raise TalosConfigError(f"{where}: ca: PEM is not a valid X.509 certificate")
    return certificates_pem(found)


_KINDS: dict[type, str] = {dict: "mapping", list: "list", str: "string"}


def _kind(value: object) -> str:
    return _KINDS.get(type(value), type(value).__name__)
