"""Steps for features/platform.feature (repo: harness/rules/repo_platform.py; live: harness/rules/platform.py).

On a cluster each scenario first asks whether the owning project's API is served. A live cluster that
does not serve it lacks what the architecture requires, and the scenario fails, saying which API is
missing. A lab that does not serve it has no stand-in for that controller. Then the scenario skips,
saying so: it never passes without evidence."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from pytest_bdd import then

from harness.core.errors import CheckFailed, KubeApiError
from harness.model.profile import Profile
from harness.model.targets import Target, TargetKind
from harness.probes.kube import DEPLOYMENTS, SERVICES, STATEFULSETS, KubeApi, Obj, Resource
from harness.rules import flux, require
from harness.rules import platform as pf
from harness.rules import repo_platform as rp
from harness.rules.requirements import Requirement
from steps.fixtures import Evidence


def _stated(profile: Profile, requirement: Requirement) -> None:
    if reason := rp.unstated(profile, requirement):
        pytest.skip(reason)


def _read(evidence: Evidence, target: Target, project: str, resources: Sequence[Resource],
          namespace: str | None = None) -> tuple[list[list[Obj]], str]:
    """Every object of ``resources`` (in ``namespace`` when given) and the API's URL; a missing API
    fails on a live cluster and skips on a lab."""
    api: KubeApi = evidence.cluster.api
    url = evidence.cluster.url
    try:
        missing = api.unserved(resources)
    except KubeApiError as exc:
        raise CheckFailed(f"cannot read the API versions of {project} at {url}: {exc}") from exc
    if missing:
        why = f"{url} serves no {', '.join(missing)}: {project} is not installed there"
        if target.kind in (TargetKind.LAB, TargetKind.TWIN):
            pytest.skip(f"{why} (the lab runs no stand-in for it)")
        raise CheckFailed(why)
    try:
        return [api.list(res, namespace if res.namespaced else None) for res in resources], url
    except KubeApiError as exc:
        raise CheckFailed(f"cannot list {project}'s objects at {url}: {exc}") from exc


@then("every Kustomization of each profiled stage is applied after every Kustomization of the stage before")
def flux_chain(profile: Profile, evidence: Evidence, target: Target) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(rp.FLUX_CHAIN))
    _stated(profile, rp.FLUX_CHAIN)
    (kustomizations,), url = _read(evidence, target, "Flux", [flux.KUSTOMIZATIONS], profile.platform.flux_namespace)
    graph = pf.kustomization_graph(kustomizations, url)
    require([str(p) for p in pf.chain_problems(profile.platform.flux_stages, graph, f"Flux at {url}")])


@then("the profiled secret store is valid and every ExternalSecret, the outpost's token among them, is synced from it")
def secrets(profile: Profile, evidence: Evidence, target: Target) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(rp.SECRETS))
    _stated(profile, rp.SECRETS)
    (stores, externals), url = _read(evidence, target, "External Secrets Operator",
                                     [pf.CLUSTER_SECRET_STORES, pf.EXTERNAL_SECRETS])
    require(pf.secrets_problems(profile, stores, externals, url))


@then("Longhorn's default replica count is the profiled one")
def longhorn_replicas(profile: Profile, evidence: Evidence, target: Target) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(rp.LONGHORN_REPLICAS))
    _stated(profile, rp.LONGHORN_REPLICAS)
    (settings,), url = _read(evidence, target, "Longhorn", [pf.LONGHORN_SETTINGS], profile.platform.longhorn_namespace)
    require(pf.longhorn_replica_problems(profile, settings, url))


@then("every node's Longhorn disk is the user volume, schedulable, and no other disk takes replicas")
def longhorn_disks(profile: Profile, evidence: Evidence, target: Target) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(rp.LONGHORN_DISKS))
    (nodes,), url = _read(evidence, target, "Longhorn", [pf.LONGHORN_NODES], profile.platform.longhorn_namespace)
    require(pf.longhorn_disk_problems(profile, nodes, url))


@then("every protected host has a Ready certificate issued by the profiled ClusterIssuer")
def certificates(profile: Profile, evidence: Evidence, target: Target) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(rp.CERTIFICATES))
    _stated(profile, rp.CERTIFICATES)
    (certs, issuers), url = _read(evidence, target, "cert-manager", [pf.CERTIFICATES, pf.CLUSTER_ISSUERS])
    require(pf.certificate_problems(profile, certs, issuers, url))


@then("the outpost's Deployment and its Redis run in the outpost namespace, the outpost pointed at that Redis")
def outpost_workloads(profile: Profile, evidence: Evidence, target: Target) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(rp.OUTPOST_WORKLOADS))
    _stated(profile, rp.OUTPOST_WORKLOADS)
    if target.kind in (TargetKind.LAB, TargetKind.TWIN):
        pytest.skip("the lab's outpost and Redis are processes, not workloads a kubelet reports: no Deployment "
                    "or StatefulSet status to judge (the repo run judges their declaration)")
    ns = profile.identity.outpost_namespace
    (deployments, statefulsets, services), url = _read(
        evidence, target, "the apps/v1 API", [DEPLOYMENTS, STATEFULSETS, SERVICES], ns)
    workloads = [{**w, "kind": kind} for kind, items in (("Deployment", deployments), ("StatefulSet", statefulsets))
                 for w in items]
    require(pf.outpost_problems(profile, workloads, services, url))
