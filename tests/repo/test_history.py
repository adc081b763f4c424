"""python -m harness history: per commit that changes what the gate reads, the findings it introduced
and fixed (markdown and JSON); commits that change nothing the gate reads are not judged again."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.repo.variants import CONFORMING
from tests.reference import owner_history

ROOT = Path(__file__).resolve().parents[2]
POOLS = "infrastructure/cilium-pools/loadbalancer-pools.yaml"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), "-c", "user.email=gate@example.invalid", "-c", "user.name=gate",
                           *args], capture_output=True, text=True, check=True).stdout


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _history(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "history", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "gitops"
    shutil.copytree(CONFORMING, root)
    _git(root, "init", "-q", "-b", "main")
    _commit(root, "conforming")
    pools = root / POOLS
    pools.write_text(pools.read_text().replace("stop: 172.29.52.199}", "stop: 172.29.52.149}"))
    _commit(root, "shrink bgp-default")
    (root / "README.md").write_text("notes\n")
    _commit(root, "docs only")
    shutil.copyfile(CONFORMING / POOLS, pools)
    _commit(root, "restore bgp-default")
    return root


def test_history_markdown_names_introduced_and_fixed(repo: Path) -> None:
    proc = _history("--repo", str(repo))
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert out.startswith("# Gate history: 4 commit(s), 3 judged"), out
    shrink, restore = out.index("shrink bgp-default"), out.index("restore bgp-default")
    assert "introduced (1):\n- [pools] lb_pools[bgp-default].blocks" in out[shrink:restore]
    assert "fixed (1):\n- [pools] lb_pools[bgp-default].blocks" in out[restore:]
    assert "docs only" not in out and out.count("\n## ") == 2      # the first commit has no finding to name


def test_history_json_since_a_ref(repo: Path) -> None:
    first = _git(repo, "rev-list", "--max-parents=0", "HEAD").strip()
    proc = _history("--repo", str(repo), "--since", first, "--json")
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)
    assert [s["subject"] for s in steps] == ["shrink bgp-default", "docs only", "restore bgp-default"]
    assert [s["judged"] for s in steps] == [True, False, True]
    (introduced,) = steps[0]["introduced"]
    assert introduced["requirement"] == "lb_pools[bgp-default].blocks" and introduced["subject"] == POOLS
    assert introduced["scenario"] == "pools" and steps[2]["fixed"][0]["requirement"] == introduced["requirement"]
    assert all(s["error"] is None for s in steps)


def test_history_bad_repo_is_one_line(tmp_path: Path) -> None:
    proc = _history("--repo", str(tmp_path / "nowhere"))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "nowhere" in proc.stderr


def test_history_on_the_owners_bundle(tmp_path: Path) -> None:
    bundle = owner_history()
    proc = _history("--repo", str(bundle), "--since", "81d6aaf", "--until", "eda8c21", "--json")
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)
    assert steps[-1]["commit"].startswith("eda8c21") and all(s["error"] is None for s in steps)
    assert [f["requirement"] for f in steps[-1]["fixed"]] == ["identity.hosts"]
