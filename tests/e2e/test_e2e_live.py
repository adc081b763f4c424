"""The lab seen as a live cluster: read-only unless --allow-mutation, and no secret ever written down.

    pytest features/ --target live --kubeconfig LAB/kube/kubeconfig ...     # from the lab's client netns
    -> "read-only run: N @mutating scenario(s) deselected", zero mutating requests in LAB/kube/audit.jsonl
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
import yaml

from tests.e2e.e2e_lab import E2ELab, Verdict

pytestmark = pytest.mark.lab

CANARY = "CANARY-c00kie-7f3a91e4"
COOKIES = f"authentik_proxy_e2e={CANARY}"
REPORT_FILES = ("report.html", "report.md", "run.json", "junit.xml", "cucumber.json")
AUTHENTICATED = [f"test_an_authenticated_session_reaches_the_app_behind_host[{h}.k8s.home.geoffdavis.com]"
                 for h in ("hubble", "longhorn")]


def test_live_target_is_read_only_by_default(lab: E2ELab) -> None:
    mark = lab.audit_mark()
    proc = lab.pytest("features/lb_pools.feature", *lab.live_args(), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "read-only run: 5 @mutating scenario(s) deselected (--allow-mutation includes them)" in proc.stdout
    assert "3 passed, 5 deselected" in proc.stdout, proc.stdout
    assert lab.mutations_since(mark) == [], [str(e) for e in lab.mutations_since(mark)]
    assert lab.lease_holder() is None


def test_allow_mutation_runs_the_mutating_scenarios(lab: E2ELab) -> None:
    mark = lab.audit_mark()
    proc = lab.pytest("features/lb_pools.feature", *lab.live_args(), "--allow-mutation", "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "8 passed" in proc.stdout and "deselected" not in proc.stdout, proc.stdout
    created = [e.name for e in lab.mutations_since(mark) if e.verb == "create" and e.code == 201]
    assert "home-ops-conformance-run" in created and any(n.startswith("conformance-") for n in created), created
    assert lab.leftovers() == [] and lab.lease_holder() is None


def _key_fragments(lab: E2ELab) -> dict[str, str]:
    """Distinctive pieces of every credential the run holds: base64 values and PEM body lines."""
    kube = yaml.safe_load(lab.kubeconfig.read_text())["users"][0]["user"]["client-key-data"]
    talos = next(iter(yaml.safe_load(lab.talosconfig.read_text())["contexts"].values()))["key"]
    out = {"cookie canary": CANARY}
    for name, blob in (("kubeconfig client key", kube), ("talosconfig key", talos)):
        out[f"{name} (base64)"] = blob[40:80]
        out.update(_pem_lines(name, base64.b64decode(blob).decode()))
    out.update(_pem_lines("router SSH key", lab.router_key.read_text()))
    return out


def _pem_lines(name: str, pem: str) -> dict[str, str]:
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    return {f"{name} (PEM line {i})": line[4:36] for i, line in enumerate(body) if len(line) >= 36}


def _written_files(lab: E2ELab, report_dir: Path) -> list[Path]:
    logs = [p for p in lab.lab_dir.rglob("*") if p.is_file() and p.suffix in (".log", ".jsonl")]
    return [report_dir / name for name in REPORT_FILES] + logs


PLATFORM = ("test_flux_applies_the_stacks", "test_secrets_come_from", "test_longhorn_", "test_the_protected_hosts",
            "test_the_outpost_runs")


def test_no_secret_reaches_output_reports_or_logs(lab: E2ELab, tmp_path: Path) -> None:
    report_dir = tmp_path / "report"
    proc = lab.pytest("features/", *lab.live_args(), "--report-dir", str(report_dir), "-q",
                      env={"HOME_OPS_AUTHENTIK_COOKIES": COOKIES})
    assert proc.returncode == 1, proc.stdout + proc.stderr
    cases = {c.name: c for c in Verdict.parse_all(report_dir / "junit.xml")}
    # seen as a live cluster, the lab lacks what platform.feature requires (Flux, External Secrets, Longhorn,
    # cert-manager, StatefulSets): those scenarios fail, naming the missing API
    platform = sorted(n for n, c in cases.items() if c.outcome == "failed" and n.startswith(PLATFORM))
    assert len(platform) == 6 and all("serves no " in cases[n].message or "cannot list" in cases[n].message
                                      for n in platform), [cases[n].message for n in platform]
    failed = sorted(n for n, c in cases.items() if c.outcome == "failed" and n not in platform)
    assert failed == [f"test_an_authenticated_session_reaches_the_app_behind_host[{h}.k8s.home.geoffdavis.com]"
                      for h in ("hubble", "longhorn")], failed   # the canary session is not a real one
    assert "the session was not accepted: the chain went back to Authentik" in cases[failed[0]].message
    assert "hop(s) from https://hubble.k8s.home.geoffdavis.com/" in cases[failed[0]].text  # full details scanned
    sources = {"stdout": proc.stdout, "stderr": proc.stderr}
    sources.update({str(p): p.read_text(errors="replace") for p in _written_files(lab, report_dir)})
    needles = _key_fragments(lab)
    assert len(needles) >= 8, needles
    leaks = [f"{what} in {where}" for what, needle in needles.items()
             for where, text in sources.items() if needle in text]
    assert leaks == [], leaks
    assert "authentik_proxy_e2e" in proc.stdout + (report_dir / "report.md").read_text()  # the name stays readable


def test_unattended_live_run_without_an_authentik_account_skips_the_authenticated_scenario(
        lab: E2ELab, tmp_path: Path) -> None:
    """A nightly run with no cookies and no Authentik credentials: exit 0, the scenario skipped, saying why."""
    mark = lab.audit_mark()
    proc = lab.pytest("features/authentik.feature", *lab.live_args(), "--junitxml", str(tmp_path / "junit.xml"),
                      "-o", "junit_family=xunit1", "-q", "-rs")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cases = {c.name: c for c in Verdict.parse_all(tmp_path / "junit.xml")}
    skipped = sorted(n for n, c in cases.items() if c.outcome == "skipped")
    assert skipped == AUTHENTICATED, proc.stdout
    assert all("no Authentik test account: give --authentik-credentials FILE" in cases[n].message
               for n in skipped), [cases[n].message for n in skipped]
    assert all(c.outcome == "passed" for n, c in cases.items() if n not in skipped), proc.stdout
    assert "HOME_OPS_AUTHENTIK_USER" in proc.stdout            # -rs shows the reason on the terminal
    assert lab.mutations_since(mark) == []


def test_live_run_with_the_labs_test_account_logs_in_unattended(lab: E2ELab, tmp_path: Path) -> None:
    """The lab's Authentik account, once as --authentik-credentials FILE, once as $..._USER + _PASSWORD_FILE."""
    login = lab.lab_dir / "authentik-login.json"
    password = json.loads(login.read_text())["password"]
    by_option = lab.pytest("features/authentik.feature", *lab.live_args(), "--authentik-credentials", str(login),
                           "-k", "authenticated_session", "--report-dir", str(tmp_path / "report"), "-q")
    assert by_option.returncode == 0 and "2 passed" in by_option.stdout, by_option.stdout + by_option.stderr
    secret = tmp_path / "password"
    secret.write_text(password + "\n")
    by_env = lab.pytest("features/authentik.feature", *lab.live_args(), "-k", "authenticated_session and hubble",
                        "-q", env={"HOME_OPS_AUTHENTIK_USER": json.loads(login.read_text())["username"],
                                   "HOME_OPS_AUTHENTIK_PASSWORD_FILE": str(secret)})
    assert by_env.returncode == 0 and "1 passed" in by_env.stdout, by_env.stdout + by_env.stderr
    written = [p.read_text(errors="replace") for p in (tmp_path / "report").iterdir() if p.is_file()]
    assert all(password not in text for text in [by_option.stdout, by_option.stderr, by_env.stdout, *written])
