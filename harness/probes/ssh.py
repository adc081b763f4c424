"""SSH to the router through pytest-testinfra's ``ssh`` backend (the OpenSSH client): the only testinfra user.

    with SshRunner(host="172.29.51.1", port=22, user="root", key_path=key, known_hosts=kh, timeout=10) as ssh:
        text = ssh.run("vtysh -c 'show bgp summary json'")     # stdout, or RouterError naming host and command
        ssh.host.file("/etc/frr/frr.conf").exists              # the testinfra Host, for owners' own checks

testinfra builds the ``ssh`` command line (pytest-dev/pytest-testinfra ``testinfra/backend/ssh.py``:
``-o User``, ``-o Port``, ``-i`` from ``ssh_identity_file``, ``-o ConnectTimeout`` from ``timeout``,
``ControlMaster``/``ControlPersist``/``ControlPath`` from ``controlpersist``/``controlpath``, and
``ssh_extra_args`` verbatim) and runs it through ``/bin/sh``; ssh's own failures are its exit
status 255, which the backend raises as ``RuntimeError(CommandResult)``. The options given here:

- ``StrictHostKeyChecking=yes``, ``UpdateHostKeys=no``: an unknown or changed host key is refused, and
  known_hosts is never written. (testinfra's default backend, paramiko, accepts an unknown host key
  with a warning, which a gate in front of the owner's router must not: hence ``ssh``.)
- ``UserKnownHostsFile`` = ``known_hosts`` (``--router-known-hosts``) and no global file, when given;
  else OpenSSH's defaults (``~/.ssh/known_hosts``, ``/etc/ssh/ssh_known_hosts``).
- ``-i key`` with ``IdentitiesOnly=yes`` when a key is given (``--router-key`` / ``$HOME_OPS_ROUTER_SSH_KEY``);
  else the agent and the default keys. ``BatchMode=yes``: never a prompt.
- ``ConnectTimeout`` from the profile's request timeout; ``ServerAliveInterval``/``CountMax`` so a
  dead connection ends within about that long too.
- one master connection per runner (``ControlPath`` in a private 0700 directory), closed by ``close()``:
  each command is a new session on it, not a new handshake.

Errors are one line naming ``user@host:port`` and the command, with the first fix to make; the
host-key refusals name the host and the known_hosts file. Nothing of a key is ever printed.
"""

from __future__ import annotations

import logging
import math
import re
import shlex
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import testinfra

from harness.core.errors import ConfigError, RouterError

SYSTEM_KNOWN_HOSTS = "the system's known_hosts (~/.ssh/known_hosts, /etc/ssh/ssh_known_hosts)"
SSH_FAILED = 255    # ssh's exit status for its own errors (ssh(1) EXIT STATUS)
CONTROL_PERSIST_S = 60

_UNKNOWN = re.compile(r"No \S+ host key is known for (\S+) and you have requested strict checking")
_CHANGED = re.compile(r"REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for \S+ has changed")
_OFFENDING = re.compile(r"Offending \S+ key in (\S+?):(\d+)")
_CONNECT = re.compile(r"ssh: connect to host \S+ port \d+: (.+)$|ssh: Could not resolve hostname \S+: (.+)$")
_LOAD_KEY = re.compile(r'Load key "(.+)": (.+)$')
_TOO_OPEN = re.compile(r"Permissions (\d+) for '(.+)' are too open")

# testinfra logs every command's whole result at DEBUG (backend/base.py ``logger.debug("RUN %s", result)``,
# switched on by ``-vv`` or ``--log-level=DEBUG``); a router's running configuration can hold passwords,
# so those records stop here. Failures are reported by this module, in one line.
logging.getLogger("testinfra").addFilter(lambda record: record.msg != "RUN %s")


