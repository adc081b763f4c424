"""The twin: a lab built from a GitOps repo. Its router runs the repo's FRR file as written (what FRR
refuses is reported as FRR says it), its sessions follow that file, and `lab status` says where each
part of the lab came from."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.repo.variants import CONFORMING
from tests.labmark import require_lab
from tests.reference import owner_repo

ROOT = Path(__file__).resolve().parents[2]
ROUTER_FILE = "udm-pro-bgp-no-auth.conf"
pytestmark = pytest.mark.lab
POLICY = ("ip prefix-list", "ipv6 prefix-list", "route-map ", "match ", "neighbor ")


def _lab(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


class Twin:
    def __init__(self, lab_dir: Path) -> None:
        self.lab_dir = lab_dir
        self.manifest = json.loads((lab_dir / "lab.json").read_text())

    def vtysh(self, command: str) -> str:
        pid = json.loads((self.lab_dir / "net" / "lab-net.json").read_text())["pids"]["udm"]
        return subprocess.run(["nsenter", "-t", str(pid), "-n", "-m", "-u", "vtysh", "-c", command],
                              capture_output=True, text=True, check=True, timeout=30).stdout


@pytest.fixture(scope="module")
def twin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Twin]:
    require_lab(request)
    lab_dir = tmp_path_factory.mktemp("twin")
    up = _lab("up", "--dir", str(lab_dir), "--repo", str(CONFORMING))
    assert up.returncode == 0, up.stderr
    try:
        yield Twin(lab_dir)
    finally:
        _lab("down", "--dir", str(lab_dir))


def _policy_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith(POLICY)]


def test_the_routers_policy_is_the_repos_line_by_line(twin: Twin) -> None:
    written = _policy_lines((CONFORMING / ROUTER_FILE).read_text())
    running = set(_policy_lines(twin.vtysh("show running-config")))
    # FRR does not print what is its default: `neighbor G activate` in ipv4 unicast (bgp default ipv4-unicast)
    missing = [line for line in written if line not in running and not line.endswith("talos-nodes activate")]
    assert written and not missing, f"lines of {ROUTER_FILE} not in the twin's running config: {missing}"
    assert "timers bgp" not in twin.vtysh("show running-config")    # the lab added nothing to the owner's lines


def test_sessions_follow_the_repos_neighbours(twin: Twin) -> None:
    summary = json.loads(twin.vtysh("show bgp summary json"))
    assert set(summary["ipv4Unicast"]["peers"]) == {"172.29.51.11", "172.29.51.12", "172.29.51.13"}
    assert set(summary["ipv6Unicast"]["peers"]) == {"fd47:25e1:2f96:51::11", "fd47:25e1:2f96:51::12",
                                                     "fd47:25e1:2f96:51::13"}


def test_status_says_where_each_part_came_from(twin: Twin) -> None:
    status = json.loads(_lab("status", "--dir", str(twin.lab_dir)).stdout)
    found = status["twin"]
    assert found["repo"] == str(CONFORMING)
    assert found["provenance"]["router configuration"] == f"{ROUTER_FILE} (verbatim)"
    assert found["provenance"]["Cilium release"].startswith("1.17.6 (infrastructure/cilium/helmrelease-bgp-only.yaml")
    assert "hardware defaults" in found["provenance"]["disks"]
    assert found["router_config_rejected"] == []
    # FRR's own words for a route-map used before the file defines it (kept, applied once defined)
    assert "The route-map 'FROM-NODES-V4' does not exist." in found["router_config_notes"]


def test_the_owners_router_file_is_read_as_frr_reads_it(tmp_path: Path) -> None:
    """The owner's file writes IPv6 prefixes into `ip prefix-list`: FRR's CLI takes "ip" as the start of
    "ipv6" there and keeps each such line as an `ipv6 prefix-list` (nothing refused). The gate's FRR
    evaluator reads them the same way (tests/repo/test_frr.py)."""
    repo = owner_repo()
    lab_dir = tmp_path / "owner-twin"
    up = _lab("up", "--dir", str(lab_dir), "--repo", str(repo))
    try:
        assert up.returncode == 0, up.stderr
        twin = Twin(lab_dir)
        rejected = twin.manifest["twin"]["router_config_rejected"]
        running = twin.vtysh("show running-config").splitlines()
    finally:
        _lab("down", "--dir", str(lab_dir))
    written_v6 = [line for line in (repo / ROUTER_FILE).read_text().splitlines()
                  if line.startswith("ip prefix-list") and ":" in line.split()[-3]]
    assert written_v6, "the owner's file has no `ip prefix-list` with an IPv6 prefix any more"
    assert rejected == []
    for line in written_v6:
        assert "ipv6" + line[2:] in running, f"{line!r} not kept as an ipv6 prefix-list: {running}"
