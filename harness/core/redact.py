"""Remove secrets from anything the harness writes down: reports, evidence, failure messages.

    register_secret(os.environ["ROUTER_TOKEN"])          # a value read at runtime never reaches a report
    safe = redact(text); safe_obj = redact_data(secret_obj)

What is removed (the value is replaced by ``<redacted>``; names and structure stay readable):

* values registered with :func:`register_secret` (exact text, anywhere);
* PEM blocks (``-----BEGIN ...-----`` to ``-----END ...-----``: certificates and keys);
* values of sensitive keys in YAML, JSON and Python reprs (``client-key-data``, ``token``,
  ``password``, ...), also as ``key=value`` (query strings, kwargs);
* ``Authorization:`` header values and ``Bearer`` tokens; JSON Web Tokens;
* cookie values in ``Cookie:`` / ``Set-Cookie:`` headers and ``cookies:`` dumps, in cookie-jar
  reprs (``<Cookie name=value for host/>``) and Netscape cookie files, and session-like
  ``name=value`` pairs anywhere (names with session, csrf, auth or token in them);
* base64 blobs of 40 characters or more that look random (upper case, lower case and digits:
  git hashes and plain words survive).

Cookie semantics: RFC 6265 section 4.1 (Set-Cookie: first pair is the cookie, the rest are
attributes) and 4.2 (Cookie: every pair is a cookie). Bearer: RFC 6750 section 2.1.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

MARK = "<redacted>"
_MIN_SECRET = 4  # shorter registered values would blank out ordinary words

_registered: set[str] = set()
_lock = threading.Lock()

_KEY_NAMES = (
    "client-key-data", "client-certificate-data", "token", "id-token", "refresh-token", "access-token",
    "password", "passwd", "secret", "client-secret", "api-key", "apikey", "private-key", "auth-token",
)
_KEY = r"(?:" + "|".join(re.escape(k).replace(r"\-", "[-_]") for k in _KEY_NAMES) + r")"
_SENSITIVE_KEY = re.compile(rf"(?i)^{_KEY}$")

_PEM = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----.*?(?:-----END \1-----|\Z)", re.DOTALL)
_QUOTED_VALUE = re.compile(rf"""(?i)(["']{_KEY}["']\s*:\s*)(["'])((?:\\.|(?!\2).)*)\2""")
_YAML_VALUE = re.compile(rf"""(?im)^([ \t]*(?:-[ \t]+)?["']?{_KEY}["']?[ \t]*:[ \t]*)(?=\S)([^\n]*)$""")
_PAIR_VALUE = r"""(?:'[^'\n]*'|"[^"\n]*"|[^\s&;,'"<>]+)"""
_KV_VALUE = re.compile(rf"""(?i)(?<![\w-])({_KEY}=){_PAIR_VALUE}""")
_AUTH_HEADER = re.compile(r"(?im)^([ \t]*(?:proxy-)?authorization[ \t]*:[ \t]*(?:[A-Za-z-]+[ \t]+)?)\S+")
_BEARER = re.compile(r"(?i)(\bbearer\s+)[A-Za-z0-9\-._~+/]{8,}=*")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")
_COOKIE_HEADER = re.compile(r"(?im)^([ \t]*(?:[\"']?)(set-cookie|cookies?)[\"']?[ \t]*:[ \t]*)([^\r\n]*)$")
# Netscape cookie-jar line (curl -c): domain, flag, path, secure, expiry, name, value (tab-separated)
_COOKIE_JAR_LINE = re.compile(
    r"(?m)^((?:#HttpOnly_)?[^\t\n]+\t(?:TRUE|FALSE)\t[^\t\n]*\t(?:TRUE|FALSE)\t\d+\t[^\t\n]+\t)[^\n]*$")
_COOKIE_REPR = re.compile(r"(<Cookie [^=\s]+=)([^\s>]*)")
_SESSION_PAIR = re.compile(rf"(?i)(?<![\w-])([\w.-]*(?:session|csrf|auth|token)[\w.-]*=){_PAIR_VALUE}")
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=_-])")


