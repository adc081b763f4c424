"""A GitOps repo checkout as the typed evidence the live probes produce.

    repo = RepoState.open(Path("talos-gitops"), cluster="home-ops")
    repo.lb_pools()[0].value.blocks, repo.helm_values("cilium", "kube-system"), repo.gaps

``open`` finds the cluster directory (flux.find_cluster_dir) and renders every Flux Kustomization it
reaches (flux.py, kustomize.py), reads talconfig.yaml (talos.py), the Taskfile's bootstrap-phase Helm
installs (taskfile.py) and, when the profile names one, the router's FRR file (frr_parse.py).

One rule for files nothing applies: manifests no Flux Kustomization renders and Talos patch files
talconfig.yaml does not reference are read and kept (``unapplied``, ``talos.*`` with ``applied=False``)
so the report can list them, and never judged. Cilium's values come from what installs Cilium: a
HelmRelease of chart cilium that Flux applies; else the Taskfile's ``helm install`` commands of the
cilium chart (the bootstrap phase, where the owner's architecture installs Cilium).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError
from harness.model.objects import IngressObject, LbPoolObject, Service
from harness.repo.cilium import BgpAdvertisement, BgpInstance, BgpPeeringPolicy, CiliumValues
from harness.repo.flux import FluxKustomization, find_cluster_dir, render_cluster
from harness.repo.frr import RouterConfig
from harness.repo.frr_parse import parse_frr
from harness.repo.helm import HelmRelease, ingress_nginx_service
from harness.repo.talos import TalosIntent, read_talos
from harness.repo.taskfile import HelmInstall, helm_installs
from harness.repo.types import MISSING, UNEVALUATED, Origin, RenderedObject, RepoGap, Sourced
from harness.repo.yamlio import parse_any, relative

TALCONFIG = "talconfig.yaml"
CILIUM_INSTALL = "the Taskfile's Cilium install"
SKIP_SCAN = (".git", "talos", "clusters", ".github")
KUSTOMIZE_API = "kustomize.config.k8s.io/"


@dataclass(frozen=True)
class IngressRule:
    host: str
    service: str
    port: str


@dataclass(frozen=True)
class RepoIngress:
    ingress: IngressObject
    rules: tuple[IngressRule, ...]


@dataclass(frozen=True)
class CiliumSource:
    """Cilium's Helm values from what installs it, or why they cannot be read (``values`` None)."""

    values: CiliumValues | None
    where: str
    origin: Origin
    unreadable: str = ""


