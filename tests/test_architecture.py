"""The codebase keeps its own rules: layers and adapters (import-linter), types (mypy), lint (ruff)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=600)


# Caches go to a temp dir, not the checkout: the offline subset also runs from a read-only tree.

def test_import_contracts_hold() -> None:
    proc = _run(str(BIN / "lint-imports"), "--no-cache")
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_mypy_strict_on_harness_and_provisioning(tmp_path: Path) -> None:
    proc = _run(str(BIN / "mypy"), "--cache-dir", str(tmp_path / "mypy"))
    assert proc.returncode == 0, proc.stdout[-3000:]


def test_ruff_is_clean() -> None:
    proc = _run(str(BIN / "ruff"), "check", "--no-cache", "cli", "harness", "provisioning", "steps", "lab", "bench",
                "tests", "conftest.py")
    assert proc.returncode == 0, proc.stdout[-3000:]
