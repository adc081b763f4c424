"""Unusable input raises ConfigError with one line naming the file (and line for YAML)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.repo.state import RepoState
from tests.repo.helpers import cluster_with


def test_malformed_yaml_names_file_and_line(tmp_path: Path) -> None:
    root = cluster_with(tmp_path, {"app": "./app"}, {
        "app/kustomization.yaml": "resources: [bad.yaml]\n",
        "app/bad.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n   broken: [\n"})
    with pytest.raises(ConfigError) as exc:
        RepoState.open(root, cluster="c")
    message = str(exc.value)
    assert message.startswith("app/bad.yaml:5: malformed YAML") and "\n" not in message


def test_missing_repo_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"repo .*nowhere: not a readable directory"):
        RepoState.open(tmp_path / "nowhere")


def test_undecidable_cluster_directory_lists_the_clusters_present(tmp_path: Path) -> None:
    root = cluster_with(tmp_path, {})
    (root / "clusters" / "d").mkdir()
    with pytest.raises(ConfigError, match=r"cannot tell the cluster directory: several Flux entry points "
                                          r"\(clusters/c, clusters/d\); name it with --cluster-dir"):
        RepoState.open(root, cluster="home-ops")
    assert RepoState.open(root, cluster="home-ops", cluster_dir="clusters/c").cluster_dir == "clusters/c"


def test_unknown_helm_release_names_what_exists(tmp_path: Path) -> None:
    repo = RepoState.open(cluster_with(tmp_path, {}), cluster="c")
    with pytest.raises(ConfigError, match=r"no HelmRelease kube-system/cilium \(releases: none\)"):
        repo.helm_values("cilium", "kube-system")