@dataclass(frozen=True)
class RepoState:
    root: Path
    cluster: str
    objects: tuple[RenderedObject, ...]
    kustomizations: tuple[FluxKustomization, ...]
    gaps: tuple[RepoGap, ...]
    unapplied: tuple[RenderedObject, ...]
    talos: TalosIntent | None
    router: RouterConfig | None
    cluster_dir: str = ""
    router_absent: str = ""                      # why ``router`` is None
    bootstrap_installs: tuple[HelmInstall, ...] = ()
    real_kustomize: tuple[str, ...] = ()         # where kubectl kustomize's output replaced the renderer's

    @classmethod
    def open(cls, path: Path, cluster: str = "home-ops", router_config: str | Path | None = None,
             cluster_dir: str | None = None, kubectl: str | None = None) -> RepoState:
        """``router_config``: the router's FRR file, repo-relative (the profile's bgp.router.config_file)
        or a path; None reads none. ``cluster_dir``: the cluster directory when the repo does not tell.
        ``kubectl``: also build complete directories with the real kustomize, whose output wins."""
        root = Path(path)
        chosen = find_cluster_dir(root, cluster, cluster_dir)
        rendered = render_cluster(root, chosen, kubectl)
        gaps = list(rendered.gaps)
        unapplied = _unapplied(root, {o.origin.file for o in rendered.objects}, gaps)
        talos = read_talos(root)
        if talos is not None:
            gaps += [RepoGap("talconfig.yaml", f"patch {p}: no such file", unit=TALCONFIG)
                     for p in talos.patch_files_missing]
        installs = helm_installs(root, "cilium")
        gaps += [RepoGap(i.taskfile, f"task {i.task}: values file {m}: no such file", unit=CILIUM_INSTALL)
                 for i in installs for m in i.missing]
        gaps += [RepoGap(i.taskfile, f"task {i.task}: {u} not evaluated", UNEVALUATED, CILIUM_INSTALL)
                 for i in installs for u in i.unevaluated]
        router, absent = _router(root, router_config)
        return cls(root, cluster, rendered.objects, rendered.kustomizations, tuple(gaps), tuple(unapplied),
                   talos, router, chosen, absent, installs, rendered.real_changes)

    # -- objects --------------------------------------------------------------------------------
    def of_kind(self, kind: str, group: str | None = None, applied_only: bool = True) -> tuple[RenderedObject, ...]:
        pool = self.objects if applied_only else self.objects + self.unapplied
        return tuple(o for o in pool if o.kind == kind and (group is None or o.group == group))

    def lb_pools(self) -> tuple[Sourced[LbPoolObject], ...]:
        return tuple(Sourced(_parse(LbPoolObject.parse, o), o.origin)
                     for o in self.of_kind("CiliumLoadBalancerIPPool", "cilium.io"))

    def bgp_policies(self) -> tuple[Sourced[BgpPeeringPolicy], ...]:
        return tuple(Sourced(BgpPeeringPolicy.parse(o.obj), o.origin)
                     for o in self.of_kind("CiliumBGPPeeringPolicy", "cilium.io"))

    def bgp_instances(self) -> tuple[Sourced[BgpInstance], ...]:
        return tuple(Sourced(i, o.origin) for o in self.of_kind("CiliumBGPClusterConfig", "cilium.io")
                     for i in BgpInstance.parse_all(o.obj))

    def bgp_advertisements(self) -> tuple[Sourced[BgpAdvertisement], ...]:
        return tuple(Sourced(a, o.origin) for o in self.of_kind("CiliumBGPAdvertisement")
                     for a in BgpAdvertisement.parse_all(o.obj))

    def ingresses(self) -> tuple[Sourced[RepoIngress], ...]:
        return tuple(Sourced(_ingress(o), o.origin) for o in self.of_kind("Ingress", "networking.k8s.io"))

    def services(self) -> tuple[Sourced[Service], ...]:
        return tuple(Sourced(_parse(Service.parse, o), o.origin) for o in self.of_kind("Service", ""))

    # -- Helm -----------------------------------------------------------------------------------
    def helm_releases(self) -> tuple[HelmRelease, ...]:
        """The releases Flux applies."""
        return tuple(HelmRelease.parse(o.obj, o.origin) for o in self.of_kind("HelmRelease", "helm.toolkit.fluxcd.io"))

    def unapplied_releases(self) -> tuple[HelmRelease, ...]:
        """Releases in files no Flux Kustomization applies (listed, never judged)."""
        return tuple(HelmRelease.parse(o.obj, o.origin) for o in self.unapplied
                     if o.kind == "HelmRelease" and o.group == "helm.toolkit.fluxcd.io")

    def helm_release(self, name: str, namespace: str) -> HelmRelease:
        found = [r for r in self.helm_releases() if r.name == name and r.namespace == namespace]
        if not found:
            known = ", ".join(f"{r.namespace}/{r.name}" for r in self.helm_releases()) or "none"
            raise ConfigError(f"repo {self.root}: no HelmRelease {namespace}/{name} (releases: {known})")
        return found[0]

    def helm_values(self, name: str, namespace: str) -> dict[str, Any]:
        return dict(self.helm_release(name, namespace).values)

    def releases_of_chart(self, chart: str) -> tuple[HelmRelease, ...]:
        return tuple(r for r in self.helm_releases() if r.chart == chart)

    def ingress_controller(self, namespace: str, name: str) -> tuple[HelmRelease, Service] | None:
        """The ingress-nginx release whose controller Service is ``namespace/name``, and that Service."""
        for release in self.releases_of_chart("ingress-nginx"):
            svc = ingress_nginx_service(release)
            if svc is not None and svc.namespace == namespace and svc.name == name:
                return release, svc
        return None

    def ingress_controller_service(self, namespace: str, name: str) -> Sourced[Service] | None:
        found = self.ingress_controller(namespace, name)
        return Sourced(found[1], found[0].origin) if found else None

    def cilium_sources(self) -> tuple[CiliumSource, ...]:
        """What installs Cilium: the applied HelmReleases of chart cilium (Flux then owns the release),
        else every Taskfile task that runs ``helm install`` of the cilium chart; empty when neither."""
        releases = self.releases_of_chart("cilium")
        if releases:
            return tuple(CiliumSource(CiliumValues.parse(r.values), str(r.origin), r.origin) for r in releases)
        sources = []
        for install in self.bootstrap_installs:
            origin = Origin(install.taskfile, None)
            if install.missing:
                sources.append(CiliumSource(None, install.where, origin,
                                            f"its values file {', '.join(install.missing)} is not in the repo "
                                            "(helm would fail)"))
            else:
                sources.append(CiliumSource(CiliumValues.parse(install.values), install.where, origin))
        return tuple(sources)

    def cilium_values(self) -> Sourced[CiliumValues] | None:
        """The first readable Cilium values source (see :meth:`cilium_sources`)."""
        for source in self.cilium_sources():
            if source.values is not None:
                return Sourced(source.values, source.origin)
        return None


