"""platform.feature's live scenarios on a lab that serves the platform's kinds: they pass on objects a
converged cluster has, and each fails, naming the object and what is wrong, under its fault.

The lab runs none of these controllers (Flux, External Secrets, Longhorn, cert-manager): this module
registers their CRDs (the schemas the project writes, lab/seed/platform_crds.py) through the API as
installing them does, creates the objects a converged cluster holds, and writes their status through
/status the way each controller reports it (condition types and reasons from fixtures/upstream/).
All five faults are injected together and the feature runs once: each scenario must fail on its own
fault and name no other's culprit."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness.core.errors import KubeApiError
from harness.probes.kube import CRDS, NAMESPACES, Resource
from harness.rules import platform as pf
from harness.rules.flux import KUSTOMIZATIONS
from lab.seed.platform_crds import crds_for
from tests.faults.labrun import FaultLab

pytestmark = pytest.mark.lab

FEATURE = "platform.feature"
MERGE = "application/merge-patch+json"
LABEL = {"conformance.home-ops/fault": "injected"}
KINDS = ("Kustomization", "ClusterSecretStore", "ExternalSecret", "Setting", "Node", "Certificate", "ClusterIssuer")
STAGES = [("infrastructure-sources", []), ("infrastructure-external-secrets", ["infrastructure-sources"]),
          ("infrastructure-onepassword", ["infrastructure-external-secrets"]),
          ("infrastructure-cert-manager", ["infrastructure-onepassword"]),
          ("infrastructure-monitoring", ["infrastructure-onepassword"]),
          ("infrastructure-ingress-nginx-internal", ["infrastructure-cert-manager", "infrastructure-monitoring"]),
          ("infrastructure-longhorn", ["infrastructure-ingress-nginx-internal"]),
          ("infrastructure-postgresql-cluster", ["infrastructure-ingress-nginx-internal"]),
          ("infrastructure-authentik", ["infrastructure-longhorn", "infrastructure-postgresql-cluster"]),
          ("infrastructure-authentik-proxy", ["infrastructure-authentik"])]
HOSTS = ("longhorn", "alertmanager", "hubble", "homeassistant")


def _ready(status: str = "True", reason: str = "Ready", message: str = "") -> dict[str, Any]:
    return {"type": "Ready", "status": status, "reason": reason, "message": message,
            "lastTransitionTime": "2026-12-01T00:00:00Z"}


def _obj(res: Resource, name: str, namespace: str | None, spec: dict[str, Any], **top: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": LABEL}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": res.api_version, "kind": res.kind, "metadata": meta, **({"spec": spec} if spec else {}),
            **top}


def _disk(path: str, scheduling: bool = True) -> dict[str, Any]:
    return {"path": path, "allowScheduling": scheduling, "evictionRequested": False, "storageReserved": 0,
            "tags": [], "diskType": "filesystem"}


def _node_status(disk: str, schedulable: bool = True) -> dict[str, Any]:
    cond = {"type": "Schedulable", "status": "True" if schedulable else "False",
            "reason": "" if schedulable else "DiskPressure", "message": ""}
    return {"conditions": [{"type": "Ready", "status": "True", "reason": ""}],
            "diskStatus": {disk: {"conditions": [cond, {"type": "Ready", "status": "True", "reason": ""}]}}}


def converged() -> list[tuple[Resource, dict[str, Any], dict[str, Any] | None]]:
    """(resource, object, status) of a cluster where every platform scenario holds."""
    objs: list[tuple[Resource, dict[str, Any], dict[str, Any] | None]] = []
    for name, deps in STAGES:
        spec = {"interval": "15m", "path": f"./infrastructure/{name}", "prune": True,
                "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
                **({"dependsOn": [{"name": d} for d in deps]} if deps else {})}
        objs.append((KUSTOMIZATIONS, _obj(KUSTOMIZATIONS, name, "flux-system", spec),
                     {"conditions": [_ready(reason="ReconciliationSucceeded")]}))
    store = {"provider": {"onepassword": {"connectHost": "http://onepassword-connect.onepassword-connect:8080",
                                          "vaults": {"Automation": 1},
                                          "auth": {"secretRef": {"connectTokenSecretRef": {
                                              "name": "onepassword-connect-token", "namespace": "onepassword-connect",
                                              "key": "token"}}}}}}
    objs.append((pf.CLUSTER_SECRET_STORES, _obj(pf.CLUSTER_SECRET_STORES, "onepassword-connect", None, store),
                 {"conditions": [_ready(reason="Valid", message="store validated")], "capabilities": "ReadOnly"}))
    token = {"refreshInterval": "1h", "secretStoreRef": {"kind": "ClusterSecretStore", "name": "onepassword-connect"},
             "target": {"name": "authentik-proxy-token"},
             "data": [{"secretKey": "token", "remoteRef": {"key": "authentik-proxy-token", "property": "token"}}]}
    objs.append((pf.EXTERNAL_SECRETS, _obj(pf.EXTERNAL_SECRETS, "authentik-proxy-token", "authentik-proxy", token),
                 {"conditions": [_ready(reason="SecretSynced", message="secret synced")],
                  "refreshTime": "2026-12-01T00:00:00Z", "syncedResourceVersion": "1-abc"}))
    objs.append((pf.LONGHORN_SETTINGS, _obj(pf.LONGHORN_SETTINGS, pf.REPLICA_SETTING, "longhorn-system", {},
                                            value="2"), None))
    for node in ("mini01", "mini02", "mini03"):
        spec = {"allowScheduling": True, "disks": {"longhorn-ssd": _disk("/var/mnt/longhorn-ssd")}}
        objs.append((pf.LONGHORN_NODES, _obj(pf.LONGHORN_NODES, node, "longhorn-system", spec),
                     _node_status("longhorn-ssd")))
    issuer = {"acme": {"server": "https://acme-v02.api.letsencrypt.org/directory", "email": "admin@example.net",
                       "privateKeySecretRef": {"name": "letsencrypt-prod-account"},
                       "solvers": [{"dns01": {"cloudflare": {"apiTokenSecretRef": {"name": "cf", "key": "t"}}}}]}}
    objs.append((pf.CLUSTER_ISSUERS, _obj(pf.CLUSTER_ISSUERS, "letsencrypt-prod", None, issuer),
                 {"conditions": [_ready(reason="ACMEAccountRegistered", message="The ACME account was registered")],
                  "acme": {"uri": "https://acme-v02.api.letsencrypt.org/acme/acct/1"}}))
    cert = {"secretName": "authentik-proxy-tls", "dnsNames": [f"{h}.k8s.home.geoffdavis.com" for h in HOSTS],
            "issuerRef": {"name": "letsencrypt-prod", "kind": "ClusterIssuer", "group": "cert-manager.io"}}
    objs.append((pf.CERTIFICATES, _obj(pf.CERTIFICATES, "authentik-proxy-tls", "authentik-proxy", cert),
                 {"conditions": [_ready(message="Certificate is up to date and has not expired")],
                  "notAfter": "2027-03-01T00:00:00Z", "revision": 1}))
    return objs


def _wait_served(lab: FaultLab, res: Resource) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            lab.api.list(res)
            return
        except KubeApiError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _status(lab: FaultLab, res: Resource, obj: dict[str, Any], status: dict[str, Any]) -> None:
    meta = obj["metadata"]
    lab.api.request("PATCH", res.path(meta.get("namespace"), meta["name"]) + "/status", body={"status": status},
                    content_type=MERGE)


def _patch(lab: FaultLab, res: Resource, namespace: str | None, name: str, body: dict[str, Any]) -> None:
    lab.api.request("PATCH", res.path(namespace, name), body=body, content_type=MERGE)


@pytest.fixture(scope="module")
def platform(lab: FaultLab) -> Iterator[list[tuple[Resource, dict[str, Any], dict[str, Any] | None]]]:
    crds = crds_for(*KINDS)
    for crd in crds:
        lab.api.create(CRDS, crd)
    namespaces = ("flux-system", "authentik-proxy", "longhorn-system")
    try:
        for ns in namespaces:
            if lab.api.get(NAMESPACES, ns) is None:
                lab.api.create(NAMESPACES, {"apiVersion": "v1", "kind": "Namespace",
                                            "metadata": {"name": ns, "labels": LABEL}})
        objs = converged()
        for res, obj, _ in objs:
            _wait_served(lab, res)
            lab.api.create(res, obj)
        yield objs
    finally:
        for crd in crds:
            lab.api.delete(CRDS, crd["metadata"]["name"])


@pytest.fixture
def converged_platform(lab: FaultLab, platform: list[tuple[Resource, dict[str, Any], dict[str, Any] | None]]) -> None:
    """Every object back to its converged spec and status (faults of an earlier test undone)."""
    for res, obj, status in platform:
        meta = obj["metadata"]
        current = lab.api.get(res, meta["name"], meta.get("namespace"))
        assert current is not None, f"{res.kind} {meta['name']} vanished"
        current.update({k: v for k, v in obj.items() if k in ("spec", "value")})   # PUT: extra keys go too
        lab.api.request("PUT", res.path(meta.get("namespace"), meta["name"]), body=current)
        if status is not None:
            _status(lab, res, obj, status)


def test_platform_scenarios_pass_on_a_converged_cluster(lab: FaultLab, converged_platform: None) -> None:
    verdicts = lab.run_feature(FEATURE)
    for words in ("dependency order", "1password connect store", "profiled number of replicas",
                  "data on the user volume", "certificates come from the profiled issuer"):
        verdicts.passed(words)
    assert "the lab's outpost and Redis are processes" in verdicts.find("own redis").message


def test_each_platform_scenario_fails_on_its_own_fault(lab: FaultLab, converged_platform: None) -> None:
    ks = KUSTOMIZATIONS
    _patch(lab, ks, "flux-system", "infrastructure-longhorn",
           {"spec": {"dependsOn": [{"name": "infrastructure-onepassword"}]}})
    store = next(o for r, o, _ in converged() if r is pf.CLUSTER_SECRET_STORES)
    _status(lab, pf.CLUSTER_SECRET_STORES, store, {"conditions": [
        _ready("False", "InvalidProviderConfig", "could not reach 1Password Connect: connection refused")]})
    _patch(lab, pf.LONGHORN_SETTINGS, "longhorn-system", pf.REPLICA_SETTING, {"value": "3"})
    _patch(lab, pf.LONGHORN_NODES, "longhorn-system", "mini02",
           {"spec": {"disks": {"longhorn-ssd": None, "default-disk-fd0000000000": _disk("/var/lib/longhorn/")}}})
    _patch(lab, pf.CERTIFICATES, "authentik-proxy", "authentik-proxy-tls",
           {"spec": {"issuerRef": {"name": "selfsigned-issuer", "kind": "ClusterIssuer"}}})
    verdicts = lab.run_feature(FEATURE)

    chain = verdicts.failed("dependency order").message
    assert "Kustomization flux-system/infrastructure-longhorn at" in chain
    assert "to be applied after infrastructure-ingress-nginx-internal (stage 'Ingress Controllers')" in chain
    assert "it depends on infrastructure-onepassword" in chain

    secrets = verdicts.failed("1password connect store").message
    assert "ClusterSecretStore onepassword-connect at" in secrets
    assert "is not Ready (False): InvalidProviderConfig: could not reach 1Password Connect" in secrets

    replicas = verdicts.failed("profiled number of replicas").message
    assert f"Setting longhorn-system/{pf.REPLICA_SETTING} at" in replicas and "expected value 2; seen '3'" in replicas

    disks = verdicts.failed("data on the user volume").message
    assert "Longhorn Node longhorn-system/mini02 at" in disks
    assert "expected a disk at /var/mnt/longhorn-ssd" in disks
    assert "default-disk-fd0000000000 at /var/lib/longhorn/" in disks
    assert "also takes replicas" in disks and "mini01" not in disks

    certs = verdicts.failed("certificates come from the profiled issuer").message
    assert "Certificate authentik-proxy/authentik-proxy-tls at" in certs
    assert "expected issuerRef ClusterIssuer letsencrypt-prod, seen ClusterIssuer selfsigned-issuer" in certs

    for message, others in ((chain, ("onepassword-connect at", "Setting", "Certificate")),
                            (secrets, ("Kustomization", "Setting", "Certificate")),
                            (certs, ("Kustomization", "ClusterSecretStore", "Setting"))):
        assert not any(o in message for o in others), message
