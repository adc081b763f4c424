"""Scenario verdicts for a GitOps repo checkout: the drift entries each repo-judgeable scenario owns.

    judge = RepoJudge.open(profile, Path("talos-gitops"))
    judge.problems(Requirement.POOLS)   # ["lb_pools[bgp-reserved].blocks: profile requires ...; repo has ... (file)"]
    judge.verdict(Requirement.POOLS)    # the same, with a skip reason when the repo lacks the evidence
    judge.against(RepoJudge.open(profile, baseline_checkout), "origin/main").problems(Requirement.POOLS)  # new only
    judge.rows()                        # every drift with its file, line (where known) and requirement

Every finding names its requirement (``Drift.requirement``) and each requirement is owned by one
scenario (``Requirement.scenario``), so a broken repo fails exactly the scenario whose required state
it breaks, naming file and object; no finding can go unjudged. A scenario
whose evidence the repo lacks (no talconfig.yaml, no source of Cilium's values, no router config, an
Ingress only a chart's output would show) and that has nothing failing is skipped with the reason,
never passed. Against a baseline (``against``), a finding already present there (same requirement and
subject, ``Drift.key``) is existing debt: listed, not failed; only the findings the change introduces
fail their scenario, each named as new.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import pytest
import yaml

from harness.model.profile import Profile
from harness.repo import RepoState
from harness.repo.state import CILIUM_INSTALL, TALCONFIG
from harness.repo.types import BROKEN, MISSING
from harness.rules import repo_platform
from harness.rules.cluster_config import vip_address
from harness.rules.drift import Drift, drift, render_drift_markdown
from harness.rules.repo_apps import chart_ingresses_unknown
from harness.rules.repo_architecture import CONTROL_PLANE_VIP
from harness.rules.repo_network import installed_cilium
from harness.rules.requirements import Requirement as R

Key = tuple[str, str]
UNREFERENCED = "not referenced by talconfig.yaml"
NODE_DISKS = (R.INSTALL_DISK, R.USER_VOLUME_DISK, R.USER_VOLUME_FS, R.ENCRYPTION_STATE, R.ENCRYPTION_EPHEMERAL)
GATE_KINDS = ("CiliumLoadBalancerIPPool", "CiliumBGPPeeringPolicy", "CiliumBGPClusterConfig", "CiliumBGPPeerConfig",
              "CiliumBGPAdvertisement", "HelmRelease", "Ingress", "Service")
CILIUM_OWNERS = (R.PODS_IPV4, R.PODS_IPV6, R.KUBE_PROXY, R.BGP, R.CILIUM_SETTINGS, R.CILIUM_RELEASE)
FLUX_FED = (R.POOLS, R.OVERLAP, R.INGRESS, R.BGP, R.OUTPOST)
KIND_OWNERS = {"CiliumLoadBalancerIPPool": (R.POOLS, R.OVERLAP), "CiliumBGPPeeringPolicy": (R.BGP,),
               "CiliumBGPClusterConfig": (R.BGP,), "CiliumBGPPeerConfig": (R.BGP,),
               "CiliumBGPAdvertisement": (R.BGP,), "Ingress": (R.OUTPOST,)}
CHART_OWNERS = {"ingress-nginx": (R.INGRESS,), "cilium": CILIUM_OWNERS}
BUILD = "build"


def build_findings(repo: RepoState) -> list[Drift]:
    """Strict mode: a file the repo refers to but lacks, or a patch kustomize refuses, stops what reads
    it (a Flux Kustomization's build, talhelper, a Taskfile's helm install) and so is a finding of every
    scenario whose evidence that unit supplies (``build.<slice>``), else of the report only (``build``)."""
    found = []
    for gap in repo.gaps:
        if gap.kind not in (MISSING, BROKEN):
            continue
        where = gap.file + (f" (Flux Kustomization {gap.unit})" if gap.unit and gap.unit in _flux_units(repo) else "")
        for owner in _unit_owners(repo, gap.unit):   # no unit: nothing judged stops; listed with the gaps
            found.append(Drift(owner, f"{BUILD}.{owner}", "every file the repo refers to exists and builds",
                               f"{gap.missing}: {_stops(repo, gap.unit)} stops here", where,
                               subject=f"{gap.file}: {gap.missing}"))
    return found


def _flux_units(repo: RepoState) -> set[str]:
    return {"flux-system", *(k.name for k in repo.kustomizations)}


def _stops(repo: RepoState, unit: str | None) -> str:
    if unit == TALCONFIG:
        return "talhelper"
    if unit == CILIUM_INSTALL:
        return "helm (the bootstrap install of Cilium)"
    return f"the build of Flux Kustomization {unit}" if unit in _flux_units(repo) else "the build"


def _unit_owners(repo: RepoState, unit: str | None) -> tuple[R, ...]:
    if unit == TALCONFIG:
        return (*NODE_DISKS, R.KUBE_PROXY, R.CONTROL_PLANE, R.SERVICE_NETWORKS, CONTROL_PLANE_VIP)
    if unit == CILIUM_INSTALL:
        return CILIUM_OWNERS if not repo.releases_of_chart("cilium") else ()
    if unit is None:
        return ()
    units, queue = {unit}, [unit]
    while queue:             # a Kustomization that does not build applies none of the Kustomizations it holds
        current = queue.pop()
        for obj in repo.objects:
            if obj.origin.flux_kustomization == current and obj.kind == "Kustomization" and obj.name not in units:
                units.add(obj.name)
                queue.append(obj.name)
    owners: list[R] = []
    rendered = [o for o in repo.objects if o.origin.flux_kustomization in units]
    if not rendered:         # what it would apply is unknown: it may hold any of the Flux-applied evidence
        return FLUX_FED
    for obj in rendered:
        owners += KIND_OWNERS.get(obj.kind, ())
        if obj.kind == "HelmRelease":
            chart = str(((obj.obj.get("spec") or {}).get("chart") or {}).get("spec", {}).get("chart", ""))
            owners += CHART_OWNERS.get(chart, (R.OUTPOST,))
    return tuple(dict.fromkeys(owners))


class NotJudged(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The repo lacks the evidence a scenario needs and shows nothing failing: the scenario skips."""


