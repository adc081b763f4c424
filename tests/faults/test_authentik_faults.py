"""Each authentik scenario fails, naming host, hop and what was wrong, when its fault is in the lab."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from harness.probes.kube import INGRESSES, NAMESPACES
from lab.faults import inject
from provisioning.manifests import namespace
from tests.faults.labrun import FaultLab

pytestmark = pytest.mark.lab

FEATURE = "authentik.feature"
FAULT = {"conformance.home-ops/fault": "injected"}
HOST = "hubble.k8s.home.geoffdavis.com"


@contextmanager
def edge_fault(lab: FaultLab, name: str) -> Iterator[None]:
    inject(lab.lab_dir, "edge", name=name)
    try:
        yield
    finally:
        inject(lab.lab_dir, "clear")


def test_conforming_lab_passes_authentik(lab: FaultLab) -> None:
    verdicts = lab.run_feature(FEATURE)
    verdicts.all_passed()


def test_service_with_its_own_ingress_is_named(lab: FaultLab) -> None:
    lab.api.apply(NAMESPACES, namespace("grafana", FAULT), field_manager="fault")
    rogue = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
             "metadata": {"name": "grafana", "namespace": "grafana", "labels": FAULT},
             "spec": {"ingressClassName": "nginx-internal", "rules": [{"host": "grafana.k8s.home.geoffdavis.com",
                      "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                          "service": {"name": "grafana", "port": {"number": 3000}}}}]}}]}}
    lab.api.create(INGRESSES, rogue)
    try:
        v = lab.run_feature(FEATURE, "-k", "claims").failed("claims")
    finally:
        lab.api.delete(NAMESPACES, "grafana")
    assert "Ingress grafana/grafana" in v.message and "grafana.k8s.home.geoffdavis.com" in v.message
    assert "only authentik-proxy/authentik-proxy" in v.message


def test_authentiks_own_ingress_is_not_a_rogue_claim(lab: FaultLab) -> None:
    """Authentik's own host (profile identity.authentik_host) is exempt, on a cluster as in the repo rule."""
    lab.api.apply(NAMESPACES, namespace("authentik", FAULT), field_manager="fault")
    own = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
           "metadata": {"name": "authentik-server", "namespace": "authentik", "labels": FAULT},
           "spec": {"ingressClassName": "nginx-internal", "rules": [{"host": "authentik.k8s.home.geoffdavis.com",
                    "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {
                        "service": {"name": "authentik-server", "port": {"number": 80}}}}]}}]}}
    lab.api.create(INGRESSES, own)
    try:
        lab.run_feature(FEATURE, "-k", "claims").passed("claims")
    finally:
        lab.api.delete(NAMESPACES, "authentik")
        inject(lab.lab_dir, "settle")          # nginx serves Authentik's host from its stand-in again


def test_wrong_authentik_credentials_are_named(lab: FaultLab, tmp_path: Path) -> None:
    login = json.loads((lab.lab_dir / "authentik-login.json").read_text())
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"username": login["username"], "password": "not-the-password"}))
    v = lab.run_feature(FEATURE, "-k", f"authenticated_session and {HOST.split('.')[0]}",
                        "--authentik-credentials", str(wrong)).failed("authenticated session")
    assert f"{HOST}: Authentik login as '{login['username']}' (--authentik-credentials {wrong}): wrong username " \
           "or password: flow default-authentication-flow asked again at ak-stage-password (password: Invalid " \
           "password)" in v.message
    assert login["password"] not in v.message


def test_outpost_bypass_is_named(lab: FaultLab) -> None:
    with edge_fault(lab, "outpost-bypass"):
        v = lab.run_feature(FEATURE, "-k", f"unauthenticated and {HOST.split('.')[0]}").failed("unauthenticated")
    assert f"{HOST}: served 200 without authentication at hop 1 (GET https://{HOST}/ via " in v.message


def test_redirect_to_another_host_is_named(lab: FaultLab) -> None:
    with edge_fault(lab, "redirect-other-host"):
        v = lab.run_feature(FEATURE, "-k", f"unauthenticated and {HOST.split('.')[0]}").failed("unauthenticated")
    assert f"{HOST}: hop" in v.message and "has redirect_uri" in v.message and f"expected https://{HOST}/" in v.message


def test_wrong_certificate_name_is_named(lab: FaultLab) -> None:
    with edge_fault(lab, "wrong-cert-name"):
        v = lab.run_feature(FEATURE, "-k", f"certificate and {HOST.split('.')[0]}").failed("certificate")
    assert f"{HOST}: TLS at" in v.message or f"{HOST}: certificate at" in v.message
    assert "172.29.52.200:443" in v.message


def test_dns_record_pointing_elsewhere_is_named(lab: FaultLab) -> None:
    with lab.dns_record("hubble", "A", "172.29.52.123", restore="172.29.52.200"):
        try:
            v = lab.run_feature(FEATURE, "-k", f"resolves and {HOST.split('.')[0]}").failed("resolves")
        finally:
            lab.bootstrap()
    assert f"A {HOST} at 172.29.51.1: NOERROR, 172.29.52.123" in v.message
    assert "expected exactly 172.29.52.200" in v.message
