"""The router over pytest-testinfra's ``ssh`` backend, and the router's running configuration judged by FRR's rules.

Offline: a stand-in ``ssh`` on PATH records the command line testinfra builds and answers as OpenSSH
does (its stderr texts as OpenSSH 9.2 prints them, sshconnect.c); the running configuration is in
the shape ``vtysh -c 'show running-config'`` prints (FRR 8.4: vtysh.c's "Building configuration..."
and "Current configuration:" header, ``frr version``, blocks closed by ``exit``, then ``end``).
Lab (``-m lab``): the lab's real sshd, reached from the lab's client namespace, refuses an unknown
and a changed host key in one line naming the host and the known_hosts file.
"""

from __future__ import annotations

import ast
import logging
import os
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.core.errors import ConfigError, RouterError
from harness.core.netaddr import AddressBlock
from harness.probes.netns import inside
from harness.probes.router import RouterProbe
from harness.probes.ssh import SshRunner
from harness.repo.frr import policy_problems
from harness.repo.frr_parse import parse_running_config
from tests.labmark import require_lab

ROOT = Path(__file__).resolve().parents[2]

FAKE_SSH = """#!/bin/sh
printf '%s\\0' "$@" > "$FAKE_SSH_LOG"
case "$FAKE_SSH_MODE" in
  version) printf 'FRRouting 8.4.4 (udm) on Linux(6.1.0).\\n' ;;
  unknown) printf '%s\\r\\n' "$FAKE_SSH_STDERR" >&2; exit 255 ;;
  changed) printf '%s\\n' "$FAKE_SSH_STDERR" >&2; exit 255 ;;
  refused) printf 'root@172.29.51.1: Permission denied (publickey).\\r\\n' >&2; exit 255 ;;
  port) printf 'ssh: connect to host 172.29.51.1 port 2222: Connection refused\\r\\n' >&2; exit 255 ;;
  remote) printf '%% Unknown command: show bgp sumary json\\n' >&2; exit 1 ;;
esac
"""

UNKNOWN = ("No ED25519 host key is known for 172.29.51.1 and you have requested strict checking.\n"
           "Host key verification failed.")


def changed(known_hosts: Path) -> str:
    return "\n".join([
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @",
        "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@",
        "IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!",
        "The fingerprint for the ED25519 key sent by the remote host is",
        "SHA256:AAAAtestfingerprintnotarealkeyAAAAAAAAAAAAA.",
        f"Add correct host key in {known_hosts} to get rid of this message.",
        f"Offending ED25519 key in {known_hosts}:3",
        "  remove with:",
        f'  ssh-keygen -f "{known_hosts}" -R "172.29.51.1"',
        "Host key for 172.29.51.1 has changed and you have requested strict checking.",
        "Host key verification failed."])


@pytest.fixture
def fake_ssh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``ssh`` first on PATH; its argv is written NUL-separated to the returned file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(FAKE_SSH)
    (bin_dir / "ssh").chmod(0o755)
    log = tmp_path / "argv"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_SSH_LOG", str(log))
    return log


def runner(tmp_path: Path, *, key: bool = True, known_hosts: str = "known_hosts", port: int = 22) -> SshRunner:
    key_path = tmp_path / "id_ed25519"
    key_path.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key-material\n"
                        "-----END OPENSSH PRIVATE KEY-----\n")
    kh = tmp_path / known_hosts
    kh.write_text("")
    return SshRunner(host="172.29.51.1", port=port, user="root", key_path=key_path if key else None,
                     known_hosts=kh, timeout=7.5)


def options(argv: list[str]) -> dict[str, str]:
    """``-o Name=value`` pairs of an ssh argv."""
    return dict(argv[i + 1].split("=", 1) for i, a in enumerate(argv) if a == "-o")