class SshRunner:
    """Commands on one host over OpenSSH, through a testinfra ``ssh`` Host built on first use."""

    def __init__(self, *, host: str, port: int, user: str, key_path: Path | None, known_hosts: Path | None,
                 timeout: float) -> None:
        self._hostname = host
        netloc = f"[{host}]" if ":" in host else host
        self.where = f"{user}@{netloc}:{port}"
        self._spec = f"ssh://{user}@{netloc}:{port}"
        self._key, self._known_hosts = key_path, known_hosts
        self._timeout = max(1, math.ceil(timeout))
        self._control_dir: str | None = None
        self._host: Any = None

    # -- the testinfra Host --------------------------------------------------------------------------
    @property
    def known_hosts_name(self) -> str:
        return f"known_hosts {self._known_hosts}" if self._known_hosts is not None else SYSTEM_KNOWN_HOSTS

    @property
    def host(self) -> Any:
        """The testinfra Host (``testinfra.host.Host``) on the router: ``host.run``, ``host.file``, ..."""
        if self._host is None:
            self._check_inputs()
            self._control_dir = tempfile.mkdtemp(prefix="home-ops-ssh-")   # 0700: the master's socket
            self._host = testinfra.get_host(
                self._spec, connection="ssh", ssh_identity_file=str(self._key) if self._key else None,
                ssh_extra_args=" ".join(self.ssh_options()), timeout=self._timeout,
                controlpath=str(Path(self._control_dir) / "master"), controlpersist=CONTROL_PERSIST_S)
        return self._host

    def ssh_options(self) -> list[str]:
        """The ``-o`` options this runner adds to testinfra's (shell-quoted, as testinfra inserts them)."""
        options = ["BatchMode=yes", "StrictHostKeyChecking=yes", "UpdateHostKeys=no",
                   f"ServerAliveInterval={max(1, self._timeout // 3)}", "ServerAliveCountMax=3"]
        if self._known_hosts is not None:
            # ssh expands %-tokens in the path; testinfra's own %-formatting halves '%%' once more
            path = str(self._known_hosts).replace("%", "%%")
            options += [f"UserKnownHostsFile={path}", "GlobalKnownHostsFile=/dev/null"]
        if self._key is not None:
            options.append("IdentitiesOnly=yes")
        return [f"-o {shlex.quote(o)}" for o in options]

    def _check_inputs(self) -> None:
        if shutil.which("ssh") is None:
            raise ConfigError(f"SSH to {self.where}: the OpenSSH client (ssh) is not installed; "
                              "install it (Debian: apt-get install openssh-client)")
        if self._key is not None and not self._key.is_file():
            raise ConfigError(f"SSH key for {self.where}: {self._key} is not a file")
        if self._known_hosts is not None:
            if not self._known_hosts.is_file():
                raise ConfigError(f"known_hosts for {self.where}: {self._known_hosts} is not a file")
            if any(c.isspace() for c in str(self._known_hosts)):
                raise ConfigError(f"known_hosts for {self.where}: {self._known_hosts}: OpenSSH splits "
                                  "UserKnownHostsFile at blanks; use a path without them")

    # -- commands ------------------------------------------------------------------------------------
    def run(self, command: str) -> str:
        """Run ``command``; its stdout (UTF-8), or RouterError naming host, command and ssh's reason."""
        host = self.host
        try:
            result = host.run(command)
        except RuntimeError as exc:          # testinfra: ssh itself failed (exit status 255)
            raise RouterError(self.explain(command, _stderr_of(exc))) from exc
        except OSError as exc:               # the local shell could not be started
            raise RouterError(f"SSH to {self.where} ({command!r}): cannot run ssh: {exc}") from exc
        stdout = bytes(result.stdout_bytes).decode("utf-8", "replace")
        if result.rc != 0:
            err = bytes(result.stderr_bytes).decode("utf-8", "replace").strip()
            last = err.splitlines()[-1] if err else "no error output"
            raise RouterError(f"{command!r} on {self.where} exited {result.rc}: {last}")
        return stdout

    def explain(self, command: str, stderr: str) -> str:
        """One line for an ssh failure (exit 255) from what ssh wrote to stderr."""
        lead = f"SSH to {self.where} ({command!r})"
        text = stderr.replace("\r", "")
        if _CHANGED.search(text):
            offending = _OFFENDING.search(text)
            where = f"{offending[1]}:{offending[2]}" if offending else self.known_hosts_name
            return (f"{lead}: host key refused: the key {self._hostname} presented does not match {where} "
                    "(StrictHostKeyChecking=yes); fix: if the router was reinstalled, check its new key out of "
                    "band and replace that entry, else something else answers at its address")
        if (unknown := _UNKNOWN.search(text)) is not None:
            return (f"{lead}: host key refused: {unknown[1]} is not in {self.known_hosts_name} "
                    "(StrictHostKeyChecking=yes); fix: add the router's host key there, its fingerprint "
                    "checked out of band (--router-known-hosts names the file)")
        if "Host key verification failed" in text:
            return (f"{lead}: host key refused by {self.known_hosts_name} (StrictHostKeyChecking=yes): "
                    f"{_last_line(text)}")
        if (too_open := _TOO_OPEN.search(text)) is not None:
            return f"{lead}: ssh ignores the key {too_open[2]}: permissions {too_open[1]} are too open; fix: chmod 600"
        if (load := _LOAD_KEY.search(text)) is not None:
            return f"{lead}: ssh cannot use the key {load[1]}: {load[2]}"
        if "Permission denied" in text:
            key = f"the key {self._key}" if self._key else "no key offered (agent or default keys)"
            return (f"{lead}: {key} was refused ({_last_line(text).split(': ', 1)[-1]}); fix: add its public half "
                    "to the router's authorized_keys, or give the right one with --router-key")
        for line in text.splitlines():
            if (found := _CONNECT.search(line.strip())) is not None:
                return f"{lead}: cannot connect: {found[1] or found[2]}"
        return f"{lead}: ssh failed: {_last_line(text) or f'exit status {SSH_FAILED}, no error output'}"

    # -- lifetime ------------------------------------------------------------------------------------
    def close(self) -> None:
        """End the master connection (if one is up) and remove its private directory."""
        if self._host is not None and self._control_dir is not None:
            socket = Path(self._control_dir) / "master"
            if socket.exists():
                self._host.backend.run_local("ssh -o ControlPath=%s -O exit %s", str(socket), self._hostname)
        if self._control_dir is not None:
            shutil.rmtree(self._control_dir, ignore_errors=True)
        self._host, self._control_dir = None, None

    def __enter__(self) -> SshRunner:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _stderr_of(exc: RuntimeError) -> str:
    """The stderr of the CommandResult testinfra raised with (bytes or text), else the exception's text."""
    result = exc.args[0] if exc.args else None
    raw = getattr(result, "stderr_bytes", None)
    if isinstance(raw, bytes):
        return raw.decode("utf-8", "replace")
    return str(exc)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
