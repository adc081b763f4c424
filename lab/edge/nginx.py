"""One nginx per node namespace, sharing one generated config, reloaded with SIGHUP.

    fleet = NginxFleet(net, spec.nodes, state_dir / "nginx"); fleet.start(config)
    fleet.apply(new_config)      # validated with ``nginx -t`` first, then SIGHUP to each master

Each node's nginx listens on the wildcard address, so whatever address the BGP wiring puts
on that node's ``lo`` (the ingress LoadBalancer IP) is served. SIGHUP makes the master
re-read its config and start new workers (https://nginx.org/en/docs/control.html).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from functools import partial
from pathlib import Path

from lab.edge.nginx_conf import EdgeConfig, render
from lab.edge.nsock import socket_in
from lab.net import LabNetwork
from lab.net.netns import kill_pids
from lab.net.wait import wait_for

START_TIMEOUT_S = 5.0
RELOAD_TIMEOUT_S = 5.0


def _workers(master: int) -> set[int]:
    """Child pids of the nginx master (its worker processes)."""
    try:
        text = Path(f"/proc/{master}/task/{master}/children").read_text()
    except OSError:
        return set()
    return {int(p) for p in text.split()}


class NginxError(RuntimeError):
    """nginx rejected a generated config or did not come up; the message quotes nginx."""


class NginxFleet:
    def __init__(self, net: LabNetwork, nodes: tuple[str, ...], directory: Path) -> None:
        self.net, self.nodes, self.dir = net, nodes, directory
        self.pids: dict[str, int] = {}
        self._rendered: dict[str, str] = {}

    def _run_dir(self, node: str) -> Path:
        return self.dir / node

    def _conf(self, node: str) -> Path:
        return self._run_dir(node) / "nginx.conf"

    def _write(self, node: str, config: EdgeConfig) -> bool:
        run_dir = self._run_dir(node)
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (run_dir / "tmp" / kind).mkdir(parents=True, exist_ok=True)
        text = render(config, run_dir)
        if self._rendered.get(node) == text:
            return False
        self._check(run_dir, text)
        self._conf(node).write_text(text)
        self._rendered[node] = text
        return True

    def _check(self, run_dir: Path, text: str) -> None:
        candidate = run_dir / "nginx.conf.next"
        candidate.write_text(text)
        proc = subprocess.run(["nginx", "-t", "-q", "-p", str(run_dir), "-e", str(run_dir / "error.log"),
                               "-c", str(candidate)], capture_output=True, text=True, timeout=10)
        if proc.returncode != 0:
            raise NginxError(f"nginx -t rejected the generated config {candidate}: "
                             f"{proc.stderr.strip()}")

    def start(self, config: EdgeConfig) -> None:
        for node in self.nodes:
            self._write(node, config)
            run_dir = self._run_dir(node)
            self.pids[node] = self.net.spawn(node, [
                "nginx", "-p", str(run_dir), "-e", str(run_dir / "error.log"),
                "-c", str(self._conf(node)), "-g", "daemon off;"], name=f"nginx-{node}")
        for node in self.nodes:
            wait_for(partial(self._not_listening, node), timeout=START_TIMEOUT_S,
                     what=f"nginx in {self.net.netns_name(node)}")

    def apply(self, config: EdgeConfig) -> bool:
        """Write the config and SIGHUP each nginx whose config changed; True if any did."""
        changed = False
        for node in self.nodes:
            if self._write(node, config) and node in self.pids:
                self._reload(node)
                changed = True
        return changed

    def _reload(self, node: str) -> None:
        """SIGHUP, then wait until only new-generation workers run (old ones stop accepting)."""
        pid = self.pids[node]
        old = _workers(pid)
        os.kill(pid, signal.SIGHUP)

        def pending() -> str | None:
            now = _workers(pid)
            return None if now and not now & old else f"workers {sorted(now)}, old {sorted(old)}"

        wait_for(pending, timeout=RELOAD_TIMEOUT_S, what=f"nginx reload in {self.net.netns_name(node)}")

    def stop(self) -> None:
        kill_pids(list(self.pids.values()))
        self.pids.clear()

    def _not_listening(self, node: str) -> str | None:
        pid = self.pids[node]
        if not Path(f"/proc/{pid}").exists():
            raise NginxError(f"nginx in {node} (pid {pid}) exited; "
                             f"see {self._run_dir(node) / 'error.log'}")
        with socket_in(self.net.netns_name(node), socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            if sock.connect_ex(("127.0.0.1", 80)) != 0:
                return "port 80 not accepting connections yet"
        return None
