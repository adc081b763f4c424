"""The lock (requirements.lock) pins every dependency pyproject.toml names, inside its range, with hashes.

    uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 --no-header -o requirements.lock

scripts/setup installs exactly the lock (``--require-hashes``); this test fails when pyproject.toml
changes a range the lock no longer satisfies, or names a package the lock lacks.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def _locked() -> dict[str, str]:
    pins: dict[str, str] = {}
    lines = (ROOT / "requirements.lock").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        match = PIN.match(line)
        if match:
            following = lines[n + 1] if n + 1 < len(lines) else ""
            assert "--hash=sha256:" in following, f"requirements.lock: {match.group(1)} has no hash"
            pins[canonicalize_name(match.group(1))] = match.group(2)
    return pins


def test_every_declared_dependency_is_locked_within_its_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = [Requirement(r) for r in [*project["dependencies"], *project["optional-dependencies"]["dev"]]]
    locked = _locked()
    problems = []
    for req in declared:
        version = locked.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in requirements.lock")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}: locked {version}, outside pyproject.toml's range {req.specifier}")
    assert not problems, ("requirements.lock is stale (regenerate it, see this test's docstring):\n"
                          + "\n".join(problems))


def test_setup_installs_the_lock_with_hashes() -> None:
    setup = (ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    assert "--require-hashes" in setup and "-r requirements.lock" in setup
