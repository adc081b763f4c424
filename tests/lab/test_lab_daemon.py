"""The whole lab as `python -m lab` runs it: contained, quick to start, and gone without a trace."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.probes.netns import inside

ROOT = Path(__file__).resolve().parents[2]
IPV6_RECVERR = 25
pytestmark = [pytest.mark.lab,
              pytest.mark.skipif(os.geteuid() != 0, reason="the lab needs root (network namespaces)")]


def _lab(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "lab", *argv], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def _root_network() -> str:
    return "\n".join(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
                     for cmd in (["ip", "route"], ["ip", "-6", "route"], ["ip", "-o", "link"]))


def _netns(prefix: str) -> list[str]:
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix + "-")]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    lab_dir = tmp_path_factory.mktemp("lab")
    before = _root_network()
    started = time.monotonic()
    up = _lab("up", "--dir", str(lab_dir))
    assert up.returncode == 0, up.stderr
    manifest = json.loads((lab_dir / "lab.json").read_text())
    manifest.update(dir=lab_dir, root_before=before, startup=time.monotonic() - started)
    yield manifest
    _lab("down", "--dir", str(lab_dir))


def _connect(address: str, port: int, timeout: float = 5.0) -> tuple[str, float]:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    started = time.monotonic()
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect((address, port))
            outcome = "connected"
        except OSError as exc:
            outcome = exc.strerror or type(exc).__name__
    return outcome, time.monotonic() - started


@pytest.mark.parametrize(("address", "budget"), [
    ("172.29.52.99", 0.5),          # an unassigned LB address: the udm has no route and says so
    ("192.0.2.1", 0.5),             # outside the lab: no route from the client namespace at all
    ("8.8.8.8", 0.5),
    ("2001:db8::1", 0.5),
    # IPv6: the udm's ICMPv6 error arrives within a millisecond, but while connect() holds the socket
    # Linux keeps "no route" as a soft error and reports it at the SYN retransmission (UDP test below).
    # (An unassigned address of the profile's IPv6 LB pool lies inside the management /64, where the
    # udm first tries neighbour discovery: that takes the 3 s NDP timeout, as on the real router.)
    ("fd47:25e1:2f96:52::99", 1.6),
])
def test_client_namespace_cannot_reach_beyond_the_lab(lab: dict[str, object], address: str, budget: float) -> None:
    with inside(str(lab["client_netns"])):
        outcome, seconds = _connect(address, 443)
    assert outcome in ("No route to host", "Network is unreachable"), outcome
    assert seconds < budget, f"{address}: {outcome} after {seconds:.2f}s"


def test_unassigned_ipv6_lab_address_is_reported_unreachable_at_once(lab: dict[str, object]) -> None:
    with inside(str(lab["client_netns"])), socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
        sock.settimeout(2)
        sock.setsockopt(socket.IPPROTO_IPV6, IPV6_RECVERR, 1)  # "no route" is a soft error otherwise
        sock.connect(("fd47:25e1:2f96:52::99", 53))
        started = time.monotonic()
        sock.send(b"probe")
        with pytest.raises(OSError) as info:
            sock.recv(16)
        elapsed = time.monotonic() - started
    assert info.value.strerror in ("No route to host", "Network is unreachable"), info.value
    assert elapsed < 0.5, f"ICMPv6 unreachable took {elapsed:.2f}s"


def test_no_lab_namespace_has_a_default_route_or_a_link_to_the_host(lab: dict[str, object]) -> None:
    for ns in _netns(str(lab["netns_prefix"])):
        for family in ("-4", "-6"):
            routes = subprocess.run(["ip", "-n", ns, family, "route", "show", "default"], capture_output=True,
                                    text=True, check=True).stdout
            assert routes.strip() == "", f"{ns} has a default route: {routes}"
        links = subprocess.run(["ip", "-n", ns, "-o", "link"], capture_output=True, text=True, check=True).stdout
        assert "link-netnsid" not in links or "link-netns " not in links, links
    assert _root_network() == lab["root_before"], "the lab changed the host's routes or links"


def test_the_lab_starts_within_its_budget(lab: dict[str, object]) -> None:
    # The 10 s target is measured by bench/; this only guards against gross regressions.
    assert float(str(lab["startup"])) < 30


def test_up_is_idempotent(lab: dict[str, object]) -> None:
    again = _lab("up", "--dir", str(lab["dir"]))
    assert again.returncode == 0 and "already up" in again.stdout, again.stdout + again.stderr


def test_killed_lab_is_cleaned_by_down(tmp_path: Path) -> None:
    before = _root_network()
    assert _lab("up", "--dir", str(tmp_path)).returncode == 0
    manifest = json.loads((tmp_path / "lab.json").read_text())
    prefix = str(manifest["netns_prefix"])
    assert _netns(prefix)
    os.kill(int(manifest["pid"]), signal.SIGKILL)
    down = _lab("down", "--dir", str(tmp_path))
    assert down.returncode == 0 and "removed leftovers" in down.stdout, down.stdout + down.stderr
    assert _netns(prefix) == []
    assert _root_network() == before
    leftover = subprocess.run(["pgrep", "-f", str(tmp_path)], capture_output=True, text=True).stdout.split()
    alive = [p for p in leftover if Path(f"/proc/{p}/status").exists()
             and "State:\tZ" not in Path(f"/proc/{p}/status").read_text()]
    assert alive == [], f"processes of the killed lab still run: {alive}"


def test_lab_kubeconfig_is_refused_outside_the_lab_network(lab: dict[str, object]) -> None:
    """A lab kubeconfig names the owner's addresses: from the host's namespace they would leave the machine."""
    proc = subprocess.run([sys.executable, "-m", "harness", "sweep", "--kubeconfig", str(lab["kubeconfig"])],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "belongs to an embedded lab" in proc.stderr and "use --lab-dir" in proc.stderr, proc.stderr
    with inside(str(lab["client_netns"])):
        inside_lab = subprocess.run([sys.executable, "-m", "harness", "sweep", "--kubeconfig",
                                     str(lab["kubeconfig"]), "--dry-run"],
                                    cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert inside_lab.returncode == 0 and "would remove" in inside_lab.stdout, inside_lab.stderr
