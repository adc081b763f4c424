"""Many short `pytest` runs without paying Python's and the plugins' import time for each one.

    with PytestZygote(ROOT) as zygote:
        code, output = zygote.run(["features/", "--target", "repo", "--repo", str(repo)])

A helper process imports pytest, pytest-bdd and the harness's plugins once, runs no session itself,
and forks a child per run: the child is a fresh process (its own pytest session, signal handlers and
module state, nothing shared with other runs) that starts with those imports done. A run's exit code
and its output come back as from ``subprocess.run``; each costs about a quarter of a cold start.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import TracebackType

# The helper: read one JSON request per line ({"argv": [...], "out": path}); fork; in the child send
# stdout/stderr to the file and run pytest; answer the child's exit status on one line. A batch
# ({"batch": [{"argv", "out"}, ...], "parallel": N}) runs N children at a time and answers the exit
# statuses as one JSON list, in the batch's order.
PRELOAD = ("kubernetes.client", "kubernetes.config", "httpx", "grpc", "dns.resolver", "yaml", "cryptography.x509",
           "harness.probes.kube", "harness.probes.http", "harness.probes.dns", "harness.probes.router",
           "harness.probes.talos", "harness.repo", "harness.rules", "harness.probes.cluster", "harness.model.profile",
           "harness.reporting")
_SERVER = "PRELOAD = " + repr(PRELOAD) + r"""
import json, os, sys
import importlib
import pytest  # the heavy imports every run needs, done once; not the plugins pytest rewrites (conftest,
for name in PRELOAD:  # steps, pytest-bdd...): imported here they could not be rewritten in the run
    importlib.import_module(name)
def child(request):
    pid = os.fork()
    if pid == 0:
        fd = os.open(request["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1); os.dup2(fd, 2); os.close(fd)
        sys.stdin.close()
        code = 3
        try:
            code = int(pytest.main(request["argv"]))
        finally:
            sys.stdout.flush(); sys.stderr.flush()
            os._exit(code)
    return pid
for line in sys.stdin:
    request = json.loads(line)
    if "batch" not in request:
        _, status = os.waitpid(child(request), 0)
        print(os.waitstatus_to_exitcode(status), flush=True)
        continue
    pending, running = list(enumerate(request["batch"])), {}
    codes = [None] * len(pending)
    while pending or running:
        while pending and len(running) < request["parallel"]:
            index, one = pending.pop(0)
            running[child(one)] = index
        pid, status = os.wait()
        codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
    print(json.dumps(codes), flush=True)
"""


class PytestZygote:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> PytestZygote:
        self._proc = subprocess.Popen([sys.executable, "-c", _SERVER], cwd=self.root, stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait(timeout=30)
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None

    def run_many(self, runs: list[tuple[list[str], Path]], parallel: int = 2) -> list[tuple[int, str]]:
        """Run several ``pytest argv`` at once, ``parallel`` at a time (each its own forked process);
        (exit code, output) for each, in order."""
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        batch = [{"argv": argv, "out": str(out)} for argv, out in runs]
        self._proc.stdin.write(json.dumps({"batch": batch, "parallel": parallel}) + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"the pytest helper process exited ({self._proc.poll()})")
        return [(int(code), out.read_text(encoding="utf-8", errors="replace"))
                for code, (_, out) in zip(json.loads(answer), runs, strict=True)]

    def run(self, argv: list[str], out: Path) -> tuple[int, str]:
        """Run ``pytest argv`` (cwd: the root); (exit code, stdout and stderr together)."""
        assert self._proc is not None and self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(json.dumps({"argv": argv, "out": str(out)}) + "\n")
        self._proc.stdin.flush()
        answer = self._proc.stdout.readline()
        if not answer:
            raise RuntimeError(f"the pytest helper process exited ({self._proc.poll()})")
        return int(answer), out.read_text(encoding="utf-8", errors="replace")
