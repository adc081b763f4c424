"""``python -m harness preflight`` against a lab, the ``router_host`` fixture, and the router's running config.

    python -m harness preflight --lab-dir DIR            -> every line ok, exit 0
    python -m harness preflight --kubeconfig ... (live)  -> one FAIL line naming each broken credential, exit 1

Runs start in the lab's client network namespace (as every e2e run), so ``--target live`` options
reach the lab exactly as they would reach the owner's cluster. The running-config scenario of
features/bgp.feature passes on the lab (its FRR follows the owner's policy) and fails when an
operator narrows the IPv6 inbound prefix-list at the udm (``lab fault bgp-prefix-list-narrow``).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.faults import inject
from tests.e2e.bad_inputs import UNUSED, BadFiles, _profile_variant
from tests.e2e.e2e_lab import E2ELab, Verdict

pytestmark = pytest.mark.lab

STATUS = re.compile(r"^(ok|FAIL|skip)  +\S")


@pytest.fixture(scope="module")
def files(lab: E2ELab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BadFiles]:
    made = BadFiles.write(tmp_path_factory.mktemp("preflight-bad"), lab)
    _profile_variant(made.profile_dns_v4, lambda d: d["identity"]["dns_servers"].update(ipv4=UNUSED))
    yield made


def lines_of(proc: subprocess.CompletedProcess[str]) -> list[str]:
    out = proc.stdout.splitlines()
    assert out and out[-1].startswith("preflight: "), proc.stdout + proc.stderr
    assert all(STATUS.match(line) for line in out[:-1]), proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr and proc.stderr == "", proc.stderr
    return out[:-1]


def no_secrets(lab: E2ELab, text: str) -> None:
    key = lab.router_key.read_text().strip()
    assert key not in text and "PRIVATE KEY" not in text and "SHA256:" not in text
    assert lab.lab_dir.joinpath("authentik-login.json").read_text() not in text


def test_preflight_passes_on_the_lab_and_changes_nothing(lab: E2ELab) -> None:
    mark = lab.audit_mark()
    proc = lab.harness("preflight", "--lab-dir", str(lab.lab_dir))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = lines_of(proc)
    assert [line for line in lines if not line.startswith("ok")] == [], proc.stdout
    text = "\n".join(lines)
    for seen in ("Kubernetes API https://172.29.51.10:6443: reachable", "Kubernetes identity: CN=",
                 "Kubernetes read access: can list nodes, services, ingresses",
                 "Talos on mini01 (172.29.51.11): Talos v1.10.5", "Talos on mini03 (172.29.51.13): Talos v1.10.5",
                 "router udm SSH root@172.29.53.1:22: FRRouting 8.", "DNS 172.29.51.1 (ipv4): answers A",
                 "DNS fd47:25e1:2f96:51::1 (ipv6): answers AAAA", "ingress certificate for ",
                 "Authentik test account akadmin: logged in"):
        assert seen in text, f"{seen!r} not in\n{proc.stdout}"
    no_secrets(lab, proc.stdout)
    assert lab.mutations_since(mark) == [], [str(e) for e in lab.mutations_since(mark)]


def test_preflight_with_the_live_options_passes_and_skips_authentik_without_an_account(lab: E2ELab) -> None:
    proc = lab.harness("preflight", *lab.live_args())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = lines_of(proc)
    assert [line for line in lines if not line.startswith("ok")] == [
        "skip  Authentik test account: skipped: no Authentik test account: give --authentik-credentials FILE "
        '({"username": ..., "password": ...}), $HOME_OPS_AUTHENTIK_USER with $HOME_OPS_AUTHENTIK_PASSWORD or '
        "$HOME_OPS_AUTHENTIK_PASSWORD_FILE, or an outpost session in $HOME_OPS_AUTHENTIK_COOKIES"], proc.stdout
    assert f"host key checked against known_hosts {lab.known_hosts}" in proc.stdout
    with_account = lab.harness("preflight", *lab.live_args(), "--authentik-credentials",
                               str(lab.lab_dir / "authentik-login.json"))
    assert with_account.returncode == 0, with_account.stdout
    assert "ok    Authentik test account akadmin: logged in" in with_account.stdout
    no_secrets(lab, with_account.stdout)


BROKEN = [
    # (id, options replaced in the live options, text of the one FAIL line)
    ("kubeconfig-wrong-ca", {"--kubeconfig": "kubeconfig-wrong-ca"},
     "FAIL  Kubernetes API https://172.29.51.10:6443: GET /version: cannot reach the API at "
     "https://172.29.51.10:6443: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed",
     "fix: the certificate-authority-data in {files}/kubeconfig-wrong-ca does not sign the API server's certificate"),
    ("router-key-missing", {"--router-key": "absent"},
     "FAIL  router udm SSH root@172.29.51.1:22: SSH key for root@172.29.51.1:22: {files}/absent is not a file",
     "fix: give the router's key with --router-key or $HOME_OPS_ROUTER_SSH_KEY"),
    ("router-key-none", {"--router-key": None},
     "FAIL  router udm SSH root@172.29.51.1:22: SSH to root@172.29.51.1:22 (\"vtysh -c 'show version'\"): "
     "no key offered (agent or default keys) was refused", "fix: add its public half to the router's authorized_keys"),
    ("known-hosts-changed", {"--router-known-hosts": "known-hosts-wrong"},
     "host key refused: the key 172.29.51.1 presented does not match {files}/known-hosts-wrong:1",
     "fix: if the router was reinstalled, check its new key out of band"),
    ("known-hosts-unknown", {"--router-known-hosts": "known-hosts-empty"},
     "host key refused: 172.29.51.1 is not in known_hosts {files}/known-hosts-empty (StrictHostKeyChecking=yes)",
     "fix: add the router's host key there"),
    ("talosconfig-wrong-ca", {"--talosconfig": "talosconfig-wrong-ca"},
     "FAIL  Talos API (talosconfig {files}/talosconfig-wrong-ca): TLS verification of 172.29.51.11:50000 failed",
     "fix: the CA in {files}/talosconfig-wrong-ca must sign apid's certificate"),
    ("dns-unreachable", {"--profile": "profile-dns-v4"},
     "FAIL  DNS 172.29.51.12 (ipv4): DNS A longhorn.k8s.home.geoffdavis.com at 172.29.51.12:53: no answer within",
     "fix: check the DNS server address in the profile (identity.dns_servers.ipv4)"),
]


@pytest.mark.parametrize(("options", "expected", "fix"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_each_broken_credential_is_one_fail_line_with_its_first_fix(
        lab: E2ELab, files: BadFiles, options: dict[str, str | None], expected: str, fix: str) -> None:
    live = dict(zip(lab.live_args()[::2], lab.live_args()[1::2], strict=True))
    options = dict(options)
    profile = options.pop("--profile", None)
    for option, name in options.items():
        if name is None:
            live.pop(option)
        else:
            live[option] = str(files.dir / name)
    before = ["--profile", str(files.dir / profile)] if profile else []
    proc = lab.harness(*before, "preflight", *(x for kv in live.items() for x in kv))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    failed = [line for line in lines_of(proc) if line.startswith("FAIL")]
    assert len(failed) == 1, proc.stdout
    assert expected.format(files=files.dir) in failed[0], proc.stdout
    assert fix.format(files=files.dir) in failed[0], proc.stdout
    no_secrets(lab, proc.stdout)


def test_owners_get_the_router_as_a_testinfra_host(lab: E2ELab, tmp_path: Path) -> None:
    owner = tmp_path / "owner_checks"
    owner.mkdir()
    (owner / "test_router_owner.py").write_text(
        "def test_frr_config_and_vtysh(router_host):\n"
        "    assert router_host.file('/etc/frr/frr.conf').contains('router bgp')\n"
        "    assert router_host.run(\"vtysh -c 'show version'\").stdout.startswith('FRRouting')\n"
        "    assert router_host.backend.get_connection_type() == 'ssh'\n")
    proc = lab.pytest("-p", "conftest", "-c", "pyproject.toml", "--rootdir", ".", str(owner),
                      "--lab-dir", str(lab.lab_dir), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed" in proc.stdout


def _router_config_scenario(lab: E2ELab, junit: Path) -> Verdict:
    proc = lab.pytest("features/bgp.feature", "--lab-dir", str(lab.lab_dir), "-k", "router_accepts_it",
                      f"--junitxml={junit}")
    (verdict,) = Verdict.parse_all(junit)
    assert "router_accepts_it" in verdict.name, proc.stdout
    return verdict


def test_running_config_scenario_passes_on_the_lab_and_fails_on_a_narrowed_prefix_list(
        lab: E2ELab, tmp_path: Path) -> None:
    passed = _router_config_scenario(lab, tmp_path / "before.xml")
    assert passed.outcome == "passed", passed.text
    try:
        inject(lab.lab_dir, "bgp-prefix-list-narrow", family="ipv6", prefixlen="124")
        failed = _router_config_scenario(lab, tmp_path / "fault.xml")
    finally:
        inject(lab.lab_dir, "clear")
    assert failed.outcome == "failed", failed.text
    # the session carrying IPv6: mini01's IPv4 one on the owner's topology, its IPv6 one per family
    session = lab.profile.nodes[0].addresses.get(lab.profile.bgp.session_family("ipv6"))
    assert failed.message.startswith(
        "harness.core.errors.CheckFailed: udm (172.29.51.1) running-config: bgp.router.accepted_prefixes.ipv6 "
        f"fd47:25e1:2f96:51:100::/120 not accepted from {session} (mini01): fd47:25e1:2f96:51:100::10/128 "
        "refused: route-map ACCEPT-FROM-CLUSTER-V6: no entry matches"), failed.message
    assert "lb_pools[bgp-default-ipv6] fd47:25e1:2f96:51:100::/120 not accepted" in failed.text
    assert "CLUSTER-ROUTES-V6: seq 10 permit fd47:25e1:2f96:51:100::/124 le 128" in failed.text
    assert "accepted_prefixes.ipv4" not in failed.text, "only the narrowed family fails"
    assert _router_config_scenario(lab, tmp_path / "after.xml").outcome == "passed"
