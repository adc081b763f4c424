"""What a run is pointed at: the lab, a live cluster, or a GitOps repo checkout.

    target = Target.live(Path("~/.kube/config"), context="admin@home-ops", allow_mutation=False)
    target = Target.from_lab_dir(Path(".lab"))          # endpoints the running lab published
    target.kind is TargetKind.LAB, target.lab.client_netns   # what only a lab has: typed, in one place

One set of probes serves every target: the lab only provides endpoints and credentials (the ingress CA
as ``ca_bundle``, a test account as ``authentik_login``, as a live run gets them from options), and
what only a lab has (its folder, the network namespace probes run in) is ``Target.lab``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

from harness.core.errors import ConfigError

LAB_MANIFEST = "lab.json"


@dataclass(frozen=True)
class SshEndpoint:
    host: str
    port: int
    user: str
    key_path: Path | None
    known_hosts: Path | None


class TargetKind(StrEnum):
    LAB = "lab"          # the embedded lab (started by the run, or --lab-dir)
    TWIN = "twin"        # the lab built from a GitOps checkout (--repo): its router, Cilium and objects
    LIVE = "live"        # a cluster (--kubeconfig), its router and Talos API
    REPO = "repo"        # a GitOps checkout, judged offline


@dataclass(frozen=True)
class LabEndpoints:
    """What only a lab has: its folder (for ``python -m lab``) and the network namespace its endpoints
    are reached from (the harness probes from there; nothing of a lab is reachable from the host)."""

    lab_dir: Path
    client_netns: str | None = None
    fresh: bool = False                        # started by this run: provisioning bootstraps it
    twin_repo: Path | None = None              # a twin: the GitOps checkout it is built from


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    kubeconfig: Path | None = None
    context: str | None = None
    allow_mutation: bool = False
    repo: Path | None = None
    router_ssh: SshEndpoint | None = None
    talosconfig: Path | None = None
    talos_context: str | None = None
    ca_bundle: Path | None = None              # CA that signs the ingress certificates
    authentik_login: Path | None = None        # a test account's credentials file (the lab writes one)
    lab: LabEndpoints | None = None

    def with_fresh_lab(self) -> Target:
        assert self.lab is not None, "only a lab target can be a fresh lab"
        return replace(self, lab=replace(self.lab, fresh=True))

    @property
    def lab_dir(self) -> Path | None:
        return self.lab.lab_dir if self.lab else None

    @property
    def client_netns(self) -> str | None:
        return self.lab.client_netns if self.lab else None

    @property
    def fresh_lab(self) -> bool:
        return self.lab is not None and self.lab.fresh

    @classmethod
    def live(cls, kubeconfig: Path, context: str | None, allow_mutation: bool,
             router_ssh: SshEndpoint | None = None, talosconfig: Path | None = None,
             talos_context: str | None = None, ca_bundle: Path | None = None) -> Target:
        for option, path in (("--kubeconfig", kubeconfig), ("--talosconfig", talosconfig),
                             ("--ca-bundle", ca_bundle)):
            if path is not None and not path.is_file():
                raise ConfigError(f"{option} {path}: no such file")
        return cls(TargetKind.LIVE, kubeconfig, context, allow_mutation, router_ssh=router_ssh,
                   talosconfig=talosconfig, talos_context=talos_context, ca_bundle=ca_bundle)

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

        def path(key: str) -> Path | None:
            return Path(doc[key]) if doc.get(key) else None
        try:
            return cls(
                TargetKind.TWIN if doc.get("twin") else TargetKind.LAB, Path(doc["kubeconfig"]), doc.get("context"),
                True,
                router_ssh=SshEndpoint(ssh["host"], int(ssh["port"]), ssh["user"], Path(ssh["key_path"]),
                                       Path(ssh["known_hosts"])) if ssh else None,
                talosconfig=path("talosconfig"), ca_bundle=path("ca_cert"), authentik_login=path("authentik_login"),
                lab=LabEndpoints(lab_dir, doc.get("client_netns"),
                                 twin_repo=Path(doc["twin"]["repo"]) if doc.get("twin") else None))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{manifest}: unreadable lab manifest: missing or malformed {exc}") from exc
