"""What a run is pointed at: the lab, a live cluster, or a GitOps repo checkout.

    target = Target.live(Path("~/.kube/config"), context="admin@home-ops", allow_mutation=False)
    target = Target.from_lab_dir(Path(".lab"))          # endpoints the running lab published

One set of probes serves every target: the lab only provides endpoints and credentials.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError

LAB_MANIFEST = "lab.json"


@dataclass(frozen=True)
class SshEndpoint:
    host: str
    port: int
    user: str
    key_path: Path | None
    known_hosts: Path | None


@dataclass(frozen=True)
class Target:
    kind: str                                  # "lab" | "live" | "repo"
    kubeconfig: Path | None = None
    context: str | None = None
    allow_mutation: bool = False
    lab_dir: Path | None = None
    repo: Path | None = None
    router_ssh: SshEndpoint | None = None
    talosconfig: Path | None = None
    talos_context: str | None = None
    ca_bundle: Path | None = None              # CA that signs the ingress certificates (live)
    client_netns: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    fresh_lab: bool = False                    # started by this run: provisioning bootstraps it

    def with_fresh_lab(self) -> Target:
        return replace(self, fresh_lab=True)

    @property
    def is_lab(self) -> bool:
        return self.kind == "lab"

    @classmethod
    def live(cls, kubeconfig: Path, context: str | None, allow_mutation: bool,
             router_ssh: SshEndpoint | None = None, talosconfig: Path | None = None,
             talos_context: str | None = None, ca_bundle: Path | None = None) -> Target:
        for option, path in (("--kubeconfig", kubeconfig), ("--talosconfig", talosconfig),
                             ("--ca-bundle", ca_bundle)):
            if path is not None and not path.is_file():
                raise ConfigError(f"{option} {path}: no such file")
        return cls("live", kubeconfig, context, allow_mutation, router_ssh=router_ssh, talosconfig=talosconfig,
                   talos_context=talos_context, ca_bundle=ca_bundle)

    @classmethod
    def from_lab_dir(cls, lab_dir: Path) -> Target:
        """Read the endpoints a running lab published in ``lab_dir/lab.json``."""
        manifest = lab_dir / LAB_MANIFEST
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"--lab-dir {lab_dir}: no running lab there ({LAB_MANIFEST} missing)") from exc
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{manifest}: unreadable lab manifest: {exc}") from exc
        ssh = doc.get("router_ssh")
        return cls(
            "lab", Path(doc["kubeconfig"]), doc.get("context"), True, lab_dir=lab_dir,
            router_ssh=SshEndpoint(ssh["host"], int(ssh["port"]), ssh["user"], Path(ssh["key_path"]),
                                   Path(ssh["known_hosts"])) if ssh else None,
            talosconfig=Path(doc["talosconfig"]) if doc.get("talosconfig") else None,
            client_netns=doc.get("client_netns"),
            extra={k: v for k, v in doc.items() if k not in {"kubeconfig", "router_ssh", "talosconfig"}},
        )
