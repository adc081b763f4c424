"""The platform services on a cluster: Flux's dependency chain, External Secrets and its 1Password
Connect store, Longhorn's replica count and disks, cert-manager's certificates, the outpost's workloads.

    graph = kustomization_graph(api.list(KUSTOMIZATIONS), url)         # KUSTOMIZATIONS: harness.rules.flux
    require(chain_problems(profile.platform.flux_stages, graph, url))
    require(secrets_problems(profile, stores, external_secrets, url))
    require(longhorn_replica_problems(profile, settings, url))
    require(longhorn_disk_problems(profile, longhorn_nodes, url))
    require(certificate_problems(profile, certificates, issuers, url))
    require(outpost_problems(profile, workloads, services, url))

Each function reads objects as the owning controller writes them (recorded shapes under
``fixtures/upstream/<system>/``, cited in their SOURCE.md) and returns what is wrong, one sentence per
problem naming the object, where it was read, expected and seen. The same judgements read a GitOps repo
(``harness/rules/repo_platform.py``): the chain and the outpost's wiring are the same functions.

Kinds, as their projects define them:
- Flux ``kustomize.toolkit.fluxcd.io/v1`` Kustomization ``spec.dependsOn[].name`` (namespace defaults
  to the Kustomization's own);
- External Secrets ``external-secrets.io/v1`` ClusterSecretStore and ExternalSecret, each with a
  ``Ready`` condition (store: reason ``Valid``; ExternalSecret: ``SecretSynced``);
- Longhorn ``longhorn.io/v1beta2`` Setting ``default-replica-count`` (``value``, a string) and Node
  ``spec.disks`` (name -> path, allowScheduling) with ``status.diskStatus`` conditions;
- cert-manager ``cert-manager.io/v1`` Certificate (``spec.dnsNames``, ``spec.issuerRef``) and
  ClusterIssuer, each with a ``Ready`` condition.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.model.profile import FluxStage, Profile
from harness.probes.kube import Resource
from harness.rules.conditions import not_ready, object_ref

Obj = dict[str, Any]

CLUSTER_SECRET_STORES = Resource("external-secrets.io", "v1", "clustersecretstores", "ClusterSecretStore", False)
EXTERNAL_SECRETS = Resource("external-secrets.io", "v1", "externalsecrets", "ExternalSecret", True)
LONGHORN_SETTINGS = Resource("longhorn.io", "v1beta2", "settings", "Setting", True)
LONGHORN_NODES = Resource("longhorn.io", "v1beta2", "nodes", "Node", True)
CERTIFICATES = Resource("cert-manager.io", "v1", "certificates", "Certificate", True)
CLUSTER_ISSUERS = Resource("cert-manager.io", "v1", "clusterissuers", "ClusterIssuer", False)

REPLICA_SETTING = "default-replica-count"
LONGHORN_DEFAULT_REPLICAS = 3            # Longhorn's default for default-replica-count
LONGHORN_DEFAULT_PATH = "/var/lib/longhorn/"   # Longhorn's default data path: the system disk
USER_VOLUME_ROOT = "/var/mnt"            # where Talos mounts a user volume: /var/mnt/<name>


def user_volume_path(profile: Profile) -> str:
    return f"{USER_VOLUME_ROOT}/{profile.disks.user_volume}"


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    return obj.get("metadata") or {}


# -- Flux: the dependency chain ----------------------------------------------------------------------

@dataclass(frozen=True)
class FluxNode:
    depends_on: tuple[str, ...]
    where: str


def kustomization_graph(kustomizations: Iterable[Mapping[str, Any]], url: str) -> dict[str, FluxNode]:
    """name -> its dependsOn, from Kustomizations as the API returns them."""
    graph = {}
    for ks in kustomizations:
        meta, spec = _meta(ks), ks.get("spec") or {}
        deps = tuple(str(d.get("name")) for d in spec.get("dependsOn") or [] if isinstance(d, Mapping))
        graph[str(meta.get("name"))] = FluxNode(deps, f"{object_ref({**ks, 'kind': 'Kustomization'})} at {url}")
    return graph


def _closure(graph: Mapping[str, FluxNode], name: str) -> set[str]:
    seen: set[str] = set()
    queue = list(graph[name].depends_on) if name in graph else []
    while queue:
        dep = queue.pop()
        if dep in seen:
            continue
        seen.add(dep)
        queue += graph[dep].depends_on if dep in graph else ()
    return seen


@dataclass(frozen=True)
class ChainProblem:
    kustomization: str       # the Kustomization the problem is about
    expected: str
    seen: str
    where: str
    field: str = "stages"    # "stages" (membership and order) or "dependsOn" (a dangling or circular entry)

    def __str__(self) -> str:
        return f"{self.where}: expected {self.expected}; {self.seen}"


def chain_problems(stages: Sequence[FluxStage], graph: Mapping[str, FluxNode], where: str) -> list[ChainProblem]:
    """Every Kustomization of each stage must exist and come after every Kustomization of the stage
    before (its dependsOn, directly or through others); a dependsOn naming no Kustomization, or a
    cycle, stops Flux for good and is reported too."""
    found: list[ChainProblem] = []
    for stage in stages:
        found += [ChainProblem(name, f"Kustomization {name} (stage {stage.name!r})", "absent", where)
                  for name in stage.kustomizations if name not in graph]
    for earlier, later in zip(stages, stages[1:], strict=False):
        for name in later.kustomizations:
            if name not in graph:
                continue
            after = _closure(graph, name)
            direct = graph[name].depends_on
            through = sorted(after - set(direct))
            chain = f"it depends on {', '.join(direct) or 'nothing'}" + \
                (f", and through those on {', '.join(through)}" if through else "")
            for dep in earlier.kustomizations:
                if dep not in after:
                    found.append(ChainProblem(
                        name, f"Kustomization {name} (stage {later.name!r}) to be applied after {dep} "
                              f"(stage {earlier.name!r})",
                        f"{chain}: nothing orders it after {dep}", graph[name].where))
    for name, node in sorted(graph.items()):
        for dep in node.depends_on:
            if dep not in graph:
                found.append(ChainProblem(name, f"every dependsOn of Kustomization {name} to name a Kustomization",
                                          f"it depends on {dep}, which does not exist: Flux never applies {name}",
                                          node.where, "dependsOn"))
        if name in _closure(graph, name):
            found.append(ChainProblem(name, f"Kustomization {name} not to depend on itself",
                                      "its dependsOn chain comes back to it: Flux never applies it", node.where,
                                      "dependsOn"))
    return found


# -- External Secrets ----------------------------------------------------------------------------------

def secrets_problems(profile: Profile, stores: Sequence[Obj], external_secrets: Sequence[Obj], url: str) -> list[str]:
    want = profile.platform
    problems = []
    store = next((s for s in stores if _meta(s).get("name") == want.secret_store), None)
    if store is None:
        names = ", ".join(sorted(str(_meta(s).get("name")) for s in stores)) or "none"
        problems.append(f"ClusterSecretStore {want.secret_store} at {url}: expected it (1Password Connect); "
                        f"the cluster has {names}")
    else:
        provider = sorted((store.get("spec") or {}).get("provider") or {})
        if want.secret_store_provider not in provider:
            problems.append(f"ClusterSecretStore {want.secret_store} at {url}: expected provider "
                            f"{want.secret_store_provider}, seen {', '.join(provider) or 'none'}")
        if (why := not_ready({**store, "kind": "ClusterSecretStore"}, url)) is not None:
            problems.append(why)
    problems += [why for es in external_secrets if (why := not_ready({**es, "kind": "ExternalSecret"}, url))]
    if want.outpost_token is not None:
        ns, name = want.outpost_token
        token = next((e for e in external_secrets if _meta(e).get("namespace") == ns and _meta(e).get("name") == name),
                     None)
        if token is None:
            problems.append(f"ExternalSecret {ns}/{name} at {url}: expected the outpost's API token to come from "
                            "1Password through it; there is none")
        else:
            ref = (token.get("spec") or {}).get("secretStoreRef") or {}
            if (ref.get("kind"), ref.get("name")) != ("ClusterSecretStore", want.secret_store):
                problems.append(f"ExternalSecret {ns}/{name} at {url}: expected secretStoreRef ClusterSecretStore "
                                f"{want.secret_store}, seen {ref.get('kind') or 'SecretStore'} {ref.get('name')}")
    return problems


# -- Longhorn ------------------------------------------------------------------------------------------

def replica_count(value: Any) -> int | None:
    """A replica count as Longhorn and its chart write it: an integer, a string of one, or (Longhorn 1.10,
    one value per data engine) a JSON object in a string, ``{"v1":"2","v2":"2"}``, of which the v1 engine's
    counts (the engine the cluster's volumes use unless v2 is enabled). None: not a count."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("{"):
        try:
            per_engine = json.loads(text)
        except ValueError:
            return None
        return replica_count(per_engine.get("v1")) if isinstance(per_engine, dict) else None
    return int(text) if text.isdigit() else None


def longhorn_replica_problems(profile: Profile, settings: Sequence[Obj], url: str) -> list[str]:
    want = profile.platform.longhorn_replicas
    setting = next((s for s in settings if _meta(s).get("name") == REPLICA_SETTING), None)
    where = f"Setting {profile.platform.longhorn_namespace}/{REPLICA_SETTING} at {url}"
    if setting is None:
        return [f"{where}: expected value {want}; there is no such Setting (Longhorn's manager creates every "
                "setting at start: is Longhorn running?)"]
    seen = replica_count(setting.get("value"))
    if seen is None:
        return [f"{where}: expected value {want}; seen {setting.get('value')!r}, which is not a replica count "
                "this check can read"]
    if seen != want:
        return [f"{where}: expected value {want}; seen {setting.get('value')!r}"]
    return []


def same_path(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def longhorn_disk_problems(profile: Profile, nodes: Sequence[Obj], url: str) -> list[str]:
    """Every profiled node has a Longhorn disk on its user volume, schedulable, and no other disk
    Longhorn may place replicas on (the default /var/lib/longhorn/ is the system disk)."""
    path = user_volume_path(profile)
    by_name = {str(_meta(n).get("name")): n for n in nodes}
    problems = []
    for node_name in profile.node_names:
        node = by_name.get(node_name)
        where = f"Longhorn Node {profile.platform.longhorn_namespace}/{node_name} at {url}"
        if node is None:
            problems.append(f"{where}: expected it, with a disk at {path}; Longhorn has no such node")
            continue
        disks = (node.get("spec") or {}).get("disks") or {}
        status = (node.get("status") or {}).get("diskStatus") or {}
        on_volume = [d for d, spec in disks.items() if same_path(str((spec or {}).get("path", "")), path)]
        if not on_volume:
            seen = ", ".join(f"{d} at {(s or {}).get('path')}" for d, s in sorted(disks.items())) or "no disk"
            problems.append(f"{where}: expected a disk at {path} (the user volume {profile.disks.user_volume}); "
                            f"seen {seen}")
        for disk in on_volume:
            if (disks[disk] or {}).get("allowScheduling") is not True:
                problems.append(f"{where}: disk {disk} at {path} has allowScheduling "
                                f"{(disks[disk] or {}).get('allowScheduling')!r}: no replica is placed on it")
            conds = {c.get("type"): c for c in (status.get(disk) or {}).get("conditions") or []
                     if isinstance(c, Mapping)}
            sched = conds.get("Schedulable")
            if sched is None or sched.get("status") != "True":
                problems.append(f"{where}: disk {disk} at {path} is not Schedulable ("
                                + (f"{sched.get('status')}: {sched.get('reason', '')}: {sched.get('message', '')}"
                                   .rstrip(": ") if sched else "no Schedulable condition in status.diskStatus")
                                + ")")
        for disk, spec in sorted(disks.items()):
            if disk not in on_volume and (spec or {}).get("allowScheduling") is True:
                problems.append(f"{where}: disk {disk} at {(spec or {}).get('path')} also takes replicas: expected "
                                f"Longhorn's data on {path} only")
    return problems


# -- cert-manager --------------------------------------------------------------------------------------

def _covers(names: Iterable[str], host: str) -> bool:
    return any(n == host or (n.startswith("*.") and fnmatch.fnmatchcase(host, n) and host.count(".") == n.count("."))
               for n in names)


def certificate_problems(profile: Profile, certificates: Sequence[Obj], issuers: Sequence[Obj], url: str) -> list[str]:
    want = profile.platform.issuer
    problems = []
    issuer = next((i for i in issuers if _meta(i).get("name") == want), None)
    if issuer is None:
        problems.append(f"ClusterIssuer {want} at {url}: expected it; the cluster has "
                        f"{', '.join(sorted(str(_meta(i).get('name')) for i in issuers)) or 'none'}")
    else:
        server = ((issuer.get("spec") or {}).get("acme") or {}).get("server")
        if server != profile.platform.issuer_acme_server:
            problems.append(f"ClusterIssuer {want} at {url}: expected ACME server "
                            f"{profile.platform.issuer_acme_server}, seen {server or 'no ACME issuer'}")
        if (why := not_ready({**issuer, "kind": "ClusterIssuer"}, url)) is not None:
            problems.append(why)
    for host in profile.identity.hosts:
        covering = [c for c in certificates if _covers((c.get("spec") or {}).get("dnsNames") or [], host)]
        if not covering:
            problems.append(f"certificate for {host} at {url}: expected a Certificate from ClusterIssuer {want} "
                            "naming it in dnsNames; there is none")
            continue
        for cert in covering:
            ref = (cert.get("spec") or {}).get("issuerRef") or {}
            cert = {**cert, "kind": "Certificate"}
            if (ref.get("kind", "Issuer"), ref.get("name")) != ("ClusterIssuer", want):
                problems.append(f"{object_ref(cert)} at {url} (for {host}): expected issuerRef ClusterIssuer {want}, "
                                f"seen {ref.get('kind', 'Issuer')} {ref.get('name')}")
            if (why := not_ready(cert, url)) is not None:
                problems.append(f"{why} (for {host})")
    return list(dict.fromkeys(problems))


# -- the outpost's own workloads -----------------------------------------------------------------------

def redis_reference(value: str, service: str, namespace: str) -> bool:
    """Whether a host setting (``svc``, ``svc.ns``, ``svc.ns.svc``, ``svc.ns.svc.cluster.local``, with an
    optional ``:port`` or ``redis://`` scheme) names ``service`` in ``namespace``."""
    host = value.strip()
    if "://" in host:
        host = host.split("://", 1)[1]
    host = host.split("/", 1)[0].rsplit(":", 1)[0] if host.count(":") == 1 else host.split("/", 1)[0]
    parts = host.split(".")
    if parts[0] != service:
        return False
    rest = parts[1:]
    return rest in ([], [namespace], [namespace, "svc"], [namespace, "svc", "cluster", "local"])


def container_env(workload: Mapping[str, Any], name: str) -> list[str]:
    """The values ``name`` is given in the workload's pod template (literal values only)."""
    pod = (((workload.get("spec") or {}).get("template") or {}).get("spec") or {})
    return [str(e.get("value")) for c in pod.get("containers") or [] for e in c.get("env") or []
            if isinstance(e, Mapping) and e.get("name") == name and e.get("value") is not None]


def outpost_wiring_problems(profile: Profile, workloads: Sequence[Obj], services: Sequence[Obj],
                            where: str) -> list[str]:
    """The outpost's Deployment and its own Redis (a Deployment or StatefulSet with a Service) in the
    outpost namespace, and the outpost pointed at that Redis — from a repo or a cluster."""
    want, ns = profile.platform, profile.identity.outpost_namespace
    mine = [w for w in workloads if _meta(w).get("namespace") == ns]
    outpost = next((w for w in mine
                    if w.get("kind") == "Deployment" and _meta(w).get("name") == want.outpost_deployment), None)
    redis = next((w for w in mine if w.get("kind") in ("Deployment", "StatefulSet")
                  and _meta(w).get("name") == want.outpost_redis), None)
    problems = []
    if outpost is None:
        problems.append(f"Deployment {ns}/{want.outpost_deployment} ({where}): expected the outpost's own "
                        f"deployment; the namespace has {_names(mine)}")
    if redis is None:
        problems.append(f"Redis {ns}/{want.outpost_redis} ({where}): expected a Deployment or StatefulSet of that "
                        f"name for the outpost's sessions; the namespace has {_names(mine)}")
    if not any(_meta(s).get("namespace") == ns and _meta(s).get("name") == want.outpost_redis for s in services):
        problems.append(f"Service {ns}/{want.outpost_redis} ({where}): expected it in front of the outpost's Redis; "
                        "there is none")
    if outpost is not None:
        values = container_env(outpost, want.redis_env)
        if not any(redis_reference(v, want.outpost_redis, ns) for v in values):
            problems.append(f"Deployment {ns}/{want.outpost_deployment} ({where}): expected {want.redis_env} to name "
                            f"Service {want.outpost_redis} in {ns}; seen {', '.join(values) or 'no such variable'}")
    return problems


def _names(workloads: Sequence[Obj]) -> str:
    return ", ".join(f"{w.get('kind')} {_meta(w).get('name')}" for w in workloads) or "none"


def workload_ready(workload: Mapping[str, Any], url: str) -> str | None:
    """Why a Deployment or StatefulSet at ``url`` is not fully available (None when it is)."""
    spec, status = workload.get("spec") or {}, workload.get("status") or {}
    wanted = spec.get("replicas", 1)
    ready = status.get("readyReplicas") or 0
    if not isinstance(wanted, int) or wanted < 1:
        return f"{object_ref(workload)} at {url} is scaled to {wanted!r} replicas: nothing runs"
    if ready < wanted:
        return f"{object_ref(workload)} at {url} has {ready} of {wanted} replicas ready"
    return None


def outpost_problems(profile: Profile, workloads: Sequence[Obj], services: Sequence[Obj], url: str) -> list[str]:
    want, ns = profile.platform, profile.identity.outpost_namespace
    problems = outpost_wiring_problems(profile, workloads, services, f"at {url}")
    for w in workloads:
        ours = _meta(w).get("namespace") == ns and _meta(w).get("name") in (want.outpost_deployment, want.outpost_redis)
        if ours and (why := workload_ready(w, url)) is not None:
            problems.append(why)
    return problems