def register_secret(value: str) -> None:
    """Redact ``value`` wherever it appears from now on (process-wide)."""
    value = value.strip()
    if len(value) >= _MIN_SECRET:
        with _lock:
            _registered.add(value)


def forget_secrets() -> None:
    """Drop every registered value (for tests of the harness itself)."""
    with _lock:
        _registered.clear()


def redact(text: str) -> str:
    """``text`` with every secret listed in the module docstring replaced by ``<redacted>``."""
    with _lock:
        known = sorted(_registered, key=len, reverse=True)  # longest first: no partial leftovers
    for value in known:
        text = text.replace(value, MARK)
    text = _PEM.sub(lambda m: f"<redacted {m.group(1).lower()}>", text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + MARK, text)
    text = _BEARER.sub(lambda m: m.group(1) + MARK, text)
    text = _JWT.sub(MARK, text)
    text = _QUOTED_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MARK}{m.group(2)}", text)
    text = _yaml_block_scalars(_YAML_VALUE.sub(lambda m: m.group(1) + _yaml_value(m.group(2)), text))
    text = _KV_VALUE.sub(lambda m: m.group(1) + MARK, text)
    text = _COOKIE_HEADER.sub(lambda m: m.group(1) + _cookie_pairs(m.group(3), m.group(2).lower()), text)
    text = _COOKIE_JAR_LINE.sub(lambda m: m.group(1) + MARK, text)
    text = _COOKIE_REPR.sub(lambda m: m.group(1) + MARK, text)
    text = _SESSION_PAIR.sub(lambda m: m.group(1) + MARK, text)
    return _BASE64.sub(lambda m: MARK if _looks_random(m.group(0)) else m.group(0), text)


def redact_data(value: Any) -> Any:
    """A copy of JSON-like data with sensitive keys, Secret data and secret text removed."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, Mapping):
        is_secret = value.get("kind") == "Secret"
        return {k: _redact_entry(str(k), v, is_secret) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [redact_data(v) for v in value]
    return value


def _redact_entry(key: str, value: Any, in_secret: bool) -> Any:
    if _SENSITIVE_KEY.match(key) or "cookie" in key.lower():
        return MARK if value not in (None, "", [], {}) else value
    if in_secret and key in ("data", "stringData") and isinstance(value, Mapping):
        return {k: MARK for k in value}  # a Secret's values, whatever their length
    return redact_data(value)


def _yaml_value(value: str) -> str:
    """Keep YAML structure readable: block-scalar headers and already-redacted values stay."""
    stripped = value.strip().strip("\"'")
    if not stripped or stripped.startswith(("|", ">", "{", "[", "<redacted")) or stripped in ("null", "~"):
        return value
    return MARK


def _yaml_block_scalars(text: str) -> str:
    """``password: |`` followed by more-indented lines: those lines become one ``<redacted>``."""
    out: list[str] = []
    skip_deeper_than = -1
    for line in text.split("\n"):
        indent = len(line) - len(line.lstrip(" \t"))
        if skip_deeper_than >= 0 and (not line.strip() or indent > skip_deeper_than):
            if out[-1].strip() != MARK:
                out.append(" " * indent + MARK)
            continue
        skip_deeper_than = -1
        match = _YAML_VALUE.match(line)
        if match and match.group(2).strip().startswith(("|", ">")):
            skip_deeper_than = indent
        out.append(line)
    return "\n".join(out)


def _cookie_pairs(header: str, name: str) -> str:
    """Cookie: every pair is a cookie. Set-Cookie: only the first pair; attributes stay."""
    parts = header.split(";")
    redact_upto = 1 if name == "set-cookie" else len(parts)
    out = []
    for i, part in enumerate(parts):
        key, sep, _ = part.partition("=")
        out.append(f"{key}={MARK}" if sep and i < redact_upto else part)
    return ";".join(out)


def _looks_random(blob: str) -> bool:
    return any(c.isupper() for c in blob) and any(c.islower() for c in blob) and any(c.isdigit() for c in blob)