# -- the command line testinfra builds --------------------------------------------------------------------
def test_testinfra_runs_openssh_with_strict_host_keys_the_key_and_known_hosts(
        tmp_path: Path, fake_ssh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SSH_MODE", "version")
    with runner(tmp_path) as ssh:
        assert str(RouterProbe(ssh.run, "udm", "172.29.51.1").version()) == "8.4.4"
        argv = fake_ssh.read_text().rstrip("\0").split("\0")
        control = Path(options(argv)["ControlPath"])
        assert stat.S_IMODE(control.parent.stat().st_mode) == 0o700, "the master's socket sits in a private dir"
    opts = options(argv)
    assert opts["StrictHostKeyChecking"] == "yes" and opts["BatchMode"] == "yes" and opts["UpdateHostKeys"] == "no"
    assert opts["UserKnownHostsFile"] == str(tmp_path / "known_hosts")
    assert opts["GlobalKnownHostsFile"] == "/dev/null"
    assert opts["IdentitiesOnly"] == "yes" and argv[argv.index("-i") + 1] == str(tmp_path / "id_ed25519")
    assert opts["User"] == "root" and opts["Port"] == "22" and opts["ConnectTimeout"] == "8"
    assert opts["ControlMaster"] == "auto"
    assert argv[-2:] == ["172.29.51.1", "vtysh -c 'show version'"], "host, then the command as one argument"
    assert not control.parent.exists(), "close() removes the master's directory"


def test_without_a_key_ssh_offers_its_defaults_and_percent_in_paths_is_not_a_token(
        tmp_path: Path, fake_ssh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SSH_MODE", "version")
    with runner(tmp_path, key=False, known_hosts="kh%d") as ssh:
        ssh.run("vtysh -c 'show version'")
    argv = fake_ssh.read_text().rstrip("\0").split("\0")
    assert "-i" not in argv and "IdentitiesOnly" not in options(argv)
    assert options(argv)["UserKnownHostsFile"] == str(tmp_path / "kh%%d"), "ssh reads %% as a literal %"


# -- ssh's failures: one line, host and command, the first fix, no key material ------------------------------------
@pytest.mark.parametrize(("mode", "expected"), [
    ("unknown", "host key refused: 172.29.51.1 is not in known_hosts {kh} (StrictHostKeyChecking=yes)"),
    ("changed", "host key refused: the key 172.29.51.1 presented does not match {kh}:3"),
    ("refused", "the key {key} was refused (Permission denied (publickey).)"),
    ("port", "cannot connect: Connection refused"),
])
def test_ssh_failures_are_one_line_naming_host_command_and_file(
        tmp_path: Path, fake_ssh: Path, monkeypatch: pytest.MonkeyPatch, mode: str, expected: str) -> None:
    ssh = runner(tmp_path)
    kh, key = tmp_path / "known_hosts", tmp_path / "id_ed25519"
    monkeypatch.setenv("FAKE_SSH_MODE", mode)
    monkeypatch.setenv("FAKE_SSH_STDERR", changed(kh) if mode == "changed" else UNKNOWN)
    with pytest.raises(RouterError) as caught:
        ssh.run("vtysh -c 'show bgp summary json'")
    ssh.close()
    message = str(caught.value)
    assert message.startswith("SSH to root@172.29.51.1:22 (\"vtysh -c 'show bgp summary json'\"): "), message
    assert expected.format(kh=kh, key=key) in message
    assert "\n" not in message and "\r" not in message
    assert "SHA256:" not in message and "not-a-real-key-material" not in message
    assert isinstance(caught.value.__cause__, RuntimeError), "mapped with `raise ... from exc`"
    if mode in ("unknown", "changed"):
        assert "fix:" in message


def test_a_failing_remote_command_names_command_and_exit_status(
        tmp_path: Path, fake_ssh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAKE_SSH_MODE", "remote")
    with runner(tmp_path) as ssh, pytest.raises(RouterError) as caught:
        ssh.run("vtysh -c 'show bgp sumary json'")
    assert str(caught.value) == ("\"vtysh -c 'show bgp sumary json'\" on root@172.29.51.1:22 exited 1: "
                                 "% Unknown command: show bgp sumary json")


def test_testinfras_debug_log_of_whole_command_results_is_dropped(
        tmp_path: Path, fake_ssh: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setenv("FAKE_SSH_MODE", "version")
    with caplog.at_level(logging.DEBUG, logger="testinfra"), runner(tmp_path) as ssh:
        assert ssh.run("vtysh -c 'show version'").startswith("FRRouting")
    assert not [r for r in caplog.records if "FRRouting" in r.getMessage()], "a running config can hold passwords"


def test_missing_key_and_missing_ssh_are_config_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absent = SshRunner(host="172.29.51.1", port=22, user="root", key_path=tmp_path / "absent",
                       known_hosts=None, timeout=5)
    with pytest.raises(ConfigError, match=r"SSH key for root@172.29.51.1:22: .*/absent is not a file"):
        absent.run("true")
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match=r"the OpenSSH client \(ssh\) is not installed"):
        runner(tmp_path).run("true")


def test_ipv6_router_address_is_bracketed_in_the_spec() -> None:
    ssh = SshRunner(host="fd47:25e1:2f96:51::1", port=22, user="root", key_path=None, known_hosts=None, timeout=5)
    assert ssh.where == "root@[fd47:25e1:2f96:51::1]:22"
    assert "the system's known_hosts" in ssh.known_hosts_name


def test_the_router_config_step_takes_over_the_bgp_one() -> None:
    """Both step modules define the repo-judgeable scenario's step; the later plugin's wins."""
    tree = ast.parse((ROOT / "conftest.py").read_text())
    (plugins,) = [ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "pytest_plugins" for t in node.targets)]
    assert plugins.index("steps.router_config") > plugins.index("steps.bgp")


# -- the running configuration, judged like the repo's FRR file ------------------------------------------
RUNNING = """Building configuration...

Current configuration:
!
frr version 8.4.4
frr defaults traditional
hostname udm
service integrated-vtysh-config
!
router bgp 64513
 bgp router-id 172.29.51.1
 no bgp default ipv4-unicast
 neighbor home-ops peer-group
 neighbor home-ops remote-as 64512
 neighbor 172.29.51.11 peer-group home-ops
 neighbor 172.29.51.12 peer-group home-ops
 neighbor 172.29.51.13 peer-group home-ops
 !
 address-family ipv4 unicast
  neighbor home-ops activate
  neighbor home-ops soft-reconfiguration inbound
  neighbor home-ops route-map ACCEPT-FROM-CLUSTER in
 exit-address-family
 !
 address-family ipv6 unicast
  neighbor home-ops activate
  neighbor home-ops route-map ACCEPT-FROM-CLUSTER-V6 in
 exit-address-family
exit
!
ip prefix-list CLUSTER-ROUTES seq 10 permit 172.29.52.0/24 le 32
!
ipv6 prefix-list CLUSTER-ROUTES-V6 seq 10 permit {v6} le 128
!
route-map ACCEPT-FROM-CLUSTER permit 10
 match ip address prefix-list CLUSTER-ROUTES
exit
!
route-map ACCEPT-FROM-CLUSTER-V6 permit 10
 match ipv6 address prefix-list CLUSTER-ROUTES-V6
exit
!
end
"""
NODES = {"172.29.51.11": "mini01", "172.29.51.12": "mini02", "172.29.51.13": "mini03"}
RANGES = [("lb_pools[bgp-default]", AddressBlock.parse_cidr("172.29.52.96/27")),
          ("lb_pools[bgp-default-ipv6]", AddressBlock.parse_cidr("fd47:25e1:2f96:51:100::/120"))]


def judge(text: str) -> list[str]:
    conf = parse_running_config(text, "udm (172.29.51.1) running-config")
    return policy_problems(conf, router_asn=64513, cluster_asn=64512, ranges=RANGES,
                           peers={"ipv4": NODES, "ipv6": NODES})   # IPv6 over the IPv4 sessions


def test_running_config_of_the_owner_topology_accepts_every_range() -> None:
    assert judge(RUNNING.format(v6="fd47:25e1:2f96:51:100::/120")) == []


def test_a_prefix_list_narrower_than_the_range_fails_with_the_refused_address_and_the_list() -> None:
    (problem,) = judge(RUNNING.format(v6="fd47:25e1:2f96:51:100::/124"))
    assert problem.startswith("udm (172.29.51.1) running-config: lb_pools[bgp-default-ipv6] "
                              "fd47:25e1:2f96:51:100::/120 not accepted from 172.29.51.11 (mini01): "
                              "fd47:25e1:2f96:51:100::10/128 refused: route-map ACCEPT-FROM-CLUSTER-V6: no entry")
    assert "(implicit deny)" in problem and "(and 2 more neighbor(s))" in problem
    assert "CLUSTER-ROUTES-V6: seq 10 permit fd47:25e1:2f96:51:100::/124 le 128" in problem


def test_a_family_not_activated_and_a_missing_neighbor_are_named() -> None:
    v6_route_map = "  neighbor home-ops route-map ACCEPT-FROM-CLUSTER-V6"
    text = RUNNING.format(v6="fd47:25e1:2f96:51:100::/120").replace(
        f"  neighbor home-ops activate\n{v6_route_map}", v6_route_map)
    text = text.replace(" neighbor 172.29.51.13 peer-group home-ops\n", "")
    problems = judge(text)
    assert "udm (172.29.51.1) running-config: 172.29.51.13 (mini03) is not a configured neighbor" in problems
    assert any("ipv6 unicast is not activated for 172.29.51.11" in p for p in problems), problems


def test_no_neighbor_activate_in_a_running_config_takes_ipv4_away() -> None:
    text = RUNNING.format(v6="fd47:25e1:2f96:51:100::/120").replace(" no bgp default ipv4-unicast\n", "")
    text = text.replace("  neighbor home-ops activate\n  neighbor home-ops soft",
                        "  no neighbor 172.29.51.12 activate\n  neighbor home-ops soft")
    (problem,) = judge(text)
    assert "from 172.29.51.12 (mini02)" in problem and "ipv4 unicast is not activated for 172.29.51.12" in problem


def test_what_is_not_a_running_config_is_refused_without_quoting_it() -> None:
    with pytest.raises(ValueError, match="not a running configuration") as caught:
        parse_running_config("% Unknown command.\nneighbor 1.2.3.4 password s3cret\n", "udm")
    assert "s3cret" not in str(caught.value)


# -- against the lab's sshd, from the lab's client namespace (root) ---------------------------------------------
NEEDED = ("ip", "gobgpd", "vtysh", "/usr/lib/frr/bgpd", "/usr/sbin/sshd", "nsenter", "ssh")


@pytest.fixture(scope="module")
def _labnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from lab.net import LabNetwork, NetworkSpec
    net = LabNetwork(NetworkSpec.home_ops("s" + uuid.uuid4().hex[:6]), tmp_path_factory.mktemp("ssh-lab") / "state")
    net.up()
    yield net
    net.down()


@pytest.fixture
def labnet(request: pytest.FixtureRequest) -> object:
    """The lab network (udm with real sshd), started once for the module by the first lab test."""
    require_lab(request, "the lab's sshd needs root (network namespaces)", NEEDED)
    return request.getfixturevalue("_labnet")


def lab_runner(net: object, known_hosts: Path) -> SshRunner:
    endpoint = net.router_ssh  # type: ignore[attr-defined]
    return SshRunner(host=endpoint.host, port=endpoint.port, user=endpoint.user, key_path=endpoint.key_path,
                     known_hosts=known_hosts, timeout=5)


@pytest.mark.lab
def test_lab_router_answers_over_testinfra_with_its_pinned_host_key(labnet: object) -> None:
    endpoint = labnet.router_ssh  # type: ignore[attr-defined]
    with inside(labnet.netns_name("client")):  # type: ignore[attr-defined]
        ssh = lab_runner(labnet, endpoint.known_hosts_path)
        probe = RouterProbe(ssh.run, "udm", endpoint.host)
        assert probe.version() >= (8, 1)
        assert ssh.host.file("/etc/frr/frr.conf").exists, "the testinfra Host works for owners' own checks"
        control = Path(ssh.host.backend.controlpath)
        assert control.exists(), "one master connection serves the commands"
        ssh.close()
        left = subprocess.run(["pgrep", "-f", f"ControlPath={control}"], capture_output=True, text=True).stdout
    assert left.strip() == "", "close() ends the master connection"


@pytest.mark.lab
@pytest.mark.parametrize("case", ["unknown", "changed"])
def test_lab_sshd_with_an_unknown_or_changed_host_key_is_refused_in_one_line(
        labnet: object, tmp_path: Path, case: str) -> None:
    endpoint = labnet.router_ssh  # type: ignore[attr-defined]
    known_hosts = tmp_path / "known_hosts"
    if case == "unknown":
        known_hosts.write_text("# the router's key was never added\n")
    else:
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "impostor", "-f",
                        str(tmp_path / "impostor")], check=True, capture_output=True)
        kind, blob = (tmp_path / "impostor.pub").read_text().split()[:2]
        known_hosts.write_text(f"{endpoint.host} {kind} {blob}\n")
    before = known_hosts.read_bytes()
    client = labnet.netns_name("client")  # type: ignore[attr-defined]
    with inside(client), lab_runner(labnet, known_hosts) as ssh, pytest.raises(RouterError) as caught:
        ssh.run("vtysh -c 'show bgp summary json'")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"SSH to root@{endpoint.host}:22 (\"vtysh -c 'show bgp summary json'\"): host key "
                              "refused: "), message
    if case == "unknown":
        assert f"{endpoint.host} is not in known_hosts {known_hosts} (StrictHostKeyChecking=yes)" in message
    else:
        assert f"the key {endpoint.host} presented does not match {known_hosts}:1" in message
    host_key = (Path(endpoint.key_path).parent / "ssh_host_ed25519_key.pub").read_text().split()[1]
    for secret in (Path(endpoint.key_path).read_text().strip(), host_key, "SHA256:"):
        assert secret not in message
    assert known_hosts.read_bytes() == before, "known_hosts is never written"
