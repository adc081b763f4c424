"""The Flux scenario of cluster_config.feature fails, naming the object and its Ready reason or revision,
when Flux's state is wrong. The lab runs no Flux (the scenario skips there, saying so); these tests
register Flux's kinds through the lab's API as installing Flux does, in a lab of their own."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness.core.errors import KubeApiError
from harness.probes.kube import CRDS, Resource
from harness.rules.flux import GIT_REPOSITORIES, HELM_RELEASES, KINDS, KUSTOMIZATIONS
from tests.faults.labrun import FaultLab

pytestmark = pytest.mark.lab

FEATURE = "cluster_config.feature"
MERGE = "application/merge-patch+json"


def _patch(lab: FaultLab, path: str, body: dict[str, Any]) -> None:
    lab.api.request("PATCH", path, body=body, content_type=MERGE)


# -- Flux: its kinds registered through the API as installing Flux does, objects with the status its
# controllers write (set here through /status: the lab runs no Flux controllers) ------------------------
REVISION = "main@sha1:0123456789abcdef0123456789abcdef01234567"


def _crd(res: Resource) -> dict[str, Any]:
    """A CRD for one of Flux's kinds: group, version, names and scope as Flux defines them; the schema is
    left open (this test judges status handling, not Flux's validation)."""
    singular = res.kind.lower()
    return {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": f"{res.plural}.{res.group}"},
            "spec": {"group": res.group, "scope": "Namespaced",
                     "names": {"plural": res.plural, "singular": singular, "kind": res.kind,
                               "listKind": f"{res.kind}List"},
                     "versions": [{"name": res.version, "served": True, "storage": True,
                                   "subresources": {"status": {}},
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                                                  "x-kubernetes-preserve-unknown-fields": True}}}]}}


def _ready(status: str = "True", reason: str = "ReconciliationSucceeded", message: str = "Applied") -> dict[str, Any]:
    return {"type": "Ready", "status": status, "reason": reason, "message": message,
            "lastTransitionTime": "2026-01-01T00:00:00Z"}


def _flux_object(res: Resource, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": res.api_version, "kind": res.kind,
            "metadata": {"name": name, "namespace": "flux-system", "labels": FAULT_LABEL}, "spec": spec}


FAULT_LABEL = {"conformance.home-ops/fault": "injected"}
FLUX_OBJECTS = [
    (GIT_REPOSITORIES, "flux-system", {"url": "https://github.com/example/home-ops", "interval": "1m"},
     {"artifact": {"revision": REVISION}}),
    (KUSTOMIZATIONS, "infrastructure-sources", {"interval": "10m", "prune": True, "path": "./infrastructure/sources",
                                                "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
     {"lastAppliedRevision": REVISION}),
    (KUSTOMIZATIONS, "infrastructure-onepassword", {
        "interval": "10m", "prune": True, "path": "./infrastructure/onepassword",
        "sourceRef": {"kind": "GitRepository", "name": "flux-system"},
        "dependsOn": [{"name": "infrastructure-sources"}]}, {"lastAppliedRevision": REVISION}),
    (HELM_RELEASES, "longhorn", {"interval": "30m", "chart": {"spec": {"chart": "longhorn", "version": "1.9.1"}}},
     {"lastAttemptedRevision": "1.9.1"}),
]


@pytest.fixture(scope="module")
def flux_kinds(lab: FaultLab) -> Iterator[None]:
    """Flux's kinds and a few objects, registered once for this module."""
    for res in KINDS:
        lab.api.create(CRDS, _crd(res))
    try:
        ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "flux-system", "labels": FAULT_LABEL}}
        lab.api.request("POST", "/api/v1/namespaces", body=ns)
        for res, name, spec, _ in FLUX_OBJECTS:
            _wait_served(lab, res)
            lab.api.create(res, _flux_object(res, name, spec))
        yield
    finally:
        for res in KINDS:
            lab.api.delete(CRDS, f"{res.plural}.{res.group}")
        lab.api.request("DELETE", "/api/v1/namespaces/flux-system")


@pytest.fixture
def flux_installed(lab: FaultLab, flux_kinds: None) -> None:
    """Every Flux object Ready at the source's revision, as Flux's controllers report a converged cluster."""
    for res, name, _, status in FLUX_OBJECTS:
        _set_status(lab, res, name, {**status, "conditions": [_ready()]})


def _wait_served(lab: FaultLab, res: Resource) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            lab.api.list(res, "flux-system")
            return
        except KubeApiError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _set_status(lab: FaultLab, res: Resource, name: str, status: dict[str, Any]) -> None:
    _patch(lab, res.path("flux-system", name) + "/status", {"status": status})


def test_flux_ready_everywhere_passes(lab: FaultLab, flux_installed: None) -> None:
    lab.run_feature(FEATURE, "-k", "Flux").passed("Flux")


def test_flux_kustomization_not_ready(lab: FaultLab, flux_installed: None) -> None:
    _set_status(lab, KUSTOMIZATIONS, "infrastructure-onepassword", {"conditions": [
        _ready("False", "DependencyNotReady", "dependency 'flux-system/infrastructure-sources' is not ready")]})
    v = lab.run_feature(FEATURE, "-k", "Flux").failed("Flux")
    assert "Kustomization flux-system/infrastructure-onepassword at" in v.message
    assert "is not Ready (False): DependencyNotReady: dependency 'flux-system/infrastructure-sources'" in v.message
    assert "infrastructure-sources at" not in v.message


def test_flux_kustomization_behind_its_source(lab: FaultLab, flux_installed: None) -> None:
    old = "main@sha1:fedcba9876543210fedcba9876543210fedcba98"
    _set_status(lab, KUSTOMIZATIONS, "infrastructure-sources", {"lastAppliedRevision": old})
    v = lab.run_feature(FEATURE, "-k", "Flux").failed("Flux")
    assert "Kustomization flux-system/infrastructure-sources at" in v.message
    assert f"applied revision {old}; its source GitRepository flux-system/flux-system is at {REVISION}" in v.message


def test_flux_helmrelease_failed(lab: FaultLab, flux_installed: None) -> None:
    _set_status(lab, HELM_RELEASES, "longhorn", {"conditions": [
        _ready("False", "UpgradeFailed", "Helm upgrade failed: timed out waiting for the condition")]})
    v = lab.run_feature(FEATURE, "-k", "Flux").failed("Flux")
    assert "HelmRelease flux-system/longhorn at" in v.message and "UpgradeFailed: Helm upgrade failed" in v.message
