"""An authenticated Authentik session for one protected host, without ever showing its secrets.

    jar = lab_session(http, "https://hubble.example/", "ipv4", login_file)   # the lab's login form
    jar = env_session("hubble.example")      # live: cookies from $HOME_OPS_AUTHENTIK_COOKIES

On a live cluster Authentik's login is a JavaScript flow, so the nightly run takes an existing
session cookie ("name=value; name2=value2") from the environment; its values are registered as
secrets so no report or message can contain them.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from harness.errors import CheckFailed, ConfigError
from harness.http import CookieJar, HttpProbe
from harness.redact import register_secret

SESSION_ENV = "HOME_OPS_AUTHENTIK_COOKIES"


def lab_session(http: HttpProbe, url: str, family: str, login_file: Path) -> CookieJar:
    try:
        login = json.loads(login_file.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"lab login file {login_file}: unreadable ({type(exc).__name__})") from None
    register_secret(str(login["password"]))
    to_login = http.fetch_chain(url, family)
    if to_login.final.error or to_login.final.status != 200:
        raise CheckFailed(f"could not reach a login page from {url}:\n{to_login.describe()}")
    done = http.fetch_chain(to_login.final.url, family, cookies=to_login.jar,
                            form={"username": login["username"], "password": login["password"]})
    if done.final.status != 200:
        raise CheckFailed(f"lab login for {url} failed:\n{done.describe()}")
    return done.jar


def env_session(host: str) -> CookieJar:
    raw = os.environ.get(SESSION_ENV, "")
    if not raw.strip():
        raise ConfigError(f"an authenticated check on a live cluster needs ${SESSION_ENV} "
                          f"(\"name=value; ...\" of an Authentik outpost session)")
    cookies = {}
    for part in raw.split(";"):
        name, sep, value = part.strip().partition("=")
        if not sep or not name:
            raise ConfigError(f"${SESSION_ENV}: expected name=value pairs separated by ';'")
        cookies[name] = value
        register_secret(value)
    return CookieJar.for_host(host, cookies)
