"""A lab for end-to-end runs: start it once per module, run the harness against it, read its footprint.

    lab = E2ELab.start(tmp_dir)                                   # up, bootstrapped, this process in its client netns
    proc = lab.pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir)); lab.leftovers()

Runs are real subprocesses (``python -m pytest``, ``python -m harness``) started from the lab's client
network namespace, so a ``--target live`` run reaches the lab exactly as it would reach a cluster.
What a run left behind is read through the lab's Kubernetes API and its audit log (``kube/audit.jsonl``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.kube import LEASES, NAMESPACES, SERVICES, KubeApi, Resource
from harness.netns import inside
from harness.profile import Profile, load_profile
from harness.targets import Target
from harness.wait import wait_until
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
    code: int

    @classmethod
    def parse(cls, line: str) -> AuditEntry:
        doc = json.loads(line)
        return cls(str(doc["user"]), str(doc["verb"]), str(doc["path"]), int(doc["code"]))

    def __str__(self) -> str:
        return f"{self.user} {self.verb} {self.path} -> {self.code}"


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

    def spawn_pytest(self, *args: str, env: dict[str, str] | None = None,
                     output: Path | None = None) -> subprocess.Popen[str]:
        """A run in the background; its output goes to ``output`` (a file, so no pipe can fill up)."""
        sink: Any = open(output, "w", encoding="utf-8") if output else subprocess.DEVNULL
        proc = subprocess.Popen([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=_env(env), text=True,
                                stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if output:
            sink.close()
        return proc

    def _run(self, argv: list[str], env: dict[str, str] | None,
             timeout: float) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=ROOT, env=_env(env), capture_output=True, text=True, timeout=timeout,
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

    def wait_for_leftover(self, kind: str, timeout: float = 30.0) -> list[str]:
        """Wait until a run has created an object of ``kind`` with its label; the objects seen then."""
        wait_until(lambda: None if any(f.startswith(kind + " ") for f in self.leftovers())
                   else f"no labelled {kind} yet (seen {self.leftovers()})", timeout=timeout,
                   what=f"a run's labelled {kind} in the lab at {self.api.url}", interval=0.1)
        return self.leftovers()

    def audit(self) -> list[AuditEntry]:
        path = self.lab_dir / "kube" / "audit.jsonl"
        return [AuditEntry.parse(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def mutations_since(self, mark: int) -> list[AuditEntry]:
        """Mutating requests logged after the first ``mark`` audit lines (from any identity)."""
        return [e for e in self.audit()[mark:] if e.verb in MUTATING_VERBS]

    def signal_and_wait(self, proc: subprocess.Popen[str], signum: signal.Signals, timeout: float = 60.0) -> int:
        proc.send_signal(signum)
        return proc.wait(timeout)


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HOME_OPS_"))}
    env["PYTHONUNBUFFERED"] = "1"
    return {**env, **(extra or {})}
