"""Flux HelmReleases as typed values, and the Services a chart's values ask for (no chart rendering).

    release = HelmRelease.parse(obj, origin); release.values["controller"]["service"]
    svc = ingress_nginx_service(release)          # a harness.model.objects.Service: type, labels, families

The controller Service is derived the way the ingress-nginx chart templates it (kubernetes/ingress-nginx
charts/ingress-nginx/templates/_helpers.tpl and controller-service.yaml, chart 4.x): name
``<fullname>-controller`` where fullname is the release name when it contains the chart name;
type LoadBalancer, SingleStack IPv4 unless the values say otherwise. Requested addresses
(``loadBalancerIP``, the ``lbipam.cilium.io/ips`` annotation, its older ``io.cilium/lb-ipam-ips``
spelling) become ``lb_addresses``: the intent, not an allocation. The release name follows Flux
(https://fluxcd.io/flux/components/helm/helmreleases/#release-name): ``[targetNamespace-]name``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.core.netaddr import IPAddress, parse_ip
from harness.model.objects import Service
from harness.repo.types import Obj, Origin

IPAM_ANNOTATIONS = ("lbipam.cilium.io/ips", "io.cilium/lb-ipam-ips")


@dataclass(frozen=True)
class HelmRelease:
    name: str
    namespace: str
    release_name: str
    target_namespace: str
    chart: str
    version: str
    values: dict[str, Any]
    values_from: tuple[str, ...]
    origin: Origin

    @classmethod
    def parse(cls, obj: Obj, origin: Origin) -> HelmRelease:
        meta, spec = obj.get("metadata") or {}, obj.get("spec") or {}
        name, namespace = str(meta.get("name", "")), str(meta.get("namespace") or "")
        target = str(spec.get("targetNamespace") or "")
        chart_spec = (spec.get("chart") or {}).get("spec") or {}
        release = str(spec.get("releaseName") or (f"{target}-{name}" if target else name))
        sources = tuple(f"{v.get('kind')}/{v.get('name')}" for v in spec.get("valuesFrom") or [])
        return cls(name, namespace, release, target or namespace, str(chart_spec.get("chart", "")),
                   str(chart_spec.get("version", "")), dict(spec.get("values") or {}), sources, origin)

    @property
    def ref(self) -> str:
        return f"HelmRelease {self.namespace}/{self.name}"


@dataclass(frozen=True)
class ChartIngress:
    """An Ingress a release's values enable: ``<key>.ingress.enabled: true`` at any depth."""

    values_path: str              # e.g. "grafana.ingress"
    hosts: tuple[str, ...]        # empty: the values name none (the chart's defaults decide)


def release_ingresses(release: HelmRelease) -> tuple[ChartIngress, ...]:
    """Ingresses the values ask the chart for, by the charts' common convention (``ingress.enabled``
    with ``hosts`` as names or ``{host: ...}`` items, or ``hostname``/``host``: grafana in
    kube-prometheus-stack, headlamp, kubernetes-dashboard's kong proxy, ...). Helm is not run here, so
    an Ingress a chart renders by default, or under other keys, is not seen."""
    found: list[ChartIngress] = []

    def walk(node: Any, path: tuple[str, ...]) -> None:
        if not isinstance(node, dict) or len(path) > 6:
            return
        for key, value in node.items():
            if key == "ingress" and isinstance(value, dict) and value.get("enabled") is True:
                found.append(ChartIngress(".".join((*path, key)), _hosts(value)))
            walk(value, (*path, str(key)))

    walk(release.values, ())
    return tuple(found)


def _hosts(ingress: dict[str, Any]) -> tuple[str, ...]:
    hosts: list[str] = []
    for item in ingress.get("hosts") or []:
        if isinstance(item, str):
            hosts.append(item)
        elif isinstance(item, dict) and (item.get("host") or item.get("name")):
            hosts.append(str(item.get("host") or item.get("name")))
    hosts += [str(ingress[k]) for k in ("hostname", "host") if isinstance(ingress.get(k), str)]
    return tuple(dict.fromkeys(h for h in hosts if h))


def _get(values: dict[str, Any], *path: str) -> Any:
    node: Any = values
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def chart_fullname(release: HelmRelease, chart: str) -> str:
    values = release.values
    if values.get("fullnameOverride"):
        return str(values["fullnameOverride"])[:63].rstrip("-")
    name = str(values.get("nameOverride") or chart)
    full = release.release_name if name in release.release_name else f"{release.release_name}-{name}"
    return full[:63].rstrip("-")


def requested_addresses(service_values: dict[str, Any]) -> tuple[IPAddress, ...]:
    texts = [str(service_values.get("loadBalancerIP") or "")]
    annotations = service_values.get("annotations") or {}
    texts += [part for key in IPAM_ANNOTATIONS for part in str(annotations.get(key, "")).split(",")]
    found = [parse_ip(t.strip()) for t in texts if t.strip()]
    return tuple(dict.fromkeys(ip for ip in found if ip is not None))


def ingress_nginx_service(release: HelmRelease) -> Service | None:
    """The controller Service the values ask for; None when ``controller.service.enabled`` is false."""
    values = release.values
    svc = _get(values, "controller", "service") or {}
    if svc.get("enabled") is False:
        return None
    name = str(values.get("nameOverride") or "ingress-nginx")
    component = str(_get(values, "controller", "name") or "controller")
    labels = {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": release.release_name,
              "app.kubernetes.io/part-of": name, "app.kubernetes.io/managed-by": "Helm",
              "app.kubernetes.io/component": "controller"}
    labels.update({str(k): str(v) for k, v in (values.get("commonLabels") or {}).items()})
    labels.update({str(k): str(v) for k, v in (svc.get("labels") or {}).items()})
    annotations = {str(k): str(v) for k, v in (svc.get("annotations") or {}).items()}
    families = tuple(str(f) for f in svc.get("ipFamilies") or ("IPv4",))
    return Service(release.target_namespace, f"{chart_fullname(release, 'ingress-nginx')}-{component}", labels,
                   annotations, str(svc.get("type") or "LoadBalancer"), families,
                   str(svc.get("ipFamilyPolicy") or "SingleStack"), (), requested_addresses(svc), (),
                   svc.get("loadBalancerClass"))
