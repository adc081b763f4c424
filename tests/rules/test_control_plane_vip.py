"""The control-plane VIP: Talos AddressStatuses parsed from a recorded `talosctl get addresses` answer
(fixtures/upstream/talos/addressstatuses-vip-holder.yaml), the live judgement (exactly one holder, on a
management link, as a host prefix), the lab's AddressStatuses built from `ip -j addr`, and the repo's
declarations in talconfig."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from harness.model.profile import Profile, load_profile
from harness.probes.talos.resources import AddressStatus, parse_talosctl_yaml
from harness.repo import RepoState
from harness.rules.cluster_config import vip_address, vip_problems
from harness.rules.repo_architecture import control_plane_vip, vip_declarations
from lab.talos.network import ADDRESS_STATUSES, FOREVER, address_statuses

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "fixtures" / "upstream" / "talos" / "addressstatuses-vip-holder.yaml"
WHERE = "Talos AddressStatuses via 172.29.51.11:50000"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")


@pytest.fixture(scope="module")
def holder() -> list[AddressStatus]:
    return [AddressStatus.from_resource(r) for r in parse_talosctl_yaml(SAMPLE.read_text(), str(SAMPLE))]


def _own(node: str, last: int) -> list[AddressStatus]:
    return [AddressStatus(node, f"enp3s0f0/172.29.51.{last}/24", f"172.29.51.{last}/24", "enp3s0f0", "inet4", "global")]


def test_the_recorded_answer_parses(holder: list[AddressStatus]) -> None:
    vip = holder[0]
    assert (vip.node, vip.id, vip.address, vip.ip, vip.link, vip.family, vip.scope, vip.flags) == (
        "172.29.51.11", "enp3s0f0/172.29.51.10/32", "172.29.51.10/32", "172.29.51.10", "enp3s0f0", "inet4", "global",
        "permanent")
    assert [a.scope for a in holder] == ["global", "global", "host", "global"]
    assert holder[1].flags == "" and holder[3].family == "inet6"


def test_one_holder_on_its_management_link_passes(profile: Profile, holder: list[AddressStatus]) -> None:
    assert vip_address(profile) == "172.29.51.10"
    assert vip_problems(profile, {"mini01": holder, "mini02": _own("mini02", 12), "mini03": _own("mini03", 13)},
                        WHERE) == []


def test_nobody_holds_it(profile: Profile) -> None:
    found = vip_problems(profile, {n: _own(n, 11 + i) for i, n in enumerate(("mini01", "mini02", "mini03"))}, WHERE)
    assert found == [f"no node holds the control-plane address 172.29.51.10 ({WHERE}): expected exactly one "
                     "control-plane node to carry it on its management link; nothing answers ARP for it"]


def test_two_holders(profile: Profile, holder: list[AddressStatus]) -> None:
    second = [replace(a, node="mini02") for a in holder[:1]] + _own("mini02", 12)
    (found,) = vip_problems(profile, {"mini01": holder, "mini02": second, "mini03": _own("mini03", 13)}, WHERE)
    assert found.startswith("the control-plane address 172.29.51.10 is held by mini01 (enp3s0f0) and mini02 "
                            "(enp3s0f0)")


def test_on_loopback_or_as_a_network_prefix(profile: Profile, holder: list[AddressStatus]) -> None:
    on_lo = [AddressStatus("mini01", "lo/172.29.51.10/32", "172.29.51.10/32", "lo", "inet4", "host", "permanent")]
    found = vip_problems(profile, {"mini01": on_lo + holder[1:]}, WHERE)
    assert found == [f"mini01 holds the control-plane address 172.29.51.10 on lo ({WHERE}): a loopback address is "
                     "not announced on the management network"]
    wide = [replace(holder[0], address="172.29.51.10/24")] + holder[1:]
    (found_wide,) = vip_problems(profile, {"mini01": wide}, WHERE)
    assert "as 172.29.51.10/24" in found_wide and "a host prefix" in found_wide


def test_on_a_link_outside_the_management_network(profile: Profile, holder: list[AddressStatus]) -> None:
    other = [replace(holder[0], link="enp3s0f1")] + holder[1:]
    (found,) = vip_problems(profile, {"mini01": other}, WHERE)
    assert "on link enp3s0f1" in found and "no address in the management network 172.29.51.0/24" in found


def test_lab_addresses_from_ip_json() -> None:
    links = [{"ifindex": 1, "ifname": "lo", "addr_info": [
                {"family": "inet", "local": "127.0.0.1", "prefixlen": 8, "scope": "host",
                 "valid_life_time": FOREVER}]},
             {"ifindex": 4, "ifname": "eth0", "addr_info": [
                 {"family": "inet", "local": "172.29.51.11", "prefixlen": 24, "broadcast": "172.29.51.255",
                  "scope": "global", "valid_life_time": 4294967295},
                 {"family": "inet", "local": "172.29.51.10", "prefixlen": 32, "scope": "global",
                  "valid_life_time": 4294967295},
                 {"family": "inet6", "local": "fe80::1", "prefixlen": 64, "scope": "link", "valid_life_time": FOREVER},
                 {"family": "inet6", "local": "fd47::5", "prefixlen": 64, "scope": "global", "valid_life_time": 3600,
                  "tentative": True}]}]
    found = address_statuses(links)
    assert all(r.type == ADDRESS_STATUSES for r in found)
    assert [r.id for r in found] == ["lo/127.0.0.1/8", "eth0/172.29.51.11/24", "eth0/172.29.51.10/32",
                                     "eth0/fe80::1/64", "eth0/fd47::5/64"]
    vip = found[2].spec
    assert vip == {"address": "172.29.51.10/32", "local": "172.29.51.10", "linkIndex": 4, "linkName": "eth0",
                   "family": "inet4", "scope": "global", "flags": "permanent", "priority": 0}
    assert "local" not in found[3].spec and found[4].spec["flags"] == "tentative"
    assert found[1].spec["broadcast"] == "172.29.51.255"


def test_repo_declarations(profile: Profile, tmp_path: Path) -> None:
    conforming = ROOT / "fixtures" / "repos" / "conforming"
    assert vip_declarations(RepoState.open(conforming)) == [
        ("172.29.51.10", "enp3s0f0", "talconfig.yaml: controlPlane.patches[2]: machine.network.interfaces: vip.ip")]
    repo = tmp_path / "repo"
    shutil.copytree(conforming, repo)
    text = (repo / "talconfig.yaml").read_text()
    (repo / "talconfig.yaml").write_text(text.replace("              vip: {ip: 172.29.51.10}\n", ""))
    (found,) = control_plane_vip(profile, RepoState.open(repo))
    assert str(found).startswith("cluster.api_endpoint (Talos vip.ip on the control-plane nodes' management link): "
                                 "profile requires 172.29.51.10; repo has no shared VIP declared")
