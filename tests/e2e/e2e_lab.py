"""A lab for end-to-end runs: start it once per module, run the harness against it, read its footprint.

    lab = E2ELab.start(tmp_dir)                                   # up, bootstrapped, this process in its client netns
    proc = lab.pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir)); lab.leftovers()

Runs are real subprocesses (``python -m pytest``, ``python -m harness``) started from the lab's client
network namespace, so a ``--target live`` run reaches the lab exactly as it would reach a cluster.
What a run left behind is read through the lab's Kubernetes API and its audit log (``kube/audit.jsonl``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.core.errors import Unrecoverable
from harness.core.wait import wait_until
from harness.model.profile import Profile, load_profile
from harness.model.targets import Target
from harness.probes.kube import LEASES, NAMESPACES, SERVICES, KubeApi, Resource
from harness.probes.netns import inside
from provisioning.bootstrap import run_bootstrap
from provisioning.lock import DEFAULT_NAMESPACE, LEASE_NAME
from provisioning.run import RUN_LABEL

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"
LABELLED_KINDS: tuple[Resource, ...] = (NAMESPACES, SERVICES)
MUTATING_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
RUN_BUDGET = 120.0


@dataclass(frozen=True)
class AuditEntry:
    """One line of the lab API's audit log (every mutating request it served)."""

    user: str
    verb: str
    path: str
    name: str
    code: int

    @classmethod
    def parse(cls, line: str) -> AuditEntry:
        doc = json.loads(line)
        return cls(str(doc["user"]), str(doc["verb"]), str(doc["path"]), str(doc.get("name") or ""),
                   int(doc["code"]))

    def __str__(self) -> str:
        return f"{self.user} {self.verb} {self.path} -> {self.code}"


@dataclass(frozen=True)
class Verdict:
    """One scenario's verdict as JUnit XML recorded it; ``message`` is the failure's first line."""

    name: str
    outcome: str          # passed | failed | skipped (xfail is skipped in JUnit)
    message: str
    text: str

    @classmethod
    def parse_all(cls, junit: Path) -> list[Verdict]:
        out = []
        for case in ET.parse(junit).getroot().iter("testcase"):
            outcome, message, text = "passed", "", ""
            for tag in ("failure", "error", "skipped"):
                node = case.find(tag)
                if node is not None:
                    outcome = "skipped" if tag == "skipped" else "failed"
                    message, text = (node.get("message") or "").split("\n")[0], node.text or ""
            out.append(cls(case.get("name", ""), outcome, message, text))
        return out


