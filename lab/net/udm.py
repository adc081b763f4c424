"""The UDM Pro stand-in: FRR (zebra + bgpd) and sshd in a private mount + UTS namespace.

    udm = UdmRouter(spec, state_dir); pid = udm.start()    # returns the holder's pid
    udm.vtysh_json("show bgp summary json")                  # as a shell on the udm would

One holder shell runs inside the udm netns under ``unshare --mount --uts``: it mounts a
tmpfs on /run, bind-mounts the lab's own /etc/frr, sets hostname ``udm`` and starts
zebra, bgpd and sshd as its children, so ``vtysh`` (locally via nsenter or over SSH)
finds the daemons' sockets under /run/frr exactly as on the real router. Mounts vanish
with the namespace when its last process exits.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

from lab.net import netns
from lab.net.frr_conf import render_frr_conf, render_vtysh_conf
from lab.net.netns import NetnsError
from lab.net.spec import NetworkSpec
from lab.net.sshd import SshEndpoint, prepare_sshd
from lab.net.wait import wait_for

FRR_LIB = Path("/usr/lib/frr")
ZSERV_API = "/run/frr/zserv.api"   # zebra's API socket (FRR's default --zebra-socket path)
ZSERV_WAIT_S = 5
ZSERV_WAIT_STEPS = ZSERV_WAIT_S * 100


#: what a lab adds to an owner's configuration: names and logging, never a line of the owner's
LAB_BASE = "frr defaults traditional\nhostname udm\nlog stdout informational\n!\n"
OWNER_CONF = "owner.conf"
REFUSED = re.compile(r"^line \d+:|%")
LOAD_REPORT = "frr-load.txt"


class UdmRouter:
    def __init__(self, spec: NetworkSpec, state_dir: Path, owner_config: str | None = None) -> None:
        self.spec = spec
        self.dir = state_dir / "udm"
        self.etc_frr = self.dir / "etc-frr"
        self.holder_pid: int | None = None
        self.ssh: SshEndpoint = prepare_sshd(spec, self.dir / "ssh")
        self.owner_config = owner_config      # a GitOps repo's FRR file, loaded verbatim (the twin)
        self.rejected: tuple[str, ...] = ()   # what FRR refused in it, as vtysh reported it
        self.notes: tuple[str, ...] = ()      # what FRR remarked and kept (a route-map used before defined)

    def start(self, log: Path) -> subprocess.Popen[bytes]:
        """Render configs, start the holder with zebra, bgpd and sshd; wait for vty sockets. With an
        owner's configuration: bgpd starts from the lab's base lines only, then the owner's file is
        applied as it is, line by line, by ``vtysh -f`` (as pasting it into the router would), and
        what FRR refuses is kept as FRR said it (``rejected``, ``udm/frr-load.txt``)."""
        self.etc_frr.mkdir(parents=True, exist_ok=True)
        base = LAB_BASE if self.owner_config is not None else render_frr_conf(self.spec)
        (self.etc_frr / "frr.conf").write_text(base)
        (self.etc_frr / "vtysh.conf").write_text(render_vtysh_conf())
        (self.etc_frr / "zebra.conf").write_text("hostname udm\nlog stdout informational\n")
        script = self.dir / "start.sh"
        script.write_text(self._holder_script())
        argv = netns.in_ns(self.spec.netns("udm"),
                           ["unshare", "--mount", "--uts", "--propagation", "private",
                            "sh", str(script)])
        with log.open("ab") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.holder_pid = proc.pid
        wait_for(self._daemons_missing, timeout=5.0, what=f"FRR in {self.spec.netns('udm')}")
        if self.owner_config is not None:
            self._load_owner_config()
        return proc

    def _load_owner_config(self) -> None:
        assert self.owner_config is not None
        (self.etc_frr / OWNER_CONF).write_text(self.owner_config)
        proc = subprocess.run(self.enter_argv(["vtysh", "-f", f"/etc/frr/{OWNER_CONF}"]), capture_output=True,
                              text=True, timeout=30)
        report = (proc.stdout + proc.stderr).strip()
        (self.dir / LOAD_REPORT).write_text(report + "\n")
        lines = [line.strip() for line in report.splitlines() if line.strip()]
        # vtysh -f: a refused line is reported "line N: % <why>" (or a bare "% <why>"); other output
        # is FRR remarking on a line it kept (e.g. a route-map referenced before it is defined)
        self.rejected = tuple(line for line in lines if REFUSED.search(line))
        self.notes = tuple(line for line in lines if not REFUSED.search(line))

    def _holder_script(self) -> str:
        q = shlex.quote
        ssh_dir = self.dir / "ssh"
        return "\n".join([
            "set -e",
            "mount -t tmpfs -o mode=0755 lab-run /run",
            "mkdir -p /run/frr /run/sshd",
            "chown frr:frr /run/frr && chmod 0775 /run/frr",
            f"mount --bind {q(str(self.etc_frr))} /etc/frr",
            "hostname udm",
            f"{FRR_LIB}/zebra -u frr -g frr -P 0 -f /etc/frr/zebra.conf &",
            # bgpd only once zebra's API socket exists: a bgpd that finds no zebra retries after 10 s
            # (lib/zclient.c zclient_event: `zclient->fail < 3 ? 10 : 60`), and until then it learns
            # routes it cannot install, so the udm's kernel has no route for what BGP shows accepted.
            f"i=0; until [ -S {ZSERV_API} ]; do i=$((i+1)); [ $i -le {ZSERV_WAIT_STEPS} ] || "
            f"{{ echo 'zebra: no {ZSERV_API} after {ZSERV_WAIT_S}s' >&2; exit 1; }}; sleep 0.01; done",
            f"{FRR_LIB}/bgpd -u frr -g frr -P 0 -f /etc/frr/frr.conf &",
            f"/usr/sbin/sshd -D -e -f {q(str(ssh_dir / 'sshd_config'))} &",
            "wait",
            "",
        ])

    def _daemons_missing(self) -> str | None:
        if self.holder_pid is None:
            return "holder not started"
        run_frr = Path(f"/proc/{self.holder_pid}/root/run/frr")
        missing = [d for d in ("zebra", "bgpd") if not (run_frr / f"{d}.vty").exists()]
        if not Path(f"/proc/{self.holder_pid}").exists():
            raise NetnsError(f"udm holder pid {self.holder_pid} exited; see udm log")
        if missing:
            return f"vty sockets missing for {missing}"
        clients = self.vtysh("show zebra client summary")
        return None if "bgp" in clients.split() else f"bgpd is not a client of zebra yet: {clients.strip()!r}"

    def enter_argv(self, argv: list[str]) -> list[str]:
        """argv run in the udm's net, mount and UTS namespaces (as a shell there would)."""
        if self.holder_pid is None:
            raise NetnsError("udm router is not running (no holder pid)")
        return ["nsenter", "-t", str(self.holder_pid), "-n", "-m", "-u", *argv]

    def vtysh(self, command: str) -> str:
        return netns.run(self.enter_argv(["vtysh", "-c", command]))

    def vtysh_json(self, command: str) -> Any:
        text = self.vtysh(command)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise NetnsError(f"vtysh {command!r} on udm returned non-JSON: {text[:200]!r}") from exc
