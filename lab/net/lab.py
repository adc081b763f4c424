"""The lab network as one object: build it, run its daemons, tear it all down.

    net = LabNetwork(NetworkSpec.home_ops("t1"), Path("/tmp/lab/net")); net.up()
    net.speaker("mini01").announce("172.29.52.200/32", "ipv4"); net.down()

``up()`` is idempotent (a healthy lab is left alone; a broken one is rebuilt) and returns
once every node's session is Established at the udm in every family it carries. ``down()`` kills every
process in the lab's namespaces by pid, deletes the namespaces (their interfaces, routes
and the udm's private mounts go with them) and removes the state files it wrote.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lab.net import netns, topology
from lab.net.gobgp import GoBgpSpeaker, start_gobgpd
from lab.net.netns import NetnsError
from lab.net.router_view import RouterView
from lab.net.spec import NetworkSpec
from lab.net.sshd import SshEndpoint
from lab.net.udm import UdmRouter
from lab.net.wait import wait_for

UP_TIMEOUT_S = 10.0


class LabNetwork:
    def __init__(self, spec: NetworkSpec, state_dir: Path, router_config: str | None = None) -> None:
        self.spec = spec
        self.router_config = router_config    # the twin's: the repo's FRR file, loaded verbatim
        self.state_dir = Path(state_dir)
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self._udm: UdmRouter | None = None
        self._made_state_dir = not self.state_dir.exists()
        self._core: set[str] = set()  # daemons that make the lab "up" (not spawned extras)

    # -- lifecycle ---------------------------------------------------------------------
    def up(self, *, wait: bool = True) -> None:
        """Build namespaces, start gobgpd per node then FRR + sshd; wait for Established.

        ``wait=False`` returns once the daemons run; :meth:`wait_established` waits later (the
        lab daemon starts its other stand-ins while FRR's first connect timer runs, about 1 s).
        """
        if self.is_up():
            return
        self._teardown()
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        try:
            topology.build(self.spec)
            for node in self.spec.nodes:
                self._procs[f"gobgpd-{node.name}"] = start_gobgpd(
                    self.spec, node.name, self.state_dir, self._log(f"gobgpd-{node.name}"))
            self._udm = UdmRouter(self.spec, self.state_dir, self.router_config)
            self._procs["udm"] = self._udm.start(self._log("udm"))
            self._core = set(self._procs)
            self._write_state()
            if wait:
                self.wait_established()
        except BaseException:
            self._teardown()
            raise

    def wait_established(self) -> None:
        wait_for(self._sessions_not_established, timeout=UP_TIMEOUT_S,
                 what=f"BGP sessions at udm ({self.spec.netns('udm')})")

    @property
    def rejected(self) -> tuple[str, ...]:
        """What FRR refused in an owner's configuration (the twin), as vtysh reported it."""
        return self._udm.rejected if self._udm is not None else ()

    @property
    def router_notes(self) -> tuple[str, ...]:
        """What FRR remarked on and kept in an owner's configuration."""
        return self._udm.notes if self._udm is not None else ()

    def down(self) -> None:
        """Remove namespaces, processes (by pid) and the files this lab wrote."""
        self._teardown()
        if self._made_state_dir and self.state_dir.exists():
            shutil.rmtree(self.state_dir)
        elif self.state_dir.exists():
            self._remove_own_files()

    def is_up(self) -> bool:
        """True when every namespace exists and every process this object started lives."""
        if not self._procs or self._udm is None:
            return False
        namespaces = all(netns.exists(self.spec.netns(r)) for r in self.spec.roles())
        core = [self._procs[name] for name in self._core if name in self._procs]
        return namespaces and len(core) == len(self._core) and all(
            p.poll() is None for p in core)

    def _teardown(self) -> None:
        for ns in reversed(netns.names(self.spec.prefix)):
            netns.delete(ns)
        for proc in self._procs.values():
            if proc.poll() is None:  # only if it escaped its namespace (it cannot)
                netns.kill_pids([proc.pid])
            proc.wait(timeout=5)
        self._procs.clear()
        self._core.clear()
        self._udm = None

    def _remove_own_files(self) -> None:
        for name in ("udm", "gobgp", "logs", "lab-net.json"):
            path = self.state_dir / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()

    def _log(self, name: str) -> Path:
        return self.state_dir / "logs" / f"{name}.log"

    def _write_state(self) -> None:
        state = {"prefix": self.spec.prefix,
                 "pids": {name: p.pid for name, p in self._procs.items()}}
        (self.state_dir / "lab-net.json").write_text(json.dumps(state, indent=2))

    # -- views -------------------------------------------------------------------------
    @property
    def router(self) -> RouterView:
        """The udm's BGP view, read with vtysh inside the udm (typed, parsed at the edge)."""
        return RouterView(self._require_udm().vtysh_json)

    def vtysh(self, command: str) -> str:
        return self._require_udm().vtysh(command)

    @property
    def router_ssh(self) -> SshEndpoint:
        return self._require_udm().ssh

    def udm_argv(self, argv: Sequence[str]) -> list[str]:
        """argv to run as a shell on the udm would (net + mount + UTS namespaces)."""
        return self._require_udm().enter_argv(list(argv))

    def speaker(self, node: str) -> GoBgpSpeaker:
        return GoBgpSpeaker(self.spec, node)

    def netns_name(self, role: str) -> str:
        return self.spec.netns(role)

    def status(self) -> dict[str, Any]:
        sessions = ({f"{s.family}:{s.peer}": s.state for s in self.router.sessions()}
                    if self.is_up() else {})
        return {
            "prefix": self.spec.prefix,
            "up": self.is_up(),
            "namespaces": netns.names(self.spec.prefix),
            "pids": {name: p.pid for name, p in self._procs.items() if p.poll() is None},
            "bgp_sessions": sessions,
            "router_ssh": str(self.router_ssh.host) if self._udm else None,
        }

    def _require_udm(self) -> UdmRouter:
        if self._udm is None:
            raise NetnsError(f"lab network {self.spec.prefix!r} is not up; call up() first")
        return self._udm

    def _sessions_not_established(self) -> str | None:
        # (session address, family) as FRR lists them: on the owner's topology each node's IPv4
        # session appears under both ipv4Unicast and ipv6Unicast
        expected = {(s.node_address, fam) for s in self.spec.all_sessions() for fam in s.families}
        for name, proc in self._procs.items():
            if proc.poll() is not None:
                raise NetnsError(f"{name} exited with {proc.returncode}; see {self._log(name)}")
        seen = {(s.peer, s.family): s.state for s in self.router.sessions()}
        pending = sorted(f"{fam} {peer}: {seen.get((peer, fam), 'absent')}"
                         for peer, fam in expected if seen.get((peer, fam)) != "Established")
        return f"not Established: {', '.join(pending)}" if pending else None

    # -- service addresses and extra processes -----------------------------------------
    def add_address(self, node: str, ip: str, dev: str = "lo") -> None:
        topology.add_address(self.spec, node, ip, dev)

    def remove_address(self, node: str, ip: str, dev: str = "lo") -> None:
        topology.remove_address(self.spec, node, ip, dev)

    def spawn(self, ns_name: str, argv: Sequence[str], *, name: str) -> int:
        """Start a tracked process in a lab namespace (role or full name); ``down()`` kills it."""
        ns = ns_name if ns_name in netns.names(self.spec.prefix) else self.spec.netns(ns_name)
        if name in self._procs and self._procs[name].poll() is None:
            raise NetnsError(f"a lab process named {name!r} is already running "
                             f"(pid {self._procs[name].pid})")
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        with self._log(name).open("ab") as out:
            proc = subprocess.Popen(netns.in_ns(ns, list(argv)),
                                    stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self._procs[name] = proc
        self._write_state()
        return proc.pid

    def enter(self, ns_name: str) -> None:
        """setns() the calling thread into a lab namespace (role like ``client`` or full name)."""
        ns = ns_name if ns_name in netns.names(self.spec.prefix) else self.spec.netns(ns_name)
        netns.enter(ns)