@dataclass
class E2ELab:
    lab_dir: Path
    profile: Profile
    api: KubeApi
    client_netns: str
    stack: ExitStack

    @classmethod
    def start(cls, lab_dir: Path) -> E2ELab:
        """A lab from the default profile, bootstrapped; this process (and its children) in the client netns."""
        up = [sys.executable, "-m", "lab", "up", "--dir", str(lab_dir), "--profile", str(PROFILE)]
        subprocess.run(up, cwd=ROOT, check=True, capture_output=True, timeout=60)
        target = Target.from_lab_dir(lab_dir)
        assert target.kubeconfig is not None and target.client_netns is not None
        stack = ExitStack()
        stack.enter_context(inside(target.client_netns))
        profile = load_profile(PROFILE)
        api = KubeApi.from_kubeconfig(target.kubeconfig, target.context, 10)
        for _ in run_bootstrap(api, profile, timeout=20):
            pass
        return cls(lab_dir, profile, api, target.client_netns, stack)

    def stop(self) -> None:
        self.api.close()
        self.stack.close()
        subprocess.run([sys.executable, "-m", "lab", "down", "--dir", str(self.lab_dir)], cwd=ROOT,
                       check=True, capture_output=True, timeout=60)

    # -- files the runs are pointed at ----------------------------------------------------------
    @property
    def kubeconfig(self) -> Path:
        return self.lab_dir / "kube" / "kubeconfig"

    @property
    def talosconfig(self) -> Path:
        return self.lab_dir / "talos" / "talosconfig"

    @property
    def router_key(self) -> Path:
        return self.lab_dir / "net" / "udm" / "ssh" / "id_ed25519"

    @property
    def known_hosts(self) -> Path:
        return self.lab_dir / "net" / "udm" / "ssh" / "known_hosts"

    @property
    def ca_cert(self) -> Path:
        return self.lab_dir / "edge" / "ca" / "ca.crt"

    @property
    def other_ca(self) -> Path:
        """A CA the lab trusts for nothing (ingress-nginx's fake certificate is signed by it)."""
        return self.lab_dir / "edge" / "fake-ca" / "ca.crt"

    def live_args(self, *, router_key: Path | None = None) -> list[str]:
        """Options that point a ``--target live`` run at this lab as if it were the real cluster."""
        return ["--target", "live", "--kubeconfig", str(self.kubeconfig), "--talosconfig", str(self.talosconfig),
                "--ca-bundle", str(self.ca_cert), "--router-key", str(router_key or self.router_key),
                "--router-known-hosts", str(self.known_hosts)]

    def profile_copy(self, dest: Path, **timeouts: float) -> Path:
        """The default profile with some ``timeouts`` changed (e.g. a longer pending_hold)."""
        doc = yaml.safe_load(PROFILE.read_text(encoding="utf-8"))
        doc["timeouts"] = {**doc["timeouts"], **timeouts}
        dest.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return dest

    # -- running the product ----------------------------------------------------------------------
    def pytest(self, *args: str, env: dict[str, str] | None = None,
               timeout: float = RUN_BUDGET) -> subprocess.CompletedProcess[str]:
        return self._run([sys.executable, "-m", "pytest", *args], env, timeout)

    def harness(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return self._run([sys.executable, "-m", "harness", *args], env, RUN_BUDGET)

    def spawn_pytest(self, *args: str, env: dict[str, str] | None = None, output: Path) -> BackgroundRun:
        """A run in the background; its output goes to the file ``output`` (no pipe to fill up)."""
        with open(output, "w", encoding="utf-8") as sink:
            proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=run_env(env), text=True,
                                    stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    preexec_fn=default_sigint)
        return BackgroundRun(proc, output)

    def _run(self, argv: list[str], env: dict[str, str] | None,
             timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=ROOT, env=run_env(env), capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)

    # -- what a run left ----------------------------------------------------------------------------
    def leftovers(self) -> list[str]:
        """Every namespace and service carrying the run label, as ``Kind namespace/name``."""
        found = []
        for res in LABELLED_KINDS:
            for obj in self.api.list(res, label_selector=RUN_LABEL):
                meta = obj["metadata"]
                found.append(f"{res.kind} {meta.get('namespace', '') + '/' if meta.get('namespace') else ''}"
                             f"{meta['name']}")
        return sorted(found)

    def lease_holder(self) -> str | None:
        lease = self.api.get(LEASES, LEASE_NAME, DEFAULT_NAMESPACE)
        return None if lease is None else str((lease.get("spec") or {}).get("holderIdentity") or "")

    def take_lease(self, holder: str, duration: int) -> None:
        """Take the run Lease over as another run would (an update naming a new holder)."""
        lease = self.api.get(LEASES, LEASE_NAME, DEFAULT_NAMESPACE)
        assert lease is not None, "no run Lease to take over"
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        lease["spec"].update(holderIdentity=holder, leaseDurationSeconds=duration, acquireTime=stamp,
                             renewTime=stamp)
        self.api.request("PUT", LEASES.path(DEFAULT_NAMESPACE, LEASE_NAME), body=lease)

    def drop_lease(self) -> None:
        self.api.delete(LEASES, LEASE_NAME, DEFAULT_NAMESPACE)

    def wait_for_leftover(self, kind: str, run: BackgroundRun, timeout: float = 30.0) -> list[str]:
        """Wait until ``run`` has created an object of ``kind`` with its label; the objects seen then."""

        def created() -> str | None:
            if run.proc.poll() is not None:
                raise Unrecoverable(f"the run exited ({run.proc.returncode}) first:\n{run.output()}")
            seen = self.leftovers()
            return None if any(f.startswith(kind + " ") for f in seen) else f"no labelled {kind} yet (seen {seen})"

        wait_until(created, timeout=timeout, what=f"a run's labelled {kind} in the lab at {self.api.url}",
                   interval=0.1)
        return self.leftovers()

    def audit(self) -> list[AuditEntry]:
        path = self.lab_dir / "kube" / "audit.jsonl"
        return [AuditEntry.parse(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def audit_mark(self) -> int:
        """A fence in the audit log: a request only this test makes (a DELETE of an absent namespace).

        The lab logs a request after answering it, so a line of a request that just finished may
        still be on its way; once the fence's own line is there, every earlier request's line is too.
        Returns the number of lines up to and including the fence.
        """
        name = f"e2e-audit-fence-{secrets.token_hex(4)}"
        self.api.delete(NAMESPACES, name)

        def fenced() -> str | None:
            return None if any(e.name == name for e in self.audit()) else f"no audit line for {name} yet"

        wait_until(fenced, timeout=10, what=f"audit fence {name} in {self.lab_dir}/kube/audit.jsonl")
        return next(i for i, e in enumerate(self.audit()) if e.name == name) + 1

    def mutations_since(self, mark: int) -> list[AuditEntry]:
        """Mutating requests logged after the fence ``mark`` (from any identity), fences left out."""
        end = self.audit_mark()
        return [e for e in self.audit()[mark:end] if e.verb in MUTATING_VERBS
                and not e.name.startswith("e2e-audit-fence-")]

@dataclass(frozen=True)
class BackgroundRun:
    """A run started with :meth:`E2ELab.spawn_pytest`; leaving the ``with`` block never leaves it running."""

    proc: subprocess.Popen[str]
    log: Path

    def __enter__(self) -> BackgroundRun:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def signal_and_wait(self, signum: signal.Signals, timeout: float = 60.0) -> int:
        self.proc.send_signal(signum)
        return self.proc.wait(timeout)

    def wait(self, timeout: float = RUN_BUDGET) -> int:
        return self.proc.wait(timeout)


def default_sigint() -> None:
    """In the child before exec: Ctrl-C as a terminal gives it. A process started in the background (a
    pytest-xdist worker, `cmd &` in a script) ignores SIGINT, and an ignored signal stays ignored across
    exec: Python would then install no KeyboardInterrupt handler and the interrupt tests test nothing."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_env(extra: dict[str, str] | None) -> dict[str, str]:
    """This process's environment without pytest's and the harness's own variables, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HOME_OPS_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **(extra or {})}
