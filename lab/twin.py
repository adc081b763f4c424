"""The twin: what a lab built from a GitOps repo takes from the repo, and from where.

    twin = RepoTwin.open(profile, Path("talos-gitops"))
    twin.router_config        # the repo's FRR file, text as written: the udm loads it verbatim
    twin.sessions             # "per-family" when the router file has the nodes' IPv6 neighbours
    twin.cilium_version       # the release the repo's HelmRelease (or Taskfile) pins
    twin.provenance           # {"router configuration": "udm-pro-bgp-no-auth.conf", ...} for `lab status`

The Kubernetes objects (pools, BGP objects, the ingress controller's Service, Namespaces, Ingresses)
are applied by the harness's bootstrap module in the repo's Flux dependency order
(provisioning/twin.py), as Flux would apply them. What the repo cannot say comes from the profile
(addresses it gives no node, the client segment) or the lab's hardware defaults (disk models), and
the provenance says which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.model.cilium_versions import CiliumVersion
from harness.model.profile import Profile
from harness.repo import RepoState
from harness.repo.cilium import CiliumValues
from harness.rules.repo_network import installed_cilium
from lab.net.spec import IPV4_CARRIES_BOTH, PER_FAMILY


@dataclass(frozen=True)
class RepoTwin:
    repo: Path
    router_config: str | None
    router_file: str
    sessions: str
    cilium_version: CiliumVersion
    cilium_values: CiliumValues | None
    provenance: dict[str, str] = field(default_factory=dict)

    @classmethod
    def open(cls, profile: Profile, repo_path: Path) -> RepoTwin:
        repo = RepoState.open(repo_path, cluster=profile.cluster_name, router_config=profile.bgp.router.config_file)
        prov: dict[str, str] = {}
        router_file = profile.bgp.router.config_file or ""
        text = None
        if router_file and (repo.root / router_file).is_file():
            text = (repo.root / router_file).read_text(encoding="utf-8")
            prov["router configuration"] = f"{router_file} (verbatim)"
        else:
            prov["router configuration"] = f"the lab's own (the repo has none: {repo.router_absent or 'no file'})"
        sessions = _sessions(profile, repo)
        prov["BGP sessions"] = (f"{sessions}, from the neighbours in {router_file}" if text is not None
                                else f"{profile.bgp.sessions}, from the profile")
        installed = installed_cilium(repo)
        version = installed.version if installed is not None and installed.version is not None else None
        if version is not None and installed is not None:
            prov["Cilium release"] = f"{version} ({installed.where})"
        else:
            version = profile.cilium.version
            prov["Cilium release"] = f"{version} (the profile: the repo pins no single release)"
        sourced = repo.cilium_values()
        prov["Cilium settings"] = str(sourced.origin) if sourced is not None else \
            "the profile (no readable source of Cilium's values in the repo)"
        prov["Kubernetes objects"] = "the repo's rendered manifests, in Flux dependsOn order"
        prov["node names and addresses"] = "the profile (talconfig gives no IPv6 node addresses)"
        prov["disks"] = ("the lab's hardware defaults (lab/talos/hardware.py): a repo does not say which disks a "
                         "machine has")
        return cls(repo.root, text, router_file, sessions, version,
                   sourced.value if sourced is not None else None, prov)

    def manifest(self, rejected: tuple[str, ...], notes: tuple[str, ...]) -> dict[str, Any]:
        return {"repo": str(self.repo), "provenance": self.provenance,
                "router_config_rejected": list(rejected), "router_config_notes": list(notes)}


def _sessions(profile: Profile, repo: RepoState) -> str:
    """How BGP travels in the repo's router file: one session per family when some node's IPv6
    address is a neighbour with IPv6 unicast activated, else the IPv4 session carries both."""
    conf = repo.router
    if conf is None:
        return profile.bgp.sessions
    v6 = [str(a) for n in profile.nodes if (a := n.addresses.get("ipv6")) is not None]
    return PER_FAMILY if any(a in conf.peer_addresses and conf.is_active(a, "ipv6") for a in v6) \
        else IPV4_CARRIES_BOTH
