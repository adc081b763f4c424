"""Parse a talosconfig file into frozen dataclasses and pick a context.

    cfg = load_talosconfig(Path("~/.talos/config").expanduser())
    ctx = cfg.context()          # or cfg.context("home-ops"); raises TalosConfigError when absent

Format (see siderolabs/talos pkg/machinery/client/config/config.go): a YAML document with
``context`` (the current context name) and ``contexts`` mapping names to ``endpoints``, ``nodes``,
and base64-encoded PEM ``ca``, ``crt`` and ``key``. Key material is never put in messages or reprs.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from harness.talos.errors import TalosConfigError

#: apid listens here when an endpoint has no explicit port.
DEFAULT_API_PORT = 50000


@dataclass(frozen=True)
class TalosContext:
    """One talosconfig context with decoded PEM material (hidden from ``repr``)."""

    name: str
    endpoints: tuple[str, ...]
    nodes: tuple[str, ...]
    ca_pem: bytes = field(repr=False)
    crt_pem: bytes = field(repr=False)
    key_pem: bytes = field(repr=False)

    def endpoint_targets(self) -> tuple[str, ...]:
        """Endpoints as gRPC ``host:port`` targets (port 50000 when none is given)."""
        return tuple(_with_port(endpoint) for endpoint in self.endpoints)


@dataclass(frozen=True)
class TalosConfig:
    """The parsed file: the current context's name and every context by name."""

    source: str
    current: str
    contexts: dict[str, TalosContext] = field(repr=False)

    def context(self, name: str | None = None) -> TalosContext:
        """The named context, or the current one when ``name`` is None."""
        wanted = name or self.current
        if not wanted:
            raise TalosConfigError(f"talosconfig {self.source}: no context named and no current context set")
        if wanted not in self.contexts:
            known = ", ".join(sorted(self.contexts)) or "none"
            raise TalosConfigError(
                f"talosconfig {self.source}: context {wanted!r} not found; contexts present: {known}"
            )
        return self.contexts[wanted]


def load_talosconfig(path: Path) -> TalosConfig:
    """Read and parse the talosconfig at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TalosConfigError(f"talosconfig {path}: file not found") from None
    except OSError as exc:
        raise TalosConfigError(f"talosconfig {path}: cannot read ({exc.strerror})") from None
    return parse_talosconfig(text, source=str(path))


def parse_talosconfig(text: str, source: str = "<talosconfig>") -> TalosConfig:
    """Parse talosconfig YAML text; ``source`` names it in error messages."""
    document = _load_yaml(text, source)
    raw_contexts = document.get("contexts") or {}
    if not isinstance(raw_contexts, dict):
        kind = type(raw_contexts).__name__
        raise TalosConfigError(f"talosconfig {source}: 'contexts' is a {kind}, expected a mapping")
    contexts = {str(name): _parse_context(str(name), raw, source) for name, raw in raw_contexts.items()}
    return TalosConfig(source=source, current=str(document.get("context") or ""), contexts=contexts)


def _load_yaml(text: str, source: str) -> dict[str, Any]:
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        raise TalosConfigError(f"talosconfig {source}: malformed YAML{line}") from None
    if not isinstance(document, dict):
        raise TalosConfigError(f"talosconfig {source}: top level is a {type(document).__name__}, expected a mapping")
    return document


def _parse_context(name: str, raw: object, source: str) -> TalosContext:
    where = f"talosconfig {source}, context {name!r}"
    if not isinstance(raw, dict):
        raise TalosConfigError(f"{where}: expected a mapping, got {type(raw).__name__}")
    endpoints = _string_list(raw.get("endpoints"), f"{where}: endpoints")
    if not endpoints:
        raise TalosConfigError(f"{where}: no endpoints configured")
    context = TalosContext(
        name=name,
        endpoints=endpoints,
        nodes=_string_list(raw.get("nodes"), f"{where}: nodes"),
        ca_pem=_pem(raw.get("ca"), f"{where}: ca"),
        crt_pem=_pem(raw.get("crt"), f"{where}: crt"),
        key_pem=_pem(raw.get("key"), f"{where}: key"),
    )
    _check_pem_material(context, where)
    return context


def _string_list(value: object, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TalosConfigError(f"{where}: expected a list of strings")
    return tuple(value)


def _pem(value: object, where: str) -> bytes:
    if not isinstance(value, str) or not value.strip():
        raise TalosConfigError(f"{where}: missing")
    try:
        decoded = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise TalosConfigError(f"{where}: not valid base64") from None
    if not decoded.lstrip().startswith(b"-----BEGIN "):
        raise TalosConfigError(f"{where}: base64 decodes to something that is not PEM")
    return decoded


def _check_pem_material(context: TalosContext, where: str) -> None:
    for label, pem in (("ca", context.ca_pem), ("crt", context.crt_pem)):
        try:
            x509.load_pem_x509_certificate(pem)
        except ValueError:
            raise TalosConfigError(f"{where}: {label}: PEM is not a valid X.509 certificate") from None
    try:
        load_pem_private_key(context.key_pem, password=None)
    except (ValueError, TypeError):
        raise TalosConfigError(f"{where}: key: PEM is not a valid unencrypted private key") from None


def _with_port(endpoint: str) -> str:
    if endpoint.startswith("["):
        return endpoint if "]:" in endpoint else f"{endpoint}:{DEFAULT_API_PORT}"
    if endpoint.count(":") == 1:
        return endpoint
    if endpoint.count(":") > 1:  # bare IPv6 address
        return f"[{endpoint}]:{DEFAULT_API_PORT}"
    return f"{endpoint}:{DEFAULT_API_PORT}"