def _parse(fn: Any, obj: RenderedObject) -> Any:
    try:
        return fn(obj.obj)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{obj.origin.file}: {obj.ref}: {exc}") from exc


def _ingress(obj: RenderedObject) -> RepoIngress:
    parsed = _parse(IngressObject.parse, obj)
    rules = []
    for rule in (obj.obj.get("spec") or {}).get("rules") or []:
        for path in (rule.get("http") or {}).get("paths") or []:
            service = (path.get("backend") or {}).get("service") or {}
            port = service.get("port") or {}
            rules.append(IngressRule(str(rule.get("host", "")), str(service.get("name", "")),
                                     str(port.get("number") or port.get("name") or "")))
    return RepoIngress(parsed, tuple(rules))


def _router(root: Path, config: str | Path | None) -> tuple[RouterConfig | None, str]:
    if config is None:
        return None, "the profile names no router config file (bgp.router.config_file)"
    path = config if isinstance(config, Path) and config.is_absolute() else root / str(config)
    rel = relative(path, root)
    if not path.is_file():
        return None, f"the router config file {rel} (the profile's bgp.router.config_file) is not in the repo"
    return parse_frr(path, rel), ""


def _unapplied(root: Path, rendered_files: set[str], gaps: list[RepoGap]) -> list[RenderedObject]:
    found: list[RenderedObject] = []
    for path in sorted(root.rglob("*.y*ml")):
        rel = relative(path, root)
        if rel.split("/")[0] in SKIP_SCAN or "/" not in rel or rel in rendered_files:
            continue
        try:
            docs = parse_any(path.read_text(encoding="utf-8"), rel)
        except (ConfigError, OSError, UnicodeDecodeError) as exc:
            gaps.append(RepoGap(rel, f"unreferenced file skipped: {exc}", UNEVALUATED))
            continue
        found += [RenderedObject(d, Origin(rel, None)) for d in docs if isinstance(d, dict) and d.get("kind")
                  and d.get("apiVersion") and not str(d["apiVersion"]).startswith(KUSTOMIZE_API)]
    return found


__all__ = ["MISSING", "CiliumSource", "IngressRule", "RepoIngress", "RepoState"]