@dataclass(frozen=True)
class Verdict:
    problems: tuple[str, ...]          # what fails the scenario (under a baseline: the new findings)
    skipped: str = ""                  # why it cannot be judged, when nothing fails
    debt: tuple[str, ...] = ()         # under a baseline: findings already there (listed, not failed)


@dataclass(frozen=True)
class DriftRow:
    """One drift entry placed for the report: the file ``where`` names (when it is exactly one file of
    the checkout), the line where known, and the judgement (slice) whose scenario fails on it."""

    drift: Drift
    file: str                 # repo-relative; "" when ``where`` names no single file
    line: int | None          # 1-based
    owner: R | None           # the requirement whose scenario fails on it; None: declared where nothing applies
    note: str = ""            # why no scenario judges it


@dataclass(frozen=True)
class RepoJudge:
    repo: RepoState
    drifts: tuple[Drift, ...]
    baseline: frozenset[Key] | None = None       # finding keys at the baseline; None: no baseline
    baseline_ref: str = ""
    baseline_drifts: tuple[Drift, ...] = field(default=())

    strict: bool = True
    profile: Profile | None = None               # what the platform scenarios need stated to be judged

    @classmethod
    def open(cls, profile: Profile, path: Path, cluster_dir: str | None = None, strict: bool = True,
             kubectl: str | None = None) -> RepoJudge:
        """``strict``: the checkout is complete (a commit), so what it refers to but lacks is a finding
        (``build_findings``); otherwise (a partial snapshot) such gaps are only listed. ``kubectl``: the
        real kustomize renders complete directories too, and wins where it differs."""
        repo = RepoState.open(path, cluster=profile.cluster_name, router_config=profile.bgp.router.config_file,
                              cluster_dir=cluster_dir, kubectl=kubectl)
        return cls(repo, tuple(drift(profile, repo) + (build_findings(repo) if strict else [])), strict=strict,
                   profile=profile)

    def against(self, baseline: RepoJudge, ref: str) -> RepoJudge:
        """This judge with ``baseline``'s findings as existing debt."""
        return replace(self, baseline=frozenset(d.key for d in baseline.drifts if d.applied), baseline_ref=ref,
                       baseline_drifts=tuple(d for d in baseline.drifts if d.applied))

    @property
    def where(self) -> str:
        return f"repo {self.repo.root}"

    # -- verdicts -------------------------------------------------------------------------------
    def findings(self, requirement: R | str) -> list[Drift]:
        """The judged findings of one requirement (files nothing applies are never judged)."""
        requirement = R.named(requirement)      # ConfigError names an unknown one
        return [d for d in self.drifts if d.applied and d.requirement is requirement]

    def is_new(self, finding: Drift) -> bool:
        return self.baseline is None or finding.key not in self.baseline

    def verdict(self, requirement: R | str) -> Verdict:
        requirement = R.named(requirement)      # ConfigError names an unknown one
        found = self.findings(requirement)
        new = [d for d in found if self.is_new(d)]
        debt = tuple(f"existing at {self.baseline_ref}: {d}" for d in found if not self.is_new(d))
        label = f"new since {self.baseline_ref}: " if self.baseline is not None else ""
        problems = tuple(f"{label}{d}" for d in new)
        return Verdict(problems, "" if problems or debt else self.missing_evidence(requirement), debt)

    def missing_evidence(self, requirement: R | str) -> str:
        """Why ``requirement``'s scenario cannot be judged from this repo ("" when it can)."""
        requirement = R.named(requirement)      # ConfigError names an unknown one
        repo = self.repo
        reasons = []
        if requirement in (*NODE_DISKS, R.CONTROL_PLANE, R.SERVICE_NETWORKS) and repo.talos is None:
            reasons.append("the repo has no talconfig.yaml: what Talos installs is not in it")
        cilium = repo.cilium_sources()
        readable = [s for s in cilium if s.values is not None]
        if requirement in (R.PODS_IPV4, R.PODS_IPV6, R.KUBE_PROXY, R.CILIUM_SETTINGS) and not readable:
            why = "; ".join(f"{s.where}: {s.unreadable}" for s in cilium) or \
                "no HelmRelease of chart cilium that Flux applies and no Taskfile task that helm-installs it"
            reasons.append(f"no readable source of Cilium's values ({why})")
        if requirement is R.CILIUM_RELEASE and installed_cilium(repo) is None:
            reasons.append("nothing in the repo installs Cilium (no applied HelmRelease of chart cilium, no "
                           "bootstrap helm install): the release is not in it")
        if requirement is R.KUBE_PROXY and repo.talos is None:
            reasons.append("the repo has no talconfig.yaml: whether Talos runs kube-proxy is not in it")
        if requirement in (R.BGP, R.OUTSIDE_IPV4, R.OUTSIDE_IPV6) and repo.router is None:
            reasons.append(f"the router's acceptance is not judged: {repo.router_absent}")
        if requirement in (R.OUTSIDE_IPV4, R.OUTSIDE_IPV6) and not readable:
            reasons.append("no readable source of Cilium's values: what Cilium exports (exportPodCIDR) is unknown")
        if requirement is R.OUTPOST:
            reasons += chart_ingresses_unknown(repo)
        if requirement is CONTROL_PLANE_VIP:
            if repo.talos is None:
                reasons.append("the repo has no talconfig.yaml: the control-plane VIP is not in it")
            if self.profile is not None and not vip_address(self.profile):
                reasons.append(f"profile {self.profile.source} gives no IP address as cluster.api_endpoint")
        if requirement in repo_platform.PLATFORM and self.profile is not None:
            reasons.append(repo_platform.missing_evidence(self.profile, repo, requirement))
        return "; ".join(r for r in reasons if r)

    def problems(self, requirement: R | str) -> list[str]:
        """The scenario's failures (``NotJudged``, a skip, when the repo lacks the evidence)."""
        requirement = R.named(requirement)      # ConfigError names an unknown one
        result = self.verdict(requirement)
        if result.skipped:
            raise NotJudged(f"not judged from {self.where}: {result.skipped}")
        return list(result.problems)

    def rows(self) -> tuple[DriftRow, ...]:
        """Every drift for the report, read-only: nothing is judged differently by asking."""
        out = []
        for d in self.drifts:
            owner: R | None = d.requirement
            note = ""
            if not d.applied:
                owner, note = None, f"{UNREFERENCED}: talhelper never applies it, so no scenario judges it"
            file, line = _place(self.repo.root, d)
            out.append(DriftRow(d, file, line, owner, note))
        return tuple(out)

    # -- the report -----------------------------------------------------------------------------
    def changes(self) -> tuple[list[Drift], list[Drift], list[Drift]]:
        """(new, fixed, unchanged) against the baseline; without one every finding is new."""
        judged = [d for d in self.drifts if d.applied]
        if self.baseline is None:
            return judged, [], []
        keys = {d.key for d in judged}
        return ([d for d in judged if d.key not in self.baseline], [d for d in self.baseline_drifts
                if d.key not in keys], [d for d in judged if d.key in self.baseline])

    def report(self) -> str:
        text = render_drift_markdown(list(self.drifts))
        if self.baseline is not None:
            new, fixed, unchanged = self.changes()
            text += f"\nAgainst the baseline {self.baseline_ref}: {len(new)} new, {len(fixed)} fixed, " \
                    f"{len(unchanged)} unchanged (existing debt, not failed)\n"
            for title, items in (("New (fail their scenario)", new), ("Fixed", fixed),
                                 ("Unchanged (existing debt)", unchanged)):
                text += f"\n{title}:\n" + ("".join(f"- [{d.requirement}] {d}\n"
                                                    for d in items) or "- none\n")
        unapplied = [o for o in self.repo.unapplied if o.kind in GATE_KINDS]
        if unapplied:
            text += "\nManifests no Flux Kustomization applies (not judged):\n"
            text += "".join(f"- {o.origin.file}: {o.ref}\n" for o in unapplied)
        skipped = {o: r for o in R.every() if (r := self.missing_evidence(o)) and not self.findings(o)}
        if skipped:
            text += "\nNot judged (the repo lacks the evidence):\n"
            text += "".join(f"- {o}: {r}\n" for o, r in skipped.items())
        if self.repo.real_kustomize:
            text += "\nRendered by kubectl kustomize where the gate's renderer differs:\n"
            text += "".join(f"- {c}\n" for c in self.repo.real_kustomize)
        gaps = "".join(f"\n- {g.file}: {g.missing}" for g in self.repo.gaps)
        return text + (f"\n\nNot evaluated (missing or unsupported in the repo):{gaps}" if gaps else "")

    def blocking_gaps(self) -> list[str]:
        """What the repo refers to but lacks, or a tool would stop at (findings in strict mode)."""
        return [f"{g.file}: {g.missing}" for g in self.repo.gaps if g.kind in (MISSING, BROKEN)]


