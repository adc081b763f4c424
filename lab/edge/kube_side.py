"""What the edge writes back to the API: Ingress status (ingress-nginx) and TLS Secrets (cert-manager).

    publish_ingress_status(store, spec, views)     # status.loadBalancer.ingress from the Service
    issue_tls_secrets(store, ca, views)             # one kubernetes.io/tls Secret per TLS entry

ingress-nginx with ``--publish-service`` copies its Service's ``status.loadBalancer.ingress``
into every Ingress of its class; without that Service it falls back to the fixed
``--publish-status-address`` list (https://kubernetes.github.io/ingress-nginx/user-guide/
cli-arguments/), here the profile's ingress addresses. Secrets carry cert-manager's
``cert-manager.io/alt-names`` annotation and are replaced when the hosts change; like
cert-manager they outlive the Ingress.
"""

from __future__ import annotations

import base64
from typing import Any, Protocol

from lab.edge.ca import LabCa
from lab.edge.ingresses import INGRESS, IngressView
from lab.edge.spec import EdgeSpec
from lab.store_api import Obj, Store

ALT_NAMES = "cert-manager.io/alt-names"
ISSUER = "cert-manager.io/issuer-name"


class WritableStore(Store, Protocol):
    """The in-process store plus the verbs a cert issuer needs (lab.kube's LabStore has them)."""

    def create(self, obj: Obj) -> Obj: ...

    def delete(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj: ...


def controller_addresses(store: Store, spec: EdgeSpec) -> tuple[str, ...]:
    svc = store.get("v1", "Service", spec.controller_namespace, spec.controller_service)
    lb = (((svc or {}).get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    found = tuple(i["ip"] for i in lb if i.get("ip"))
    return found or tuple(ip for _, ip in spec.ingress_addresses)


def publish_ingress_status(store: Store, spec: EdgeSpec, views: list[IngressView]) -> None:
    ips = controller_addresses(store, spec)
    for view in views:
        if view.status_ips != ips:
            store.update_status(*INGRESS, view.namespace, view.name,
                                {"loadBalancer": {"ingress": [{"ip": ip} for ip in ips]}})


def issue_tls_secrets(store: WritableStore, ca: LabCa, views: list[IngressView]) -> None:
    for view in views:
        for entry in view.tls:
            if not entry.secret_name or not entry.hosts:
                continue
            current = store.get("v1", "Secret", view.namespace, entry.secret_name)
            alt = ",".join(sorted(entry.hosts))
            if current is not None:
                if (current["metadata"].get("annotations") or {}).get(ALT_NAMES) == alt:
                    continue
                store.delete("v1", "Secret", view.namespace, entry.secret_name)
            store.create(_tls_secret(ca, view.namespace, entry.secret_name, entry.hosts))


def _tls_secret(ca: LabCa, namespace: str, name: str, hosts: tuple[str, ...]) -> dict[str, Any]:
    pair = ca.issue(hosts)

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return {
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/tls",
        "metadata": {"name": name, "namespace": namespace,
                     "annotations": {ALT_NAMES: ",".join(sorted(hosts)), ISSUER: "lab-ca"}},
        "data": {"tls.crt": b64(pair.cert_pem), "tls.key": b64(pair.key_pem),
                 "ca.crt": b64(ca.cert_pem)},
    }


def tls_pair(store: Store, namespace: str, name: str) -> tuple[bytes, bytes] | None:
    """(cert chain PEM, key PEM) of a kubernetes.io/tls Secret, or None when absent."""
    secret = store.get("v1", "Secret", namespace, name)
    data = (secret or {}).get("data") or {}
    if "tls.crt" not in data or "tls.key" not in data:
        return None
    return base64.b64decode(data["tls.crt"]), base64.b64decode(data["tls.key"])
