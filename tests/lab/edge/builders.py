"""Ingress objects for the edge tests, shaped like the owner's authentik-proxy Ingress.

    store.create(outpost_ingress(spec, hosts=("longhorn.k8s.home.geoffdavis.com",)))
"""

from __future__ import annotations

from typing import Any

from lab.edge import EdgeSpec


def namespace(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}


def outpost_ingress(spec: EdgeSpec, hosts: tuple[str, ...], *, name: str = "authentik-proxy",
                    legacy_class: bool = True, class_name: str | None = None) -> dict[str, Any]:
    """Like talos-gitops infrastructure/authentik-proxy/ingress.yaml: one rule per host → :9000."""
    cls = class_name or spec.ingress_class
    notes = {"external-dns.alpha.kubernetes.io/hostname": ",".join(hosts),
             "external-dns.alpha.kubernetes.io/ttl": "300"}
    if legacy_class:
        notes["kubernetes.io/ingress.class"] = cls
    rules = [{"host": h, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
        "service": {"name": spec.outpost_service, "port": {"number": spec.outpost_port}}}}]}}
        for h in hosts]
    body: dict[str, Any] = {"rules": rules, "tls": [{"hosts": list(hosts), "secretName": f"{name}-tls"}]}
    if not legacy_class:
        body["ingressClassName"] = cls
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
            "metadata": {"name": name, "namespace": spec.outpost_namespace, "annotations": notes},
            "spec": body}
