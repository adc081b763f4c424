"""Keys and configuration for the udm's sshd, and the endpoint clients use.

    endpoint = prepare_sshd(spec, state_dir / "ssh")   # keys, sshd_config, known_hosts
    # ssh -i endpoint.key_path -o UserKnownHostsFile=endpoint.known_hosts_path root@host

Per-lab Ed25519 keys: a host key and a client key whose public half is the only entry
in authorized_keys. The known_hosts file pins the host key for every udm address.
sshd options: https://man.openbsd.org/sshd_config
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lab.net.netns import run
from lab.net.spec import NetworkSpec


@dataclass(frozen=True)
class SshEndpoint:
    """How a client in the client namespace reaches the router over SSH."""

    host: str
    port: int
    user: str
    key_path: Path
    known_hosts_path: Path

    def argv(self, command: str) -> list[str]:
        """An ``ssh`` argv that runs ``command`` on the router, non-interactively."""
        return [
            "ssh", "-i", str(self.key_path), "-p", str(self.port),
            "-o", f"UserKnownHostsFile={self.known_hosts_path}",
            "-o", "StrictHostKeyChecking=yes", "-o", "BatchMode=yes",
            "-o", "ConnectTimeout=5", f"{self.user}@{self.host}", command,
        ]


def router_addresses(spec: NetworkSpec) -> list[str]:
    r = spec.router
    return [str(i.ip) for i in (r.client_ipv4, r.ipv4, r.client_ipv6, r.ipv6)]


def prepare_sshd(spec: NetworkSpec, ssh_dir: Path, port: int = 22) -> SshEndpoint:
    """Write keys, sshd_config and known_hosts under ``ssh_dir``; idempotent."""
    ssh_dir.mkdir(parents=True, exist_ok=True)
    host_key = _keypair(ssh_dir / "ssh_host_ed25519_key", "udm host key")
    client_key = _keypair(ssh_dir / "id_ed25519", "lab client key")
    (ssh_dir / "authorized_keys").write_text(_public(client_key))
    host_pub = _public(host_key).split()[:2]
    known_hosts = ssh_dir / "known_hosts"
    known_hosts.write_text("".join(
        f"{_host_pattern(addr, port)} {' '.join(host_pub)}\n" for addr in router_addresses(spec)
    ))
    (ssh_dir / "sshd_config").write_text(_sshd_config(spec, ssh_dir, host_key, port))
    return SshEndpoint(
        host=str(spec.router.client_ipv4.ip), port=port, user="root",
        key_path=client_key, known_hosts_path=known_hosts,
    )


def _keypair(path: Path, comment: str) -> Path:
    if not path.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return path


def _public(key: Path) -> str:
    return key.with_name(key.name + ".pub").read_text()


def _host_pattern(addr: str, port: int) -> str:
    return addr if port == 22 else f"[{addr}]:{port}"


def _sshd_config(spec: NetworkSpec, ssh_dir: Path, host_key: Path, port: int) -> str:
    listen = [f"ListenAddress {addr}" for addr in router_addresses(spec)]
    return "\n".join([
        f"Port {port}",
        *listen,
        f"HostKey {host_key}",
        f"AuthorizedKeysFile {ssh_dir / 'authorized_keys'}",
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        # the state dir may live under a world-writable /tmp; keys are still 0600
        "StrictModes no",
        "PidFile none",
        "PrintMotd no",
        "AcceptEnv LANG LC_*",
        "",
    ])
