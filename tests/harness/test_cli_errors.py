"""Bad input to the command line: one line on stderr, no traceback, non-zero exit, nothing changed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.edits import replace_once

ROOT = Path(__file__).resolve().parents[2]


def _run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True, timeout=60)


def _one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode != 0, proc.stdout
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert "Traceback" not in proc.stderr, proc.stderr
    assert any(all(w in line for w in words) for line in lines), proc.stderr


@pytest.fixture
def bad_profile(tmp_path: Path) -> Path:
    real = (ROOT / "fixtures" / "profiles" / "home-ops.yaml").read_text()
    path = tmp_path / "bad.yaml"
    path.write_text(replace_once(real, "kube_proxy: replaced-by-cilium", "kube_proxy: [cilium]"))
    return path


def test_unknown_bootstrap_phase(tmp_path: Path) -> None:
    _one_line_error(_run("-m", "harness", "bootstrap", "--phase", "nope", "--lab-dir", str(tmp_path)),
                    "unknown bootstrap phase 'nope'")


def test_no_running_lab(tmp_path: Path) -> None:
    _one_line_error(_run("-m", "harness", "sweep", "--lab-dir", str(tmp_path)), "no running lab there")


def test_missing_kubeconfig(tmp_path: Path) -> None:
    _one_line_error(_run("-m", "harness", "sweep", "--kubeconfig", str(tmp_path / "absent")), "no such file")


def test_malformed_kubeconfig(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("apiVersion: v1\nclusters: [\n")
    _one_line_error(_run("-m", "harness", "sweep", "--kubeconfig", str(path)), "malformed YAML", str(path))


def test_kubeconfig_without_the_context(tmp_path: Path) -> None:
    path = tmp_path / "kubeconfig"
    path.write_text("apiVersion: v1\ncontexts:\n- name: a\n  context: {cluster: c, user: u}\ncurrent-context: a\n")
    _one_line_error(_run("-m", "harness", "sweep", "--kubeconfig", str(path), "--context", "b"),
                    "context 'b' not found")


def test_malformed_profile_for_the_cli(bad_profile: Path, tmp_path: Path) -> None:
    _one_line_error(_run("-m", "harness", "--profile", str(bad_profile), "sweep", "--lab-dir", str(tmp_path)),
                    str(bad_profile), "cluster.kube_proxy")


def test_malformed_profile_for_pytest(bad_profile: Path) -> None:
    proc = _run("-m", "pytest", "features/lb_pools.feature", "--profile", str(bad_profile), "-p", "no:cacheprovider")
    assert proc.returncode == 4  # pytest's usage error
    assert "Traceback" not in proc.stderr + proc.stdout
    assert f"{bad_profile}:9: cluster.kube_proxy: expected a single value" in proc.stderr


def test_live_target_needs_a_kubeconfig() -> None:
    proc = _run("-m", "pytest", "features/lb_pools.feature", "--target", "live", "-p", "no:cacheprovider")
    assert proc.returncode == 4 and "--target live needs --kubeconfig PATH" in proc.stderr
