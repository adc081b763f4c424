"""Drift checks for the platform services as a GitOps repo declares them: Flux's dependency chain,
the 1Password Connect store and the ExternalSecrets that read it, Longhorn's chart values, the
certificate issuer, and the outpost's own Deployment and Redis.

    for check in CHECKS: drifts += check(profile, repo)
    reason = missing_evidence(profile, repo, requirement)   # "" when the repo can judge it

A requirement the profile states nothing about, or whose evidence the repo does not hold (no
HelmRelease of chart longhorn), is not judged: ``missing_evidence`` says why and its scenario skips.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.model.profile import Profile
from harness.repo.state import RepoState
from harness.repo.types import RenderedObject
from harness.rules import platform as pf
from harness.rules.findings import Drift
from harness.rules.requirements import Requirement

Check = Callable[[Profile, RepoState], list[Drift]]

FLUX_CHAIN = Requirement.declare("flux_chain", "platform.feature: stacks in the architectures dependency order")
SECRETS = Requirement.declare("secrets", "platform.feature: secrets come from the 1password connect store")
LONGHORN_REPLICAS = Requirement.declare("longhorn_replicas", "platform.feature: longhorn keeps the profiled number")
LONGHORN_DISKS = Requirement.declare("longhorn_disks", "platform.feature: longhorn stores its data on the user volume")
CERTIFICATES = Requirement.declare("certificates", "platform.feature: certificates come from the profiled issuer")
OUTPOST_WORKLOADS = Requirement.declare("outpost_workloads", "platform.feature: outpost runs as its own deployment")

ESO = "external-secrets.io"
CERT_MANAGER = "cert-manager.io"
ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"


def _origin(obj: RenderedObject) -> str:
    return str(obj.origin)


def flux_chain(profile: Profile, repo: RepoState) -> list[Drift]:
    stages = profile.platform.flux_stages
    if not stages:
        return []
    graph = {k.name: pf.FluxNode(k.depends_on, str(k.origin)) for k in repo.kustomizations}
    where = f"the Flux Kustomizations under {repo.cluster_dir or 'the cluster directory'}"
    return [Drift(FLUX_CHAIN, f"platform.flux.stages[{p.kustomization}]" if p.field == "stages"
                  else f"Kustomization {p.kustomization}.dependsOn", p.expected, p.seen, p.where,
                  subject=f"Kustomization {p.kustomization}: {p.expected}")
            for p in pf.chain_problems(stages, graph, where)]


def _declared(repo: RepoState, requirement: Requirement, field: str, kind: str, group: str, name: str
              ) -> tuple[dict[str, RenderedObject], RenderedObject | None, list[Drift]]:
    """The applied cluster-scoped objects of ``kind`` by name, the one named ``name``, and the finding
    when it is absent."""
    applied = {o.name: o for o in repo.of_kind(kind, group)}
    if name in applied:
        return applied, applied[name], []
    return applied, None, [Drift(requirement, field, f"{kind} {name}",
                                 f"{', '.join(sorted(applied)) or 'no ' + kind} among the applied objects",
                                 repo.cluster_dir or "the repo")]


def secrets(profile: Profile, repo: RepoState) -> list[Drift]:
    want = profile.platform
    if not want.secret_store:
        return []
    stores, store, found = _declared(repo, SECRETS, "platform.secrets.store", "ClusterSecretStore", ESO,
                                     want.secret_store)
    if store is not None:
        provider = sorted((store.obj.get("spec") or {}).get("provider") or {})
        if want.secret_store_provider not in provider:
            found.append(Drift(SECRETS, "platform.secrets.provider", want.secret_store_provider,
                               ", ".join(provider) or "no provider", _origin(store)))
    namespaced = {(o.namespace, o.name) for o in repo.of_kind("SecretStore", ESO)}
    externals = repo.of_kind("ExternalSecret", ESO)
    for es in externals:
        ref = (es.obj.get("spec") or {}).get("secretStoreRef") or {}
        kind, name = ref.get("kind") or "SecretStore", ref.get("name")
        exists = name in stores if kind == "ClusterSecretStore" else (es.namespace, name) in namespaced
        if not exists:
            found.append(Drift(SECRETS, f"ExternalSecret {es.namespace}/{es.name}.secretStoreRef",
                               "a store the repo defines", f"{kind} {name}, which it does not define: never synced",
                               _origin(es)))
    if want.outpost_token is not None:
        ns, name = want.outpost_token
        token = next((e for e in externals if (e.namespace, e.name) == (ns, name)), None)
        if token is None:
            found.append(Drift(SECRETS, "platform.secrets.outpost_token", f"ExternalSecret {ns}/{name}",
                               "absent", repo.cluster_dir or "the repo"))
        else:
            ref = (token.obj.get("spec") or {}).get("secretStoreRef") or {}
            if (ref.get("kind"), ref.get("name")) != ("ClusterSecretStore", want.secret_store):
                found.append(Drift(SECRETS, "platform.secrets.outpost_token.secretStoreRef",
                                   f"ClusterSecretStore {want.secret_store}",
                                   f"{ref.get('kind') or 'SecretStore'} {ref.get('name')}", _origin(token)))
    return found


def _longhorn_values(repo: RepoState) -> list[tuple[str, dict[str, Any]]]:
    return [(str(r.origin), r.values) for r in repo.releases_of_chart("longhorn")]


def longhorn(profile: Profile, repo: RepoState) -> list[Drift]:
    want = profile.platform.longhorn_replicas
    found = []
    for where, values in _longhorn_values(repo):
        settings = values.get("defaultSettings") or {}
        if want is not None:
            for field, value in (("defaultSettings.defaultReplicaCount", settings.get("defaultReplicaCount")),
                                 ("persistence.defaultClassReplicaCount",
                                  (values.get("persistence") or {}).get("defaultClassReplicaCount"))):
                seen = pf.replica_count(value) if value is not None else pf.LONGHORN_DEFAULT_REPLICAS
                if seen != want:
                    found.append(Drift(LONGHORN_REPLICAS, f"longhorn {field}", str(want),
                                       repr(value) if value is not None
                                       else f"not set (Longhorn's default, {pf.LONGHORN_DEFAULT_REPLICAS})", where))
        path = settings.get("defaultDataPath")
        want_path = pf.user_volume_path(profile)
        if path is None or not pf.same_path(str(path), want_path):
            path_seen = str(path) if path is not None else \
                f"not set (Longhorn's default, {pf.LONGHORN_DEFAULT_PATH}, the system disk)"
            found.append(Drift(LONGHORN_DISKS, "longhorn defaultSettings.defaultDataPath", want_path, path_seen, where))
    return found


def certificates(profile: Profile, repo: RepoState) -> list[Drift]:
    want = profile.platform
    if not want.issuer:
        return []
    _, issuer, found = _declared(repo, CERTIFICATES, "platform.certificates.cluster_issuer", "ClusterIssuer",
                                 CERT_MANAGER, want.issuer)
    if issuer is not None:
        server = ((issuer.obj.get("spec") or {}).get("acme") or {}).get("server")
        if server != want.issuer_acme_server:
            found.append(Drift(CERTIFICATES, "platform.certificates.acme_server", want.issuer_acme_server,
                               str(server or "no ACME issuer"), _origin(issuer)))
    hosts = set(profile.identity.hosts)
    for ing in repo.of_kind("Ingress", "networking.k8s.io"):
        spec = ing.obj.get("spec") or {}
        tls_hosts = {h for t in spec.get("tls") or [] for h in t.get("hosts") or []}
        if not tls_hosts & hosts:
            continue
        annotations = (ing.obj.get("metadata") or {}).get("annotations") or {}
        chosen = annotations.get(ISSUER_ANNOTATION)
        if chosen != want.issuer:
            found.append(Drift(CERTIFICATES, f"Ingress {ing.namespace}/{ing.name} {ISSUER_ANNOTATION}", want.issuer,
                               str(chosen or "not annotated"), _origin(ing)))
    for cert in repo.of_kind("Certificate", CERT_MANAGER):
        spec = cert.obj.get("spec") or {}
        if not set(spec.get("dnsNames") or []) & hosts:
            continue
        ref = spec.get("issuerRef") or {}
        if (ref.get("kind", "Issuer"), ref.get("name")) != ("ClusterIssuer", want.issuer):
            found.append(Drift(CERTIFICATES, f"Certificate {cert.namespace}/{cert.name}.issuerRef",
                               f"ClusterIssuer {want.issuer}", f"{ref.get('kind', 'Issuer')} {ref.get('name')}",
                               _origin(cert)))
    return found


def outpost_workloads(profile: Profile, repo: RepoState) -> list[Drift]:
    want = profile.platform
    if not want.outpost_deployment:
        return []
    ns = profile.identity.outpost_namespace
    objects = [o for o in repo.objects if o.namespace == ns]
    workloads = [o.obj for o in objects if o.kind in ("Deployment", "StatefulSet")]
    services = [o.obj for o in objects if o.kind == "Service"]
    files = sorted({o.origin.file for o in objects}) or ["no file the repo applies"]
    where = f"the objects applied in {ns}: {', '.join(files)}"
    return [Drift(OUTPOST_WORKLOADS, "platform.outpost", "the outpost's Deployment and its own Redis", p, where,
                  subject=p.split(" (", 1)[0])
            for p in pf.outpost_wiring_problems(profile, workloads, services, "in the repo")]


def _why_longhorn(profile: Profile, repo: RepoState) -> str:
    if not repo.releases_of_chart("longhorn"):
        return ("no HelmRelease of chart longhorn that Flux applies: Longhorn's settings are not in the repo "
                "(installed by hand or from a directory this checkout lacks)")
    return ""


_SECTION: dict[Requirement, tuple[str, Callable[[Profile], bool]]] = {
            FLUX_CHAIN: ("flux", lambda p: bool(p.platform.flux_stages)),
            SECRETS: ("secrets", lambda p: bool(p.platform.secret_store)),
            LONGHORN_REPLICAS: ("longhorn", lambda p: p.platform.longhorn_replicas is not None),
            CERTIFICATES: ("certificates", lambda p: bool(p.platform.issuer)),
            OUTPOST_WORKLOADS: ("outpost", lambda p: bool(p.platform.outpost_deployment))}


def unstated(profile: Profile, requirement: Requirement) -> str:
    """Why the profile gives ``requirement`` nothing to judge against ("" when it does)."""
    if requirement not in _SECTION:
        return ""
    section, stated = _SECTION[requirement]
    return "" if stated(profile) else f"profile {profile.source} states no platform.{section}"


PLATFORM = (FLUX_CHAIN, SECRETS, LONGHORN_REPLICAS, LONGHORN_DISKS, CERTIFICATES, OUTPOST_WORKLOADS)


def missing_evidence(profile: Profile, repo: RepoState, requirement: Requirement) -> str:
    """Why a platform requirement cannot be judged from ``repo`` ("" when it can)."""
    if reason := unstated(profile, requirement):
        return reason
    return _why_longhorn(profile, repo) if requirement in (LONGHORN_REPLICAS, LONGHORN_DISKS) else ""


CHECKS: tuple[Check, ...] = (flux_chain, secrets, longhorn, certificates, outpost_workloads)
