"""Where a GitOps repo disagrees with the cluster profile, as a list a reviewer can act on.

    drifts = drift(load_profile(Path("fixtures/profiles/home-ops.yaml")), RepoState.open(Path("talos-gitops")))
    print(render_drift_markdown(drifts))      # | field | profile | repo | where |

Each entry names the profile field (the requirement), the value the profile (the architecture)
requires, the value the repo declares, and the repo file (with its Flux Kustomization). A finding is
identified by requirement and subject (``key``), never by its text: the subject is the repo object or
declaration it is about (given by the check, else the file of ``where``), so a value that changes
again is the same finding, and a baseline can tell new from existing ones. Entries from files nothing
applies (``applied=False``: a Talos patch talconfig.yaml does not reference) are reported apart and
never judged. The rules are the ``CHECKS`` of the modules of harness.rules (``repo_rules``).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import harness.rules
from harness.model.profile import Profile
from harness.repo.state import RepoState
from harness.rules.findings import Drift

Check = Callable[[Profile, RepoState], list[Drift]]

__all__ = ["Drift", "drift", "render_drift_markdown"]


def repo_rules() -> tuple[Check, ...]:
    """The repo rules: the ``CHECKS`` of every module of harness.rules (each declares the requirements
    its findings name), in module order. A new rule module needs no registration elsewhere."""
    checks: list[Check] = []
    for info in sorted(pkgutil.iter_modules(harness.rules.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"harness.rules.{info.name}")
        checks += getattr(module, "CHECKS", ())
    return tuple(checks)


def drift(profile: Profile, repo: RepoState) -> list[Drift]:
    found: list[Drift] = []
    for check in repo_rules():
        found += check(profile, repo)
    return list(dict.fromkeys(found))


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
