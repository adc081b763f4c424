"""The Cilium release a repo installs (HelmRelease chart version, or a Taskfile's helm install) and what
it means for the repo's Cilium objects: v1 policies ignored from 1.19, BGPv2 before 1.16, objects in a
version the release does not serve."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.model.profile import Profile, load_profile
from harness.repo.state import RepoState
from harness.repo.variants import CONFORMING
from harness.rules.drift import drift
from harness.rules.judge import RepoJudge
from harness.rules.repo_network import installed_cilium
from tests.edits import replace_once

PROFILE = Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "home-ops.yaml"
HELMRELEASE = Path("infrastructure/cilium/helmrelease-bgp-only.yaml")
POLICY_FILE = "infrastructure/cilium-bgp/bgp-policy-legacy.yaml"
CHART = 'version: "1.17.6"'


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


def _repo(tmp_path: Path, edits: dict[Path, tuple[str, str]] | None = None,
          files: dict[str, str] | None = None) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CONFORMING, root)
    for rel, (old, new) in (edits or {}).items():
        (root / rel).write_text(replace_once((root / rel).read_text(), old, new))
    for rel_name, text in (files or {}).items():
        (root / rel_name).write_text(text)
    return root


def _chart(tmp_path: Path, declared: str | None) -> Path:
    new = "" if declared is None else f'version: "{declared}"'
    return _repo(tmp_path, {HELMRELEASE: (CHART, new)})


def test_a_v1_policy_with_nothing_installing_cilium_cannot_pass(tmp_path: Path, profile: Profile) -> None:
    root = _repo(tmp_path, {Path("clusters/home-ops/infrastructure/networking.yaml"):
                            ("path: ./infrastructure/cilium\n", "path: ./infrastructure/cilium-gone\n")})
    (root / "infrastructure/cilium-gone").mkdir()
    (root / "infrastructure/cilium-gone/kustomization.yaml").write_text("resources: []\n")
    problems = [p for p in RepoJudge.open(profile, root).problems("bgp") if "(CiliumBGPPeeringPolicy)" in p]
    assert len(problems) == 1 and "nothing in the repo installs Cilium" in problems[0]
    assert f"{HELMRELEASE} pins chart 1.17.6 but no Flux Kustomization applies it" in problems[0]


def test_conforming_repo_installs_the_profiled_release(profile: Profile) -> None:
    installed = installed_cilium(RepoState.open(CONFORMING))
    assert installed is not None and installed.version == profile.cilium.version
    assert installed.where.startswith(str(HELMRELEASE))


@pytest.mark.parametrize("declared", ["1.19.1", "1.19.x", "1.20.0"])
def test_v1_policy_under_1_19_or_later_fails_the_bgp_judgement_naming_files_and_release(
        tmp_path: Path, profile: Profile, declared: str) -> None:
    judge = RepoJudge.open(profile, _chart(tmp_path, declared))
    (problem,) = judge.problems("bgp")
    assert problem.startswith("bgp[bgp-peering-policy] (CiliumBGPPeeringPolicy): ")
    release = declared.replace(".x", ".x")
    assert f"Cilium {release} has no BGP control plane v1" in problem
    assert str(HELMRELEASE) in problem and POLICY_FILE in problem
    (release,) = judge.problems("cilium_release")          # the release scenario fails too
    assert release.startswith(f"cilium.version: profile requires 1.17.6; repo has Cilium {declared}")


@pytest.mark.parametrize(("declared", "words"), [
    (">=1.18.0 <1.20.0", "chart version '>=1.18.0 <1.20.0'"),
    (None, "no chart version (the newest chart)"),
])
def test_a_chart_version_naming_no_release_cannot_pass_a_v1_policy(tmp_path: Path, profile: Profile,
                                                                   declared: str | None, words: str) -> None:
    (problem,) = RepoJudge.open(profile, _chart(tmp_path, declared)).problems("bgp")
    assert "that no known Cilium release can be said to act on" in problem
    assert f"{words} ({HELMRELEASE}" in problem and "names no single Cilium release" in problem


def test_v1_policy_under_1_18_is_still_judged_field_by_field(tmp_path: Path, profile: Profile) -> None:
    repo = _repo(tmp_path, {HELMRELEASE: (CHART, 'version: "1.18.6"'),
                            Path(POLICY_FILE): ("localASN: 64512", "localASN: 65000")})
    fields = [d.field for d in drift(profile, RepoState.open(repo))]
    assert "bgp[bgp-peering-policy].virtualRouters[0].localASN" in fields
    assert not any("(CiliumBGPPeeringPolicy)" in f for f in fields)


V2_CONFIG = """\
apiVersion: cilium.io/{version}
kind: CiliumBGPClusterConfig
metadata: {{name: home-ops}}
spec:
  bgpInstances:
    - name: home-ops
      localASN: 64512
      peers: [{{name: udm, peerASN: 64513, peerAddress: 172.29.51.1, peerConfigRef: {{name: udm}}}}]
