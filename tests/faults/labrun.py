"""A lab for fault tests: start it once per module, inject a fault, run a feature, read the verdicts.

    lab = FaultLab.start(tmp_dir)
    with lab.fault(...):                       # injected, then undone
        verdicts = lab.run_feature("lb_pools.feature")
    verdicts.failed("every profiled pool").message
"""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import dns.query
import dns.tsigkeyring
import dns.update
import yaml

from harness.model.profile import Profile, load_profile
from harness.model.targets import Target
from harness.probes.kube import KubeApi
from harness.probes.netns import inside
from lab.faults import inject
from provisioning.bootstrap import run_bootstrap
from tests.edits import replace_once

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"


@dataclass(frozen=True)
class Verdict:
    name: str
    outcome: str          # passed | failed | skipped
    message: str


@dataclass(frozen=True)
class Verdicts:
    items: tuple[Verdict, ...]
    output: str

    def find(self, words: str) -> Verdict:
        """The one scenario whose test name contains every word (e.g. "established [ipv6]")."""
        keys = words.lower().replace("'", "").split()
        hits = [v for v in self.items if all(k in v.name.lower().replace("_", " ") or k in v.name.lower()
                                             for k in keys)]
        assert len(hits) == 1, f"{len(hits)} scenarios match {words!r}: {[v.name for v in self.items]}\n{self.output}"
        return hits[0]

    def failed(self, words: str) -> Verdict:
        verdict = self.find(words)
        assert verdict.outcome == "failed", f"{verdict.name} {verdict.outcome}, expected failed\n{self.output}"
        return verdict

    def all_passed(self, *, skip_reason: str | tuple[str, ...] | None = None) -> None:
        """Every scenario passed (skipped only with one of ``skip_reason`` in its reason); names each that did not."""
        assert self.items, f"no scenario ran\n{self.output}"
        reasons = (skip_reason,) if isinstance(skip_reason, str) else skip_reason or ()
        wrong = [f"{v.name}: {v.outcome}: {v.message.strip()[:300]}" for v in self.items
                 if v.outcome == "failed" or (v.outcome == "skipped" and not any(r in v.message for r in reasons))]
        assert not wrong, "\n".join(wrong) + "\n" + self.output

    def passed(self, words: str) -> Verdict:
        verdict = self.find(words)
        assert verdict.outcome == "passed", f"{verdict.name} {verdict.outcome}: {verdict.message}\n{self.output}"
        return verdict


@dataclass
class FaultLab:
    lab_dir: Path
    profile: Profile
    api: KubeApi
    stack: ExitStack

    @classmethod
    def start(cls, lab_dir: Path, lab_profile: Path = PROFILE, bootstrap: bool = True,
              judged_by: Path = PROFILE) -> FaultLab:
        """A lab built from ``lab_profile`` (a variant makes a differently built cluster), bootstrapped
        with the state ``judged_by`` requires (the required state unless a test says)."""
        argv = [sys.executable, "-m", "lab", "up", "--dir", str(lab_dir), "--profile", str(lab_profile)]
        subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
        target = Target.from_lab_dir(lab_dir)
        profile = load_profile(judged_by)
        assert target.kubeconfig is not None and target.client_netns is not None
        stack = ExitStack()
        stack.enter_context(inside(target.client_netns))  # this test process probes from the lab's client side
        lab = cls(lab_dir, profile, KubeApi.from_kubeconfig(target.kubeconfig, target.context, 10), stack)
        if bootstrap:
            lab.bootstrap()
        return lab

    def bootstrap(self) -> None:
        """Re-apply the required state and wait until the lab has converged on it."""
        for _ in run_bootstrap(self.api, self.profile, timeout=20):
            pass
        inject(self.lab_dir, "settle")

    def stop(self) -> None:
        self.api.close()
        self.stack.close()
        subprocess.run([sys.executable, "-m", "lab", "down", "--dir", str(self.lab_dir)], cwd=ROOT,
                       check=True, capture_output=True)

    def __enter__(self) -> FaultLab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @contextmanager
    def restored(self) -> Iterator[FaultLab]:
        """``with lab.restored(): inject(...)``: every fault undone and the required state re-applied after."""
        try:
            yield self
        finally:
            inject(self.lab_dir, "clear")
            self.bootstrap()

    @contextmanager
    def dns_record(self, name: str, rtype: str, value: str | None, *, restore: str) -> Iterator[None]:
        """``name`` (under the protected domain) set to ``value`` (None: deleted) at the udm's DNS for the
        block, through RFC 2136 with the lab's TSIG key as external-dns does; ``restore`` afterwards."""
        key = yaml.safe_load((self.lab_dir / "edge" / "knot" / "tsig.key").read_text())["key"][0]
        ring = dns.tsigkeyring.from_text({key["id"]: (key["algorithm"], key["secret"])})
        zone, server = self.profile.identity.protected_domain, str(self.profile.identity.dns_servers.get("ipv4"))

        def send(record: str | None) -> None:
            update = dns.update.UpdateMessage(zone, keyring=ring)
            if record is None:
                update.delete(name, rtype)
            else:
                update.replace(name, 300, rtype, record)
            dns.query.tcp(update, server, timeout=5)

        send(value)
        try:
            yield
        finally:
            send(restore)

    def run_feature(self, feature: str, *extra: str, judged_by: Path = PROFILE) -> Verdicts:
        """Run a feature on this lab with short budgets: a fault must show within seconds here.

        ``judged_by`` is the profile the run judges against (the required state unless a test says).
        """
        report = self.lab_dir / "junit.xml"
        profile = self.lab_dir / "fault-profile.yaml"
        # a lab answers in milliseconds: 3 s per request (not 10) bounds what an unreachable address costs
        profile.write_text(replace_once(judged_by.read_text(),
                                        "timeouts: {apply: 30, assert: 20, cleanup: 60, request: 10,",
                                        "timeouts: {apply: 30, assert: 4, cleanup: 60, request: 3,"))
        argv = [sys.executable, "-m", "pytest", str(ROOT / "features" / feature), "--lab-dir", str(self.lab_dir),
                "--profile", str(profile),
                "-p", "no:cacheprovider", "-q", "--tb=line", f"--junitxml={report}", "-o", "junit_family=xunit1",
                *extra]
        proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=300)
        return Verdicts(_parse_junit(report), proc.stdout + proc.stderr)


def _parse_junit(path: Path) -> tuple[Verdict, ...]:
    out = []
    for case in ET.parse(path).getroot().iter("testcase"):
        outcome, message = "passed", ""
        for tag in ("failure", "error", "skipped"):
            node = case.find(tag)
            if node is not None:
                outcome = "skipped" if tag == "skipped" else "failed"
                message = (node.get("message") or "") + "\n" + (node.text or "")
        out.append(Verdict(case.get("name", ""), outcome, message))
    return tuple(out)
