"""Where a GitOps repo disagrees with the cluster profile, as a list a reviewer can act on.

    drifts = drift(load_profile(Path("fixtures/profiles/home-ops.yaml")), RepoState.open(Path("talos-gitops")))
    print(render_drift_markdown(drifts))      # | field | profile | repo | where |

Each entry names the profile field, the value the profile (the architecture) requires, the value the
repo declares, and the repo file (with its Flux Kustomization, or "not referenced" for Talos patch
files talhelper does not apply). The checks live in drift_network.py and drift_apps.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.profile import Profile
from harness.repo.state import RepoState


@dataclass(frozen=True)
class Drift:
    field: str
    profile_value: str
    repo_value: str
    where: str

    def __str__(self) -> str:
        return f"{self.field}: profile requires {self.profile_value}; repo has {self.repo_value} ({self.where})"


def drift(profile: Profile, repo: RepoState) -> list[Drift]:
    from harness.repo import drift_apps, drift_network
    found: list[Drift] = []
    for check in (*drift_network.CHECKS, *drift_apps.CHECKS):
        found += check(profile, repo)
    return list(dict.fromkeys(found))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_drift_markdown(drifts: list[Drift]) -> str:
    if not drifts:
        return "No drift: the repo agrees with the profile on every checked value.\n"
    lines = ["| field | profile | repo | where |", "|---|---|---|---|"]
    lines += [f"| {_cell(d.field)} | {_cell(d.profile_value)} | {_cell(d.repo_value)} | {_cell(d.where)} |"
              for d in drifts]
    return "\n".join(lines) + "\n"
