"""Scenario verdicts for a GitOps repo checkout: the drift entries each repo-judgeable scenario owns.

    judge = RepoJudge.open(profile, Path("talos-gitops"))
    judge.pool_problems()        # ["lb_pools[bgp-reserved].blocks: profile requires ...; repo has ... (file)"]
    judge.unclaimed()            # drift no scenario judges: reported in the drift report only

Each repo-judgeable scenario judges one slice of the drift report (a profile field family), so a broken
repo fails exactly the scenario whose required state it breaks, naming file and object.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.profile import Profile
from harness.repo import Drift, RepoState, drift, render_drift_markdown

Field = Callable[[str], bool]
UNREFERENCED = "not referenced by talconfig.yaml"

SLICES: dict[str, Field] = {
    "pools": lambda f: (f.startswith("lb_pools[") and "(extra)" not in f and "router" not in f)
    or f.startswith("networks.load_balancer"),
    "overlap": lambda f: f == "lb_pools (overlap)",
    "ingress": lambda f: f.startswith("ingress."),
    "bgp": lambda f: f.startswith("bgp") or "accepted by the router" in f,
    "outpost": lambda f: f.startswith("identity."),
    "install_disk": lambda f: f == "disks.install_disk_model",
    "user_volume_disk": lambda f: f.startswith("disks.user_volume[") and f.endswith("diskSelector"),
    "user_volume_fs": lambda f: f.startswith("disks.user_volume[") and f.endswith("filesystem"),
    "kube_proxy": lambda f: f.startswith("cluster.kube_proxy"),
}


def _encryption(volume: str) -> Field:
    return lambda f: f == f"disks.encryption.{volume}"


def _pods(family: str) -> Field:
    return lambda f: f.startswith((f"networks.pod_mask_sizes.{family}", f"networks.pods.{family}",
                                   f"cilium {family} pod CIDR"))


@dataclass(frozen=True)
class RepoJudge:
    repo: RepoState
    drifts: tuple[Drift, ...]

    @classmethod
    def open(cls, profile: Profile, path: Path) -> RepoJudge:
        repo = RepoState.open(path, cluster=profile.cluster_name)
        return cls(repo, tuple(drift(profile, repo)))

    @property
    def where(self) -> str:
        return f"repo {self.repo.root}"

    def _slice(self, owns: Field) -> list[str]:
        """Drift in effect: a Talos patch file talhelper does not apply stays in the report only."""
        return [str(d) for d in self.drifts if owns(d.field) and UNREFERENCED not in d.where]

    def problems(self, judgement: str) -> list[str]:
        return self._slice(SLICES[judgement])

    def encryption_problems(self, volume: str) -> list[str]:
        return self._slice(_encryption(volume))

    def pod_cidr_problems(self, family: str) -> list[str]:
        return self._slice(_pods(family))

    def unclaimed(self) -> list[Drift]:
        owners = [*SLICES.values(), _encryption("STATE"), _encryption("EPHEMERAL"), _pods("ipv4"), _pods("ipv6")]
        return [d for d in self.drifts if not any(owns(d.field) for owns in owners)]

    def report(self) -> str:
        gaps = "".join(f"\n- {g.file}: {g.missing}" for g in self.repo.gaps)
        return (render_drift_markdown(list(self.drifts))
                + (f"\n\nNot evaluated (missing or unsupported in the repo):{gaps}" if gaps else ""))
