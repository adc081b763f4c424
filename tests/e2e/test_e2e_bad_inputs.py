"""Bad input: one line that says what is wrong, a non-zero exit, no traceback, and nothing changed.

    pytest features/ --profile broken.yaml        -> ERROR: broken.yaml:9: cluster.kube_proxy: ...   (exit 4)
    pytest features/ --target live ... (no API)   -> every scenario fails: "... cannot reach the API at ..."

Usage errors are one line on stderr; a broken feature file is one collection error line; a probe
that cannot reach its endpoint fails its scenarios with a one-line JUnit message. After each case
the lab's audit log shows no mutating request and no object carries a run label.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.bad_inputs import BadFiles, Case, command, feature_copy, live, on_lab
from tests.e2e.e2e_lab import ROOT, E2ELab, Verdict, run_env

pytestmark = pytest.mark.lab
SUMMARY = '"vtysh -c \'show bgp summary json\'"'   # the router probe's first command, as the messages quote it

CASES = [
    # -- the profile ------------------------------------------------------------------------------
    Case("profile-yaml", on_lab("--profile", "{files}/profile-yaml"),
         "{files}/profile-yaml:10: <root>: malformed YAML: expected ',' or ']', but got '<scalar>'"),
    Case("profile-type", on_lab("--profile", "{files}/profile-type"),
         "{files}/profile-type:9: cluster.kube_proxy: expected a single value"),
    Case("profile-unknown-key", on_lab("--profile", "{files}/profile-key"),
         "timeouts: unknown field(s) bogus; allowed: apply, assert, cleanup, lock_lease, lock_wait, pending_hold, "
         "request"),
    Case("profile-address", on_lab("--profile", "{files}/profile-address"),
         "cluster.nodes[0].addresses.ipv4: '999.29.51.11' is not an IP address"),
    Case("profile-timeout", on_lab("--profile", "{files}/profile-timeout"),
         "timeouts.apply: expected a positive number, got 'soon'"),
    Case("profile-missing", on_lab("--profile", "{files}/absent.yaml"),
         "{files}/absent.yaml: <root>: cannot read: No such file or directory"),
    # -- waivers, dates, run id, report folder ------------------------------------------------------
    Case("waivers-date", on_lab("--waivers", "{files}/waivers-date"),
         "waivers-date:3: [0].expires: expected a date YYYY-MM-DD, got '2026-13-01'"),
    Case("waivers-field", on_lab("--waivers", "{files}/waivers-field"),
         "waivers-field:1: [0]: missing required field 'reason'"),
    Case("waivers-key", on_lab("--waivers", "{files}/waivers-key"),
         "waivers-key:1: [0]: unknown field(s) owner; allowed: expires, reason, scenario"),
    Case("waivers-missing", on_lab("--waivers", "{files}/absent-waivers.yaml"), "cannot read: No such file"),
    Case("today", on_lab(), "HOME_OPS_TODAY='tomorrow': expected a date YYYY-MM-DD",
         env=(("HOME_OPS_TODAY", "tomorrow"),)),
    Case("run-id", on_lab(), "HOME_OPS_RUN_ID='Bad_ID': expected at most 51 lowercase letters",
         env=(("HOME_OPS_RUN_ID", "Bad_ID"),)),
    Case("report-dir", on_lab("--report-dir", "{files}/a-file/reports"),
         "--report-dir {files}/a-file/reports: cannot create: Not a directory"),
    # -- targets and options ----------------------------------------------------------------------
    Case("target-unknown", on_lab("--target", "bogus"),
         "error: argument --target: invalid choice: 'bogus' (choose from 'lab', 'twin', 'live', 'repo')"),
    Case("live-without-kubeconfig", on_lab("--target", "live"), "--target live needs --kubeconfig PATH"),
    Case("repo-without-repo", on_lab("--target", "repo"), "--target repo needs --repo PATH"),
    Case("repo-missing", on_lab("--target", "repo", "--repo", "{files}/no-repo"),
         "--repo {files}/no-repo: no such directory"),
    Case("lab-dir", lambda lab, f: ["-m", "pytest", "features/lb_pools.feature", "--lab-dir", str(f.dir)],
         "--lab-dir {files}: no running lab there (lab.json missing)"),
    # -- live credentials -------------------------------------------------------------------------
    Case("kubeconfig-yaml", live("lb_pools.feature", kubeconfig="kubeconfig-yaml"),
         "kubeconfig {files}/kubeconfig-yaml:3: malformed YAML"),
    Case("kubeconfig-missing", live("lb_pools.feature", kubeconfig="absent"),
         "--kubeconfig {files}/absent: no such file"),
    Case("context-unknown", live("lb_pools.feature", "--context", "nope"), "context 'nope' not found; it has: lab"),
    Case("talosconfig-yaml", live("node_disks.feature", talosconfig="talosconfig-yaml"),
         "talosconfig {files}/talosconfig-yaml: malformed YAML at line 3"),
    Case("talosconfig-missing", live("node_disks.feature", talosconfig="absent"),
         "--talosconfig {files}/absent: no such file"),
    Case("talos-context", live("node_disks.feature", "--talos-context", "nope"),
         "context 'nope' not found; contexts present: home-ops-lab"),
    Case("router-key-missing", live("bgp.feature", router_key="absent"), "--router-key {files}/absent: no such file"),
    Case("ca-bundle-missing", live("authentik.feature", ca_bundle="absent"),
         "--ca-bundle {files}/absent: no such file"),
    # -- feature files ----------------------------------------------------------------------------
    Case("feature-table", feature_copy("feature-table"),
         "broken.feature:7: malformed Gherkin: (7:7): inconsistent cell count within the table (line: '| 1 |')",
         "collect"),
    Case("feature-no-scenario", feature_copy("feature-empty"),
         "empty.feature: no Scenario found; expected one Feature with scenarios", "collect"),
    Case("feature-unknown-tag", feature_copy("feature-tag"),
         "'no_such_tag' not found in `markers` configuration option", "collect"),
    Case("feature-undefined-step", feature_copy("feature-step"),
         'Step definition is not found: Then "something nobody wrote a step for"', "scenario"),
    # -- python -m harness / python -m lab --------------------------------------------------------
    Case("bootstrap-phase", command("harness", "bootstrap", "--lab-dir", "{lab}", "--phase", "nope"),
         "error: unknown bootstrap phase 'nope'; phases: cilium-crds, lb-pools, bgp, ingress, identity"),
    Case("bootstrap-from", command("harness", "bootstrap", "--lab-dir", "{lab}", "--from", "nope"),
         "error: unknown bootstrap phase 'nope'"),
    Case("sweep-lab-dir", command("harness", "sweep", "--lab-dir", "{files}"),
         "error: --lab-dir {files}: no running lab there (lab.json missing)"),
    Case("sweep-kubeconfig", command("harness", "sweep", "--kubeconfig", "{files}/kubeconfig-yaml"),
         "error: kubeconfig {files}/kubeconfig-yaml:3: malformed YAML"),
    Case("sweep-unreachable", command("harness", "sweep", "--kubeconfig", "{files}/kubeconfig-unreachable"),
         "error: GET /api/v1/services: cannot reach the API at https://172.29.51.12:6443: "
         "[Errno 111] Connection refused"),
    Case("harness-profile", command("harness", "--profile", "{files}/profile-type", "sweep", "--lab-dir", "{lab}"),
         "error: {files}/profile-type:9: cluster.kube_proxy: expected a single value"),
    Case("report-history", command("harness", "report", "--history", "{files}/no-history"),
         "error: history folder {files}/no-history: not a directory"),
    Case("fault-unknown", command("lab", "fault", "--dir", "{lab}", "no-such-fault"),
         "lab fault: unknown fault 'no-such-fault'; known: clear, bgp-extra, "),
    Case("fault-argument", command("lab", "fault", "--dir", "{lab}", "bgp-session-down"),
         "lab fault: fault bgp-session-down needs argument 'node'"),
    Case("fault-pair", command("lab", "fault", "--dir", "{lab}", "bgp-session-down", "mini03"),
         "lab fault: expected key=value arguments after the fault's name, got 'mini03'"),
    Case("fault-node", command("lab", "fault", "--dir", "{lab}", "bgp-session-down", "node=mini09"),
         "lab fault: fault bgp-session-down: no node 'mini09' in lab spec"),
    Case("fault-no-lab", command("lab", "fault", "--dir", "{files}", "clear"),
         "lab fault: no lab fault control at {files}/faults.sock: No such file or directory"),
    # -- endpoints that do not answer as they should: the scenarios fail, one line each ---------------
    Case("api-unreachable", live("lb_pools.feature", kubeconfig="kubeconfig-unreachable"),
         "cannot reach the API at https://172.29.51.12:6443: [Errno 111] Connection refused", "scenario"),
    Case("router-port", live("bgp.feature", "--profile", "{files}/profile-port", "-k", "established"),
         f"RouterError: SSH to root@172.29.51.1:2222 ({SUMMARY}): cannot connect: Connection refused", "scenario"),
    Case("router-key-refused", live("bgp.feature", "-k", "established", router_key="other-key"),
         f"RouterError: SSH to root@172.29.51.1:22 ({SUMMARY}): the key {{files}}/other-key was refused "
         "(Permission denied (publickey).)", "scenario"),
    Case("router-host-key", live("bgp.feature", "-k", "established", router_known_hosts="known-hosts-wrong"),
         f"RouterError: SSH to root@172.29.51.1:22 ({SUMMARY}): host key refused: the key 172.29.51.1 presented "
         "does not match {files}/known-hosts-wrong:1 (StrictHostKeyChecking=yes); fix: ", "scenario"),
    Case("router-host-key-unknown", live("bgp.feature", "-k", "established", router_known_hosts="known-hosts-empty"),
         f"RouterError: SSH to root@172.29.51.1:22 ({SUMMARY}): host key refused: 172.29.51.1 is not in known_hosts "
         "{files}/known-hosts-empty (StrictHostKeyChecking=yes); fix: ", "scenario"),
    Case("dns-unreachable", live("authentik.feature", "--profile", "{files}/profile-dns", "-k", "resolves and hubble"),
         "DnsError: DNS A hubble.k8s.home.geoffdavis.com at 172.29.51.12:53: no answer within", "scenario"),
    Case("talos-unreachable", live("node_disks.feature", talosconfig="talosconfig-unreachable"),
         "on node 172.29.51.11 via 172.29.51.12:50000: UNAVAILABLE: failed to connect to all addresses", "scenario"),
    Case("talos-wrong-ca", live("node_disks.feature", talosconfig="talosconfig-wrong-ca"),
         "TalosConfigError: TLS verification of 172.29.51.11:50000 failed: self-signed certificate", "scenario"),
    Case("https-wrong-ca", live("authentik.feature", "-k", "certificate and hubble", ca_bundle="other-ca"),
         "hubble.k8s.home.geoffdavis.com: TLS at 172.29.52.200:443 failed: ConnectError: [SSL: "
         "CERTIFICATE_VERIFY_FAILED] certificate verify failed", "scenario"),
]


@pytest.fixture(scope="module")
def files(lab: E2ELab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BadFiles]:
    made = BadFiles.write(tmp_path_factory.mktemp("bad"), lab)
    (made.dir / "other-ca").write_bytes(lab.other_ca.read_bytes())
    yield made


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30 and len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_one_line_and_changes_nothing(lab: E2ELab, files: BadFiles, case: Case, tmp_path: Path) -> None:
    mark = lab.audit_mark()
    argv = case.argv(lab, files)
    if case.shows == "scenario":
        argv += [f"--junitxml={tmp_path / 'junit.xml'}"]
    proc = subprocess.run([sys.executable, *argv], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=run_env(dict(case.env)), stdin=subprocess.DEVNULL)
    expected = case.expect(lab, files)
    assert proc.returncode != 0, f"exit 0 for {case.id}\n{proc.stdout}{proc.stderr}"
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout + proc.stderr
    {"usage": _usage_line, "collect": _collection_line, "scenario": _scenario_lines}[case.shows](
        proc, expected, tmp_path / "junit.xml")
    assert lab.mutations_since(mark) == [], [str(e) for e in lab.mutations_since(mark)]
    assert lab.leftovers() == []


def _usage_line(proc: subprocess.CompletedProcess[str], expected: str, _: Path) -> None:
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    hits = [line for line in lines if expected in line]
    assert len(hits) == 1, f"expected one stderr line with {expected!r}:\n{proc.stderr}"
    if "usage:" not in proc.stderr:   # argparse's own errors put its usage line above the one error line
        assert len(lines) == 1, f"more than one line on stderr:\n{proc.stderr}"


def _collection_line(proc: subprocess.CompletedProcess[str], expected: str, _: Path) -> None:
    assert proc.returncode == 2, proc.stdout   # pytest: interrupted by a collection error
    report = proc.stdout.split("short test summary info")[0]   # the summary repeats it, cut to the terminal width
    hits = [line for line in report.splitlines() if expected in line]
    assert len(hits) == 1, f"expected one line with {expected!r}:\n{proc.stdout}"
    assert not [line for line in proc.stdout.splitlines() if line.startswith("E ")], proc.stdout


def _scenario_lines(proc: subprocess.CompletedProcess[str], expected: str, junit: Path) -> None:
    assert proc.returncode == 1, proc.stdout + proc.stderr   # pytest: tests failed
    failed = [c for c in Verdict.parse_all(junit) if c.outcome == "failed"]
    assert failed, proc.stdout
    for case in failed:
        assert expected in case.message, f"{case.name}: {case.message}"
