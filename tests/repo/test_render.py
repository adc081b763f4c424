"""Kustomize and Flux semantics on small synthetic repos (and against kubectl kustomize where present)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.repo.state import RepoState
from tests.repo.helpers import cluster_with, write_repo

APP = {
    "apps/web/deploy.yaml": """\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: elsewhere}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
                - {name: web, image: "registry:5000/team/web:1.0", ports: [{containerPort: 80}]}
        """,
    "apps/web/svc.yaml": """\
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {selector: {app: web}, ports: [{port: 80}]}
        ---
        apiVersion: v1
        kind: Namespace
        metadata: {name: web}
        """,
    "apps/web/patch-svc.yaml": """\
        apiVersion: v1
        kind: Service
        metadata: {name: web}
        spec: {type: LoadBalancer}
        """,
    "apps/web/kustomization.yaml": """\
        resources: [deploy.yaml, svc.yaml, sub]
        namespace: web
        commonLabels: {team: a}
        labels:
          - pairs: {tier: front}
        images:
          - {name: "registry:5000/team/web", newTag: "2.0"}
        replicas:
          - {name: web, count: 3}
        patches:
          - path: patch-svc.yaml
          - target: {kind: Deployment, name: "w.*"}
            patch: |-
              - op: add
                path: /spec/template/spec/containers/0/env
                value: [{name: MODE, value: prod}]
        """,
    "apps/web/sub/kustomization.yaml": "resources: [cm.yaml]\n",
    "apps/web/sub/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: '1'}\n",
}


def _by_ref(repo: RepoState) -> dict[str, dict]:  # type: ignore[type-arg]
    return {o.ref: o.obj for o in repo.objects}


def test_resources_namespace_labels_patches_images_replicas(tmp_path: Path) -> None:
    repo = RepoState.open(cluster_with(tmp_path, {"web": "./apps/web"}, APP), cluster="c")
    objs = _by_ref(repo)
    deploy, svc = objs["Deployment web/web"], objs["Service web/web"]
    assert set(objs) >= {"Namespace web", "ConfigMap web/settings"}
    assert deploy["metadata"]["labels"] == {"team": "a", "tier": "front"}
    assert deploy["spec"]["selector"]["matchLabels"] == {"app": "web", "team": "a"}   # labels: no selectors
    assert deploy["spec"]["template"]["metadata"]["labels"] == {"app": "web", "team": "a"}
    assert svc["spec"]["selector"] == {"app": "web", "team": "a"} and svc["spec"]["type"] == "LoadBalancer"
    container = deploy["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "registry:5000/team/web:2.0"
    assert container["env"] == [{"name": "MODE", "value": "prod"}]
    assert deploy["spec"]["replicas"] == 3
    origins = {o.ref: o.origin for o in repo.objects}
    assert origins["ConfigMap web/settings"].file == "apps/web/sub/cm.yaml"
    assert origins["Deployment web/web"].flux_kustomization == "web"


def test_missing_files_and_paths_become_gaps(tmp_path: Path) -> None:
    files = {**APP, "apps/web/kustomization.yaml": "resources: [deploy.yaml, gone.yaml]\n"}
    repo = RepoState.open(cluster_with(tmp_path, {"web": "./apps/web", "lost": "./apps/lost"}, files), cluster="c")
    gaps = {(g.file, g.missing) for g in repo.gaps}
    assert ("apps/web/kustomization.yaml", "resource gone.yaml: no such file or directory") in gaps
    assert ("clusters/c/flux.yaml", "Flux Kustomization lost: path ./apps/lost does not exist") in gaps
    assert "Deployment elsewhere/web" in _by_ref(repo)


def test_flux_generates_a_kustomization_and_substitutes(tmp_path: Path) -> None:
    files = {"plain/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                             "data: {ip: '${ip}', d: '${missing:=fallback}', e: '$${ip}'}\n",
             "plain/notes.yaml": "just: notes\n"}
    root = cluster_with(tmp_path, {"plain": "./plain"}, files)
    flux = root / "clusters/c/flux.yaml"
    flux.write_text(flux.read_text() + "  targetNamespace: t\n  postBuild:\n    substitute: {ip: 10.0.0.1}\n")
    objs = _by_ref(RepoState.open(root, cluster="c"))
    assert objs["ConfigMap t/a"]["data"] == {"ip": "10.0.0.1", "d": "fallback", "e": "${ip}"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed")
def test_agrees_with_kubectl_kustomize(tmp_path: Path) -> None:
    root = write_repo(tmp_path, APP)
    out = subprocess.run(["kubectl", "kustomize", str(root / "apps/web")], capture_output=True, text=True,
                         check=True, timeout=30).stdout
    theirs = {f"{d['kind']} {d['metadata'].get('namespace', '')}/{d['metadata']['name']}": d
              for d in yaml.safe_load_all(out)}
    from harness.repo.kustomize import Kustomizer
    ours = {f"{o.kind} {o.namespace}/{o.name}": o.obj for o in Kustomizer(root).build(root / "apps/web")}
    assert ours == theirs
