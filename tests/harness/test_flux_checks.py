"""harness/rules/flux.py on objects: Ready conditions and revisions, each problem naming its object."""

from __future__ import annotations

from typing import Any

from harness.rules.flux import flux_problems

REV = "main@sha1:aaaa"


def _obj(kind: str, name: str, status: dict[str, Any] | None = None, **spec: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "namespace": "flux-system"}, "spec": spec,
            "status": status or {}}


def _ready(status: str = "True", **extra: Any) -> dict[str, Any]:
    return {"conditions": [{"type": "Ready", "status": status, "reason": "R", "message": "m"}], **extra}


SOURCE = _obj("GitRepository", "flux-system", _ready(artifact={"revision": REV}))
REF = {"kind": "GitRepository", "name": "flux-system"}


def test_converged_flux_passes() -> None:
    ks = _obj("Kustomization", "apps", _ready(lastAppliedRevision=REV), sourceRef=REF)
    assert flux_problems([SOURCE], [ks], [_obj("HelmRelease", "x", _ready())], "u") == []


def test_nothing_applied_is_a_problem() -> None:
    assert flux_problems([SOURCE], [], [], "u") == [
        "no Flux Kustomization at u: nothing applies the GitOps repository"]


def test_each_problem_names_its_object() -> None:
    kss = [_obj("Kustomization", "a", {}, sourceRef=REF),
           _obj("Kustomization", "b", _ready(lastAppliedRevision="main@sha1:old"), sourceRef=REF),
           _obj("Kustomization", "c", _ready(lastAppliedRevision=REV), sourceRef={**REF, "name": "gone"})]
    problems = flux_problems([SOURCE], kss, [_obj("HelmRelease", "h", _ready("False"))], "u")
    assert problems == [
        "Kustomization flux-system/a at u has no Ready condition: its controller has not reconciled it",
        "HelmRelease flux-system/h at u is not Ready (False): R: m",
        f"Kustomization flux-system/a at u applied revision (none); its source GitRepository flux-system/flux-system "
        f"is at {REV}",
        "Kustomization flux-system/b at u applied revision main@sha1:old; its source GitRepository "
        f"flux-system/flux-system is at {REV}",
        "Kustomization flux-system/c at u refers to GitRepository flux-system/gone, which does not exist"]