"""


def _with_v2(tmp_path: Path, chart: str, version: str) -> Path:
    return _repo(tmp_path, {HELMRELEASE: (CHART, f'version: "{chart}"'),
                            Path("infrastructure/cilium-bgp/kustomization.yaml"):
                                ("  - bgp-policy-legacy.yaml", "  - bgp-policy-legacy.yaml\n  - cluster-config.yaml")},
                 {"infrastructure/cilium-bgp/cluster-config.yaml": V2_CONFIG.format(version=version)})


def test_bgp_v2_objects_before_1_16_are_ignored(tmp_path: Path, profile: Profile) -> None:
    found = {d.field: d for d in drift(profile, RepoState.open(_with_v2(tmp_path, "1.15.19", "v2alpha1")))}
    ignored = found["bgp[home-ops] (CiliumBGPClusterConfig)"]
    assert "Cilium 1.15.19 has no BGP control plane v2" in ignored.repo_value
    assert ignored.where.startswith("infrastructure/cilium-bgp/cluster-config.yaml")


@pytest.mark.parametrize(("chart", "version", "reported"), [
    ("1.17.6", "v2", True),          # 1.17 serves the BGP kinds as v2alpha1 only: Flux cannot apply it
    ("1.17.6", "v2alpha1", False),
    ("1.18.6", "v2", False),
    ("1.19.1", "v2alpha1", False),   # still served (deprecated)
])
def test_objects_in_a_version_the_release_does_not_serve(tmp_path: Path, profile: Profile, chart: str,
                                                         version: str, reported: bool) -> None:
    judge = RepoJudge.open(profile, _with_v2(tmp_path, chart, version))
    field = "bgp[home-ops] (CiliumBGPClusterConfig).apiVersion"
    hits = [p for p in judge.problems("bgp") if p.startswith(field)]
    assert bool(hits) == reported, judge.problems("bgp")
    if reported:
        assert f"repo has cilium.io/{version} (Cilium {chart} per {HELMRELEASE}" in hits[0]
        assert "one Cilium 1.17.6 serves: cilium.io/v2alpha1" in hits[0]


def test_pools_in_an_unserved_version_fail_the_pool_judgement(tmp_path: Path, profile: Profile) -> None:
    pools = Path("infrastructure/cilium-pools/loadbalancer-pools.yaml")
    root = _repo(tmp_path)
    (root / pools).write_text((root / pools).read_text().replace("cilium.io/v2alpha1", "cilium.io/v2"))
    problems = RepoJudge.open(profile, root).problems("pools")
    assert [p.split(":")[0] for p in problems] == [f"lb_pools[{p.name}].apiVersion" for p in profile.pools]


TASKFILE = """\
version: "3"
tasks:
  apps:deploy-cilium:
    cmds:
      - helm repo add cilium https://helm.cilium.io/ || true
      - |
        helm upgrade --install cilium cilium/cilium \\
            --version {version} \\
            --namespace kube-system
  apps:deploy-other:
    cmds:
      - helm upgrade --install other charts/other --version 9.9.9
"""


def test_a_taskfile_installing_another_release_is_reported(tmp_path: Path, profile: Profile) -> None:
    root = _repo(tmp_path, files={"Taskfile.yml": TASKFILE.format(version="1.16.3")})
    judge = RepoJudge.open(profile, root)
    helmrelease = installed_cilium(judge.repo)
    assert helmrelease is not None and helmrelease.where.startswith(str(HELMRELEASE))
    extra = judge.findings("cilium_release")
    want = f"Cilium 1.16.3 (while {helmrelease.where} installs Cilium 1.17.6)"
    assert [(d.field, d.repo_value) for d in extra] == [("cilium.version (bootstrap helm install)", want)]
    assert extra[0].where.startswith("Taskfile.yml: task apps:deploy-cilium")
    assert judge.problems("bgp") == []


def test_without_a_helmrelease_the_taskfile_says_which_release(tmp_path: Path, profile: Profile) -> None:
    root = _repo(tmp_path, files={"Taskfile.yml": TASKFILE.format(version="1.19.0")})
    (root / HELMRELEASE).unlink()
    (root / "infrastructure/cilium/kustomization.yaml").write_text("resources: []\n")
    installed = installed_cilium(RepoState.open(root))
    assert installed is not None and str(installed.version) == "1.19.0"
    assert installed.where.startswith("Taskfile.yml: task apps:deploy-cilium")
    problems = [p for p in RepoJudge.open(profile, root).problems("bgp") if "(CiliumBGPPeeringPolicy)" in p]
    assert len(problems) == 1 and "Cilium 1.19.0 per Taskfile.yml: task apps:deploy-cilium" in problems[0]
