"""A GitOps repo checkout as the typed evidence the live probes produce.

    repo = RepoState.open(Path("talos-gitops"), cluster="home-ops")
    repo.lb_pools()[0].value.blocks, repo.helm_values("cilium", "kube-system"), repo.gaps

``open`` renders every Flux Kustomization of ``clusters/<cluster>/`` (see flux.py, kustomize.py), reads
talconfig.yaml (talos.py) and the router's FRR file (frr_parse.py). Manifests that no Flux
Kustomization applies (Cilium's HelmRelease is bootstrap-managed in the owner's repo) are kept in
``unapplied`` and used as evidence only when nothing applied says otherwise, with origins that say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.errors import ConfigError
from harness.model import IngressObject, LbPoolObject, Service
from harness.repo.cilium import BgpAdvertisement, BgpInstance, BgpPeerConfig, BgpPeeringPolicy, CiliumValues
from harness.repo.flux import FluxKustomization, render_cluster
from harness.repo.frr import RouterConfig
from harness.repo.frr_parse import parse_frr
from harness.repo.helm import HelmRelease, ingress_nginx_service
from harness.repo.talos import TalosIntent, read_talos
from harness.repo.types import MISSING, UNEVALUATED, Origin, RenderedObject, RepoGap, Sourced
from harness.repo.yamlio import parse_any, relative

ROUTER_FILE = "udm-pro-bgp-no-auth.conf"
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
class RepoState:
    root: Path
    cluster: str
    objects: tuple[RenderedObject, ...]
    kustomizations: tuple[FluxKustomization, ...]
    gaps: tuple[RepoGap, ...]
    unapplied: tuple[RenderedObject, ...]
    talos: TalosIntent | None
    router: RouterConfig | None

    @classmethod
    def open(cls, path: Path, cluster: str = "home-ops", router_config: Path | None = None) -> RepoState:
        root = Path(path)
        rendered = render_cluster(root, cluster)
        gaps = list(rendered.gaps)
        unapplied = _unapplied(root, {o.origin.file for o in rendered.objects}, gaps)
        talos = read_talos(root)
        if talos is None:
            gaps.append(RepoGap("talconfig.yaml", "talconfig.yaml: no such file (Talos intent unknown)"))
        else:
            gaps += [RepoGap("talconfig.yaml", f"patch {p}: no such file") for p in talos.patch_files_missing]
        router_path = router_config or root / ROUTER_FILE
        router = parse_frr(router_path, relative(router_path, root)) if router_path.is_file() else None
        if router is None:
            gaps.append(RepoGap(relative(router_path, root), "router FRR config: no such file"))
        return cls(root, cluster, rendered.objects, rendered.kustomizations, tuple(gaps), tuple(unapplied),
                   talos, router)

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

    def bgp_peer_configs(self) -> tuple[Sourced[BgpPeerConfig], ...]:
        return tuple(Sourced(BgpPeerConfig.parse(o.obj), o.origin) for o in self.of_kind("CiliumBGPPeerConfig"))

    def bgp_advertisements(self) -> tuple[Sourced[BgpAdvertisement], ...]:
        return tuple(Sourced(a, o.origin) for o in self.of_kind("CiliumBGPAdvertisement")
                     for a in BgpAdvertisement.parse_all(o.obj))

    def ingresses(self) -> tuple[Sourced[RepoIngress], ...]:
        return tuple(Sourced(_ingress(o), o.origin) for o in self.of_kind("Ingress", "networking.k8s.io"))

    def services(self) -> tuple[Sourced[Service], ...]:
        return tuple(Sourced(_parse(Service.parse, o), o.origin) for o in self.of_kind("Service", ""))

    # -- Helm -----------------------------------------------------------------------------------
    def helm_releases(self) -> tuple[HelmRelease, ...]:
        """Applied releases first, then releases in files no Flux Kustomization applies."""
        return tuple(HelmRelease.parse(o.obj, o.origin)
                     for o in self.of_kind("HelmRelease", "helm.toolkit.fluxcd.io", applied_only=False))

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

    def cilium_values(self) -> Sourced[CiliumValues] | None:
        releases = self.releases_of_chart("cilium")
        if not releases:
            return None
        return Sourced(CiliumValues.parse(releases[0].values), releases[0].origin)


def _parse(fn: Any, obj: RenderedObject) -> Any:
    try:
        return fn(obj.obj)
    except (ValueError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{obj.origin.file}: {obj.ref}: {exc}") from None


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


__all__ = ["MISSING", "IngressRule", "RepoIngress", "RepoState"]