_FILE = re.compile(r"(?P<file>[^\s:(),]+)(?::(?P<line>\d+))?(?P<rest>.*)", re.S)
_STEP = re.compile(r"([^.\[\]]+)|\[([^\]]*)\]")
_KIND_NAME = re.compile(r"(\w+) (\S+)")


def _place(root: Path, d: Drift) -> tuple[str, int | None]:
    """(file, line) for a drift's ``where``: a file of the checkout named first (``file``, ``file:12``,
    ``file: yaml.path[name]``, ``file (Flux Kustomization ...)``); the line from ``:12``, else found by
    the YAML path or by the object the field names (``lb_pools[bgp-default]`` -> metadata.name)."""
    found = _FILE.fullmatch(d.where.strip())
    if found is None or found["rest"].startswith(","):
        return "", None
    file = found["file"]
    try:
        if not (root / file).is_file():
            return "", None
        if found["line"]:
            return file, int(found["line"])
        text = (root / file).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return file, None
    rest = found["rest"].strip()
    if rest.startswith(":"):
        return file, _yaml_line(text, rest[1:].strip())
    named = re.search(r"\[([^\]]+)\]", d.field)
    return file, _object_line(text, None, named[1].rsplit("/", 1)[-1]) if named else None


def _documents(text: str) -> list[yaml.Node]:
    try:
        return [doc for doc in yaml.compose_all(text, Loader=yaml.SafeLoader) if doc is not None]
    except yaml.YAMLError:
        return []


