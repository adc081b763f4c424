"""Lifecycle: up is fast and idempotent, down and cleanup_stale leave nothing behind.

    pytest tests/lab/net/test_labnet_lifecycle.py
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.net import LabNetwork, NetworkSpec, cleanup_stale
from lab.net.netns import names


def _root_view() -> dict[str, str]:
    cmds = {"ip route": ["ip", "route"], "ip -6 route": ["ip", "-6", "route"],
            "ip link": ["ip", "link"]}
    return {k: subprocess.run(v, capture_output=True, text=True, check=True).stdout
            for k, v in cmds.items()}


def _is_alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has already ended


def _leftovers(prefix: str, state_dir: Path, pids: list[int]) -> list[str]:
    found = [f"netns {n}" for n in names(prefix)]
    found += [f"pid {p}" for p in pids if _is_alive(p)]
    mounts = Path("/proc/self/mountinfo").read_text()
    found += [f"mount {line}" for line in mounts.splitlines()
              if f"/{prefix}-" in line or str(state_dir) in line]
    return found


pytestmark = [pytest.mark.lab, pytest.mark.usefixtures("require_root_and_tools")]


def test_up_idempotent_down_leaves_nothing(tmp_path: Path, fresh_prefix: str) -> None:
    before = _root_view()
    spec, state_dir = NetworkSpec.home_ops(fresh_prefix), tmp_path / "net"
    net = LabNetwork(spec, state_dir)
    start = time.monotonic()
    net.up()
    took = time.monotonic() - start
    try:
        assert took < 5, f"up() with all sessions Established took {took:.1f}s; budget 5s"
        first = net.status()
        net.up()
        assert net.status()["pids"] == first["pids"], "second up() restarted daemons"
        assert set(first["bgp_sessions"].values()) == {"Established"}, first["bgp_sessions"]
        pids = list(first["pids"].values())
        pids += [p for ns in first["namespaces"] for p in _ns_pids(ns)]
    finally:
        net.down()
    assert not _leftovers(spec.prefix, state_dir, pids), _leftovers(spec.prefix, state_dir, pids)
    assert not state_dir.exists(), f"down() left {state_dir}"
    after = _root_view()
    for what, text in before.items():
        assert after[what] == text, f"root namespace `{what}` changed by up/down"


def _ns_pids(ns: str) -> list[int]:
    out = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


LAB_THEN_HANG = """
import sys, threading
from pathlib import Path

import pytest
from lab.net import LabNetwork, NetworkSpec
LabNetwork(NetworkSpec.home_ops(sys.argv[1]), Path(sys.argv[2])).up()
print("ready", flush=True)
threading.Event().wait()
"""


def test_cleanup_stale_removes_what_a_killed_lab_left(tmp_path: Path, fresh_prefix: str) -> None:
    prefix = fresh_prefix
    child = subprocess.Popen([sys.executable, "-c", LAB_THEN_HANG, prefix, str(tmp_path / "s")],
                             stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready", "child lab did not come up"
        pids = [p for ns in names(prefix) for p in _ns_pids(ns)]
        assert pids, "the killed lab should have left processes running"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=5)
        if child.stdout:
            child.stdout.close()
    removed = cleanup_stale(prefix)
    assert sorted(removed) == sorted(f"{prefix}-{r}" for r in
                                     ("client", "fabric", "udm", "mini01", "mini02", "mini03"))
    assert not _leftovers(prefix, tmp_path / "s", pids), _leftovers(prefix, tmp_path / "s", pids)
    assert cleanup_stale(prefix) == [], "second cleanup_stale found more"
