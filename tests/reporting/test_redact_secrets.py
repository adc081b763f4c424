"""redact(): every kind of secret the reports could carry is removed; ordinary text survives.

def test_x(): assert "hunter2" not in redact("password: hunter2")
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness.core.redact import forget_secrets, redact, redact_data, register_secret

KEY_B64 = "LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB"


@pytest.fixture(autouse=True)
def no_registered() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


@pytest.mark.parametrize(("text", "secret"), [
    ("-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----", "MIIBszCCAVmgAwIBAgIU"),
    ("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkg cut short", "MHcCAQEEIBkg"),
    (f"users:\n- name: admin\n  user:\n    client-key-data: {KEY_B64}\n", KEY_B64),
    ("    client-certificate-data: c2hvcnQ=\n", "c2hvcnQ="),
    ('{"token": "s3cr3t-t0ken", "user": "admin"}', "s3cr3t-t0ken"),
    ("{'password': 'hunter2'}", "hunter2"),
    ("password: hunter2\n", "hunter2"),
    ("password: |\n  hunter2\n  more\nnext: 1", "hunter2"),
    ("GET /api?token=abc123&watch=1", "abc123"),
    ("connect(user='x', password='hunter2')", "hunter2"),
    ("Authorization: Bearer abcdefgh12345678", "abcdefgh12345678"),
    ("Authorization: Basic YWRtaW46aHVudGVyMg==", "YWRtaW46aHVudGVyMg=="),
    ("curl -H 'X: 1' --oauth2-bearer x; bearer eyJhbGciOi.eyJzdWIiOiIx.sig", "eyJzdWIiOiIx"),
    ("Cookie: authentik_session=sess-1; theme=dark", "sess-1"),
    ("Cookie: authentik_session=sess-1; theme=dark", "dark"),
    ("set-cookie: authentik_csrf=c5rf; Path=/; HttpOnly", "c5rf"),
    ("<Cookie authentik_session=abc123 for .home.arpa/>", "abc123"),
    ("cookies: a=one; b=two", "two"),
    ("jar: authentik_proxy_session=xyz987 other", "xyz987"),
    (".home.arpa\tTRUE\t/\tTRUE\t0\tauthentik_session\tvalue42", "value42"),
    ("blob QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w== end", "QUJDREVGR0hJSktM"),
])
def test_secret_is_removed(text: str, secret: str) -> None:
    assert secret not in redact(text)
    assert "<redacted" in redact(text)


@pytest.mark.parametrize("text", [
    "route 172.29.52.200/32 missing at udm (172.29.51.1): received from mini01, mini03",
    "commit 0123456789abcdef0123456789abcdef01234567",
    "/opt/venv/lib/python3.11/site-packages/_pytest/fixtures.py:1074",
    "the bearer token is missing; inside=3; tokens: 4",
    "name: authentik\npasswordless: false",
])
def test_ordinary_text_survives(text: str) -> None:
    assert redact(text) == text


def test_structure_and_names_stay_readable() -> None:
    assert redact("Set-Cookie: sid=abc; Path=/; HttpOnly") == "Set-Cookie: sid=<redacted>; Path=/; HttpOnly"
    assert redact("  token: abc\n  user: bob") == "  token: <redacted>\n  user: bob"


def test_registered_value_is_removed_anywhere_and_short_values_are_ignored() -> None:
    register_secret("plain-env-value-42")
    register_secret("ab")
    assert redact("x=plain-env-value-42; ab cd") == "x=<redacted>; ab cd"


def test_redaction_is_idempotent() -> None:
    once = redact("password: hunter2\nCookie: a=b\nAuthorization: Bearer abcdefgh12345678")
    assert redact(once) == once


def test_redact_data_removes_sensitive_keys_and_secret_data() -> None:
    secret = {"kind": "Secret", "metadata": {"name": "authentik"}, "data": {"key": "eA=="},
              "stringData": {"pw": "x"}}
    clean = redact_data(secret)
    assert clean["data"] == {"key": "<redacted>"} and clean["stringData"] == {"pw": "<redacted>"}
    assert clean["metadata"] == {"name": "authentik"}
    nested = redact_data([{"auth": {"client_secret": "zzz", "cookies": {"a": "b"}, "note": "Bearer abcdefgh1234"}}])
    assert nested == [{"auth": {"client_secret": "<redacted>", "cookies": "<redacted>", "note": "Bearer <redacted>"}}]