def _get(node: yaml.Node, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    if isinstance(node, yaml.MappingNode):
        return next(((k, v) for k, v in node.value if getattr(k, "value", None) == key), None)
    return None


def _object_line(text: str, kind: str | None, name: str) -> int | None:
    """The line of ``metadata.name: <name>`` (or a top-level ``name:``) of the one document that has it."""
    hits = []
    for doc in _documents(text):
        if kind is not None and getattr((_get(doc, "kind") or (None, None))[1], "value", None) != kind:
            continue
        meta = _get(doc, "metadata")
        holder = meta[1] if meta is not None else doc
        found = _get(holder, "name")
        if found is not None and getattr(found[1], "value", None) == name:
            hits.append(found[0].start_mark.line + 1)
    return hits[0] if len(hits) == 1 else None


def _yaml_line(text: str, path: str) -> int | None:
    """The line of ``nodes[mini02].installDiskSelector.model`` (``[x]``: the item named or hostnamed x,
    or index x) or of ``Kind name`` (a document) in a YAML file."""
    kind_name = _KIND_NAME.fullmatch(path)
    if kind_name is not None:
        return _object_line(text, kind_name[1], kind_name[2])
    steps = [(key, pick) for key, pick in _STEP.findall(path)]
    for doc in _documents(text):
        node: yaml.Node | None = doc
        line = None
        for key, pick in steps:
            if node is None:
                break
            if key:
                pair = _get(node, key)
                node, line = (pair[1], pair[0].start_mark.line + 1) if pair else (None, None)
            elif isinstance(node, yaml.SequenceNode):
                items = node.value
                chosen = items[int(pick)] if pick.isdigit() and int(pick) < len(items) else next(
                    (i for i in items if any(getattr((_get(i, k) or (None, None))[1], "value", None) == pick
                                             for k in ("name", "hostname"))), None)
                node, line = chosen, (chosen.start_mark.line + 1 if chosen is not None else None)
            else:
                node = None
        if node is not None and line is not None:
            return line
    return None
