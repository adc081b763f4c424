"""A finding about a GitOps repo: the requirement it breaks, what the profile requires, what the repo has.

    Drift(Requirement.POOLS, "lb_pools[bgp-default].blocks", "172.29.52.50-172.29.52.99",
          "172.29.52.60-172.29.52.99", "infrastructure/cilium-pools/loadbalancer-pools.yaml")

A finding is identified by field and subject (``key``), never by its text: the subject is the repo
object or declaration it is about (given by the check, else the file of ``where``), so a value that
changes again is the same finding, and a baseline can tell new from existing ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.rules.requirements import Requirement

_VIA = re.compile(r"\s*\((?:Flux Kustomization [^)]*|applied by no Flux Kustomization|not referenced[^)]*)\)$")


@dataclass(frozen=True)
class Drift:
    requirement: Requirement     # the one scenario that fails on it (Requirement.scenario)
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
