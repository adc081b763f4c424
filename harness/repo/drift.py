"""Where a GitOps repo disagrees with the cluster profile, as a list a reviewer can act on.

    drifts = drift(load_profile(Path("fixtures/profiles/home-ops.yaml")), RepoState.open(Path("talos-gitops")))
    print(render_drift_markdown(drifts))      # | field | profile | repo | where |

Each entry names the profile field (the requirement), the value the profile (the architecture)
requires, the value the repo declares, and the repo file (with its Flux Kustomization). A finding is
identified by requirement and subject (``key``), never by its text: the subject is the repo object or
declaration it is about (given by the check, else the file of ``where``), so a value that changes
again is the same finding, and a baseline can tell new from existing ones. Entries from files nothing
applies (``applied=False``: a Talos patch talconfig.yaml does not reference) are reported apart and
never judged. The checks live in drift_network.py, drift_bgp.py and drift_apps.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.profile import Profile
from harness.repo.state import RepoState

_VIA = re.compile(r"\s*\((?:Flux Kustomization [^)]*|applied by no Flux Kustomization|not referenced[^)]*)\)$")


@dataclass(frozen=True)
class Drift:
    field: str
    profile_value: str
    repo_value: str
    where: str
    subject: str = ""            # what in the repo the finding is about; default: the file of ``where``
    applied: bool = True         # False: declared in a file nothing applies (listed, never judged)

    def __str__(self) -> str:
        return f"{self.field}: profile requires {self.profile_value}; repo has {self.repo_value} ({self.where})"

    @property
    def key(self) -> tuple[str, str]:
        """Requirement and subject: what a baseline compares (never the values or the wording)."""
        return self.field, self.subject or _VIA.sub("", self.where).strip()


def drift(profile: Profile, repo: RepoState) -> list[Drift]:
    from harness.repo import architecture_rules, drift_apps, drift_bgp, drift_network
    found: list[Drift] = []
    for check in (*drift_network.CHECKS, *drift_bgp.CHECKS, *drift_apps.CHECKS, *architecture_rules.CHECKS):
        found += check(profile, repo)
    return list(dict.fromkeys(_applied(d) for d in found))


def _applied(entry: Drift) -> Drift:
    """Talos declarations talhelper does not apply say so in ``where``; they are never judged."""
    if entry.applied and "not referenced" in entry.where:
        return Drift(entry.field, entry.profile_value, entry.repo_value, entry.where, entry.subject, False)
    return entry


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_drift_markdown(drifts: list[Drift]) -> str:
    judged = [d for d in drifts if d.applied]
    if not judged:
        text = "No drift: the repo agrees with the profile on every checked value.\n"
    else:
        lines = ["| field | profile | repo | where |", "|---|---|---|---|"]
        lines += [f"| {_cell(d.field)} | {_cell(d.profile_value)} | {_cell(d.repo_value)} | {_cell(d.where)} |"
                  for d in judged]
        text = "\n".join(lines) + "\n"
    unapplied = [d for d in drifts if not d.applied]
    if unapplied:
        text += "\nDeclared in files nothing applies (not judged):\n"
        text += "".join(f"- {d.where}: {d.field} {d.repo_value} (profile: {d.profile_value})\n" for d in unapplied)
    return text
