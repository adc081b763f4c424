"""SSH command runner: the only module that imports paramiko (used to read the router).

    with SshRunner(host="172.29.51.1", port=22, user="root", key_path=key, known_hosts=kh, timeout=10) as ssh:
        text = ssh.run("vtysh -c 'show bgp summary json'")

Host keys are always verified against a known_hosts file (RejectPolicy): testinfra's paramiko
backend accepts unknown host keys with a warning, which a gate against the owner's router must not.
Errors are one line naming user@host:port, never the key.
"""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

import paramiko

from harness.errors import ConfigError, RouterError


class SshRunner:
    def __init__(self, *, host: str, port: int, user: str, key_path: Path | None, known_hosts: Path | None,
                 timeout: float) -> None:
        self.where = f"{user}@{host}:{port}"
        self._host, self._port, self._user = host, port, user
        self._key, self._known_hosts, self._timeout = key_path, known_hosts, timeout
        self._client: paramiko.SSHClient | None = None

    def _connect(self) -> paramiko.SSHClient:
        if self._client is not None and self._client.get_transport() is not None:
            transport = self._client.get_transport()
            if transport is not None and transport.is_active():
                return self._client
        if self._key is not None and not self._key.is_file():
            raise ConfigError(f"SSH key for {self.where}: {self._key} is not a file")
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            if self._known_hosts is not None:
                client.load_host_keys(str(self._known_hosts))
            else:
                client.load_system_host_keys()
            client.connect(self._host, port=self._port, username=self._user,
                           key_filename=str(self._key) if self._key else None, timeout=self._timeout,
                           banner_timeout=self._timeout, auth_timeout=self._timeout,
                           allow_agent=self._key is None, look_for_keys=self._key is None)
        except paramiko.AuthenticationException:
            raise RouterError(f"SSH to {self.where}: the key was refused") from None
        except paramiko.SSHException as exc:
            raise RouterError(f"SSH to {self.where}: {_first_line(exc)}") from None
        except (TimeoutError, OSError) as exc:
            raise RouterError(f"SSH to {self.where}: cannot connect: {exc.strerror or exc}") from None
        self._client = client
        return client

    def run(self, command: str, timeout: float | None = None) -> str:
        """Run a command; its stdout, or RouterError naming the command and its stderr.

        One retry on a fresh connection, for the one known-transient failure: a session channel
        that could not be opened (the server busy, or the old connection half dead).
        """
        try:
            out, err, code = self._exec(command, timeout or self._timeout)
        except paramiko.ChannelException:
            self.close()
            out, err, code = self._retry(command, timeout or self._timeout)
        except (TimeoutError, paramiko.SSHException, OSError) as exc:
            if "opening channel" not in str(exc):
                self.close()
                raise RouterError(f"SSH to {self.where}: {command!r} failed: {_first_line(exc)}") from None
            self.close()
            out, err, code = self._retry(command, timeout or self._timeout)
        if code != 0:
            raise RouterError(f"{command!r} on {self.where} exited {code}: {err.splitlines()[-1] if err else ''}")
        return out

    def _exec(self, command: str, budget: float) -> tuple[str, str, int]:
        _, stdout, stderr = self._connect().exec_command(command, timeout=budget)
        try:
            out = str(stdout.read().decode("utf-8", "replace"))
            err = str(stderr.read().decode("utf-8", "replace")).strip()
            return out, err, int(stdout.channel.recv_exit_status())
        finally:
            stdout.channel.close()   # sshd counts open sessions per connection (MaxSessions)

    def _retry(self, command: str, budget: float) -> tuple[str, str, int]:
        try:
            return self._exec(command, budget)
        except (TimeoutError, paramiko.SSHException, OSError) as exc:
            self.close()
            raise RouterError(f"SSH to {self.where}: {command!r} failed: {_first_line(exc)}") from None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def __enter__(self) -> SshRunner:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
