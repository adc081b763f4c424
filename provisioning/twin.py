"""Apply a GitOps repo's objects to a twin lab, the way Flux would: per Flux Kustomization, in the
order the Kustomizations' ``dependsOn`` gives, each object as the repo renders it.

    for line in run_twin_bootstrap(api, profile, RepoState.open(Path("talos-gitops"))): print(line)

What a twin needs of a cluster's state: Namespaces, Cilium's LoadBalancer pools and BGP objects (v1
and v2: the lab's Cilium serves the kinds of the release the repo pins, so an object of a kind that
release lacks is refused, as Flux's dry run would refuse it), Services and Ingresses, and the ingress
controller's Service as its HelmRelease's values render it. An object the lab refuses is reported
("not applied: ...") and the rest go on, as Flux reports a failed Kustomization and applies the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from harness.core.errors import ProvisioningError
from harness.core.wait import wait_until
from harness.model.profile import Profile
from harness.probes.kube import CRDS, NAMESPACES, KubeApi, Obj
from harness.repo import RepoState
from harness.repo.types import RenderedObject
from provisioning.bootstrap import apply_object, describe
from provisioning.manifests import namespace

KINDS = ("Namespace", "CiliumLoadBalancerIPPool", "CiliumBGPPeeringPolicy", "CiliumBGPClusterConfig",
         "CiliumBGPPeerConfig", "CiliumBGPAdvertisement", "Service", "Ingress")
POOL_CRD = "ciliumloadbalancerippools.cilium.io"
CONTROLLER_PORTS = (("http", 80), ("https", 443))


def flux_order(repo: RepoState) -> list[str]:
    """Flux Kustomization names, each after those it depends on (ties: by name)."""
    deps = {k.name: tuple(d for d in k.depends_on) for k in repo.kustomizations}
    order: list[str] = []
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in done or name in path:
            return                                     # a cycle: Flux would not apply it either; keep going
        for dep in sorted(deps.get(name, ())):
            visit(dep, (*path, name))
        done.add(name)
        order.append(name)

    for name in sorted(deps):
        visit(name, ())
    return order


def twin_plan(profile: Profile, repo: RepoState) -> list[tuple[str, list[tuple[Obj, str]]]]:
    """(Flux Kustomization, [(object, repo file)]) in apply order; Namespaces first within a unit."""
    by_unit: dict[str, list[RenderedObject]] = {}
    for obj in repo.objects:
        if obj.kind in KINDS and obj.origin.flux_kustomization is not None:
            by_unit.setdefault(obj.origin.flux_kustomization, []).append(obj)
    plan = []
    controller = _controller_service(profile, repo)
    order = flux_order(repo)
    for unit in order + sorted(u for u in by_unit if u not in order):
        objects = sorted(by_unit.get(unit, []), key=lambda o: o.kind != "Namespace")
        items = [(_clean(o.obj), o.origin.file) for o in objects]
        if controller is not None and controller[2] == unit:
            items.append((controller[0], controller[1]))
        if items:
            plan.append((unit, items))
    return plan


def run_twin_bootstrap(api: KubeApi, profile: Profile, repo: RepoState, *, timeout: float = 30.0) -> Iterator[str]:
    """Apply the plan; one line per object: created / configured / unchanged / not applied (why)."""
    yield from _await_pool_crd(api, timeout)
    for unit, items in twin_plan(profile, repo):
        yield f"Flux Kustomization {unit}:"
        for obj, file in items:
            ns = (obj.get("metadata") or {}).get("namespace")
            if ns and obj["kind"] != "Namespace" and api.get(NAMESPACES, ns) is None:
                # the repo renders no Namespace: its Kustomization's targetNamespace or the chart's
                # createNamespace makes it, before the objects in it
                yield f"  {apply_object(api, namespace(ns), dry_run=False)} Namespace {ns} (for {describe(obj)})"
            try:
                yield f"  {apply_object(api, obj, dry_run=False)} {describe(obj)} ({file})"
            except ProvisioningError as exc:
                yield f"  not applied: {describe(obj)} ({file}): {exc}"


def _await_pool_crd(api: KubeApi, timeout: float) -> Iterator[str]:
    def established() -> str | None:
        crd = api.get(CRDS, POOL_CRD)
        conditions = {c.get("type"): c.get("status") for c in ((crd or {}).get("status") or {}).get("conditions") or []}
        return None if conditions.get("Established") == "True" else f"{POOL_CRD} not Established yet"
    wait_until(established, timeout=timeout, what=f"CRD {POOL_CRD} at {api.url}")
    yield f"CRD {POOL_CRD} Established"


def _clean(obj: Obj) -> Obj:
    """The object as the repo writes it, without what only a server sets."""
    out = {k: v for k, v in obj.items() if k != "status"}
    meta = {k: v for k, v in (obj.get("metadata") or {}).items()
            if k not in ("resourceVersion", "uid", "creationTimestamp", "managedFields", "generation")}
    out["metadata"] = meta
    return out


def _controller_service(profile: Profile, repo: RepoState) -> tuple[Obj, str, str | None] | None:
    """The ingress controller's Service as its HelmRelease's values render it (names, labels,
    annotations, type, families, requested addresses): (object, file, Flux Kustomization)."""
    ing = profile.ingress
    found = repo.ingress_controller(ing.namespace, ing.service)
    if found is None:
        return None
    release, svc = found
    spec: dict[str, Any] = {"type": svc.type, "ipFamilyPolicy": svc.ip_family_policy,
                            "ipFamilies": list(svc.ip_families),
                            "selector": {"app.kubernetes.io/name": "ingress-nginx",
                                         "app.kubernetes.io/component": "controller"},
                            "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in CONTROLLER_PORTS]}
    annotations = dict(svc.annotations)
    if svc.lb_addresses:
        annotations.setdefault("lbipam.cilium.io/ips", ",".join(str(a) for a in svc.lb_addresses))
    obj = {"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": svc.name, "namespace": svc.namespace, "labels": dict(svc.labels),
                        "annotations": annotations},
           "spec": spec}
    return obj, release.origin.file, release.origin.flux_kustomization
