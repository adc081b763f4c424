"""Flux's state on a cluster: every GitRepository, Kustomization and HelmRelease Ready, and every
Kustomization applied at the revision its source has fetched (so all of one repository's Kustomizations
are at one revision).

    reason = flux_missing(api)                       # "" when Flux's APIs are served, else why not
    require(flux_problems(api.list(GIT_REPOSITORIES), api.list(KUSTOMIZATIONS), api.list(HELM_RELEASES), url))

Kinds and fields as Flux defines them (fluxcd/source-controller, kustomize-controller, helm-controller):
``source.toolkit.fluxcd.io/v1`` GitRepository ``status.artifact.revision`` (e.g. ``main@sha1:<hash>``),
``kustomize.toolkit.fluxcd.io/v1`` Kustomization ``spec.sourceRef`` and ``status.lastAppliedRevision``,
``helm.toolkit.fluxcd.io/v2`` HelmRelease; each reports a ``Ready`` condition with reason and message.
These are the GA versions (GitRepository and Kustomization v1 since Flux 2.0; HelmRelease v2 since Flux 2.3.0,
fluxcd/flux2 release notes v2.3.0) and the ones the owner's repository writes; a cluster serving none of
them has no Flux this check can read, and the scenario skips, saying so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from harness.probes.kube import KubeApi, Resource
from harness.rules.conditions import not_ready
from harness.rules.conditions import object_ref as _ref

Obj = dict[str, Any]
GIT_REPOSITORIES = Resource("source.toolkit.fluxcd.io", "v1", "gitrepositories", "GitRepository", True)
KUSTOMIZATIONS = Resource("kustomize.toolkit.fluxcd.io", "v1", "kustomizations", "Kustomization", True)
HELM_RELEASES = Resource("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease", True)
KINDS = (GIT_REPOSITORIES, KUSTOMIZATIONS, HELM_RELEASES)


def flux_missing(api: KubeApi) -> str:
    """Why Flux's state cannot be read at ``api`` ("" when every kind is served)."""
    missing = api.unserved(KINDS)
    if not missing:
        return ""
    return f"{api.url} serves no {', '.join(missing)}: Flux is not installed there, so its state cannot be judged"


def flux_problems(sources: Sequence[Obj], kustomizations: Sequence[Obj], releases: Sequence[Obj],
                  url: str) -> list[str]:
    problems = [p for obj in (*sources, *kustomizations, *releases) if (p := not_ready(obj, url))]
    if not kustomizations:
        problems.append(f"no Flux Kustomization at {url}: nothing applies the GitOps repository")
    revisions = {((s.get("metadata") or {}).get("namespace"), (s.get("metadata") or {}).get("name")):
                 ((s.get("status") or {}).get("artifact") or {}).get("revision") for s in sources}
    for ks in kustomizations:
        meta, spec = ks.get("metadata") or {}, ks.get("spec") or {}
        ref = spec.get("sourceRef") or {}
        if ref.get("kind") != "GitRepository":
            continue
        key = (ref.get("namespace") or meta.get("namespace"), ref.get("name"))
        if key not in revisions:
            problems.append(f"{_ref(ks)} at {url} refers to GitRepository {key[0]}/{key[1]}, which does not exist")
            continue
        applied = (ks.get("status") or {}).get("lastAppliedRevision")
        if revisions[key] and applied != revisions[key]:
            problems.append(f"{_ref(ks)} at {url} applied revision {applied or '(none)'}; its source GitRepository "
                            f"{key[0]}/{key[1]} is at {revisions[key]}")
    return problems
