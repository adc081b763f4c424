"""The required state rendered from the profile as Kubernetes objects, phase by phase.

    objs = desired_pools(profile, served)       # CiliumLoadBalancerIPPool objects, blocks and selectors as profiled
    objs = ingress_objects(profile)             # the ingress controller's namespace and LoadBalancer Service

The same objects serve a fresh real cluster (where Helm/Flux would later take them over) and the lab.
Cilium's kinds carry the ``apiVersion`` the target serves: ``served(group, kind)`` answers it from the
API server's discovery (``KubeApi.api_version_of``), so the objects fit whichever Cilium release runs
(1.17 serves the BGP kinds as cilium.io/v2alpha1 only, 1.18 and later as cilium.io/v2 too). The fields
used here have the same meaning in both versions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from harness.core.netaddr import Family
from harness.core.selectors import labels_selecting
from harness.model.profile import Profile

Obj = dict[str, Any]
Served = Callable[[str, str], str]      # (group, kind) -> "group/version" the target serves the kind as
MANAGED_BY = {"app.kubernetes.io/managed-by": "home-ops-conformance"}
CILIUM = "cilium.io"


def desired_pools(profile: Profile, served: Served) -> list[Obj]:
    api_version = served(CILIUM, "CiliumLoadBalancerIPPool")
    return [{
        "apiVersion": api_version, "kind": "CiliumLoadBalancerIPPool",
        "metadata": {"name": pool.name, "labels": dict(MANAGED_BY)},
        "spec": {"blocks": [b.to_cilium() for b in pool.blocks], "serviceSelector": pool.selector},
    } for pool in profile.pools]


def desired_bgp_policy(profile: Profile, served: Served) -> list[Obj]:
    """Cilium's BGP control plane v2 (the architecture's CiliumBGPClusterConfig / PeerConfig /
    Advertisement): the cluster ASN peers with the router in every family and advertises the
    LoadBalancer addresses of services in the advertised pools."""
    router, name = profile.bgp.router, profile.cluster_name
    advertised = [p.name for p in profile.pools if p.advertised]
    label_keys = sorted({k for p in profile.pools for k in labels_selecting(p.selector)})
    ad_labels = {"advertise": f"{name}-lb"}
    peers = [{"name": f"{router.name}-{f}", "peerASN": router.asn,
              "peerAddress": str(router.addresses.require(f, "router address")), "peerConfigRef": {"name": router.name}}
             for f in router.addresses.families]
    meta = {"labels": dict(MANAGED_BY)}
    cluster, peer, advert = (served(CILIUM, k) for k in
                             ("CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement"))
    return [
        {"apiVersion": cluster, "kind": "CiliumBGPClusterConfig", "metadata": {"name": name, **meta},
         "spec": {"nodeSelector": {"matchLabels": {"kubernetes.io/os": "linux"}},
                  "bgpInstances": [{"name": name, "localASN": profile.bgp.cluster_asn, "peers": peers}]}},
        {"apiVersion": peer, "kind": "CiliumBGPPeerConfig", "metadata": {"name": router.name, **meta},
         "spec": {"families": [{"afi": f, "safi": "unicast", "advertisements": {"matchLabels": ad_labels}}
                               for f in router.addresses.families]}},
        {"apiVersion": advert, "kind": "CiliumBGPAdvertisement",
         "metadata": {"name": f"{name}-lb", "labels": {**MANAGED_BY, **ad_labels}},
         "spec": {"advertisements": [{
             "advertisementType": "Service", "service": {"addresses": ["LoadBalancerIP"]},
             "selector": {"matchExpressions": [
                 {"key": key, "operator": "In", "values": advertised} for key in label_keys]}}]}},
    ]


def namespace(name: str, labels: dict[str, str] | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {**MANAGED_BY, **(labels or {})}}}


def lb_service(namespace_: str, name: str, *, labels: dict[str, str], families: tuple[Family, ...],
               requested: tuple[str, ...] = (), extra_labels: dict[str, str] | None = None,
               ports: tuple[tuple[str, int], ...] = (("http", 80),)) -> Obj:
    """A LoadBalancer Service selected into a pool by its labels (Cilium ignores annotations)."""
    meta: Obj = {"name": name, "namespace": namespace_, "labels": {**MANAGED_BY, **labels, **(extra_labels or {})}}
    if requested:
        meta["annotations"] = {"lbipam.cilium.io/ips": ",".join(requested)}
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": meta,
        "spec": {
            "type": "LoadBalancer",
            "ipFamilyPolicy": "RequireDualStack" if len(families) > 1 else "SingleStack",
            "ipFamilies": ["IPv4" if f == "ipv4" else "IPv6" for f in families],
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": n, "port": p, "protocol": "TCP"} for n, p in ports],
        },
    }


def cluster_ip_service(namespace_: str, name: str, *, policy: str, families: tuple[Family, ...]) -> Obj:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace_, "labels": dict(MANAGED_BY)},
            "spec": {"type": "ClusterIP", "ipFamilyPolicy": policy,
                     "ipFamilies": ["IPv4" if f == "ipv4" else "IPv6" for f in families],
                     "selector": {"app.kubernetes.io/name": name},
                     "ports": [{"name": "http", "port": 80, "protocol": "TCP"}]}}


def ingress_objects(profile: Profile) -> list[Obj]:
    ing = profile.ingress
    pool = profile.pool(ing.pool)
    requested = tuple(str(ing.addresses.require(f, "ingress address")) for f in ing.addresses.families)
    svc = lb_service(ing.namespace, ing.service, labels=labels_selecting(pool.selector),
                     families=ing.addresses.families, requested=requested,
                     ports=(("http", 80), ("https", 443)))
    svc["spec"]["selector"] = {"app.kubernetes.io/name": "ingress-nginx",
                               "app.kubernetes.io/component": "controller"}
    return [namespace(ing.namespace), svc]


def identity_objects(profile: Profile) -> list[Obj]:
    """The external outpost's namespace, Service and the one Ingress for every protected host."""
    ident, ing = profile.identity, profile.ingress
    ns, name = ident.outpost_namespace, ident.outpost_ingress
    labels = {**MANAGED_BY, "app.kubernetes.io/name": name, "app.kubernetes.io/component": "external-outpost"}
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": ns, "labels": labels},
               "spec": {"type": "ClusterIP", "selector": {"app.kubernetes.io/name": name},
                        "ports": [{"name": "http", "port": 9000, "protocol": "TCP"}]}}
    rule = {"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": name, "port": {"number": 9000}}}}]}}
    ingress = {
        "apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "annotations": {
            "nginx.ingress.kubernetes.io/ssl-redirect": "true",
            "nginx.ingress.kubernetes.io/force-ssl-redirect": "true"}},
        "spec": {"ingressClassName": ing.class_name,
                 "tls": [{"hosts": list(ident.hosts), "secretName": f"{name}-tls"}],
                 "rules": [{"host": host, **rule} for host in ident.hosts]},
    }
    return [namespace(ns), service, ingress]
