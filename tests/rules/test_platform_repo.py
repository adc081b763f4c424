"""The platform rules read from a repo: Flux's dependency chain, the secret store, Longhorn's values, the
issuer, the outpost's workloads (harness/rules/repo_platform.py), on the conforming fixture and on edits
of it, and the chain judgement itself on small graphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.model.profile import FluxStage, Profile, load_profile
from harness.repo import RepoState
from harness.rules import platform as pf
from harness.rules import repo_platform as rp
from harness.rules.judge import NotJudged, RepoJudge

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"
CONFORMING = ROOT / "fixtures" / "repos" / "conforming"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    dest = tmp_path / "repo"
    shutil.copytree(CONFORMING, dest)
    return dest


def _edit(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text()
    assert text.count(old) == 1, f"{file}: {old!r} occurs {text.count(old)} times"
    path.write_text(text.replace(old, new))


def _findings(profile: Profile, root: Path, check: rp.Check) -> list[str]:
    return [str(d) for d in check(profile, RepoState.open(root))]


# -- the chain on small graphs ---------------------------------------------------------------------------

STAGES = (FluxStage("A", ("a1", "a2")), FluxStage("B", ("b",)), FluxStage("C", ("c",)))


def _graph(**deps: tuple[str, ...]) -> dict[str, pf.FluxNode]:
    return {name: pf.FluxNode(d, f"Kustomization {name}") for name, d in deps.items()}


def test_chain_through_intermediate_kustomizations_holds() -> None:
    graph = _graph(a1=(), a2=(), x=("a1", "a2"), b=("x",), c=("b",))
    assert pf.chain_problems(STAGES, graph, "here") == []


def test_chain_names_the_missing_order_and_what_it_depends_on() -> None:
    graph = _graph(a1=(), a2=(), b=("a1",), c=("b",))
    (problem,) = pf.chain_problems(STAGES, graph, "here")
    assert problem.kustomization == "b"
    assert "Kustomization b (stage 'B') to be applied after a2 (stage 'A')" in str(problem)
    assert "it depends on a1: nothing orders it after a2" in str(problem)


def test_chain_reports_absent_members_dangling_and_circular_dependencies() -> None:
    graph = _graph(a1=("ghost",), b=("a1", "c"), c=("b",))
    texts = [str(p) for p in pf.chain_problems(STAGES, graph, "here")]
    assert "here: expected Kustomization a2 (stage 'A'); absent" in texts
    assert any("it depends on ghost, which does not exist: Flux never applies a1" in t for t in texts)
    assert any("Kustomization b not to depend on itself" in t for t in texts)
    assert any("Kustomization c not to depend on itself" in t for t in texts)


def test_chain_from_the_api_reads_depends_on_names() -> None:
    items = [{"metadata": {"name": "b", "namespace": "flux-system"},
              "spec": {"dependsOn": [{"name": "a1"}, {"name": "a2", "namespace": "flux-system"}]}},
             {"metadata": {"name": "a1", "namespace": "flux-system"}, "spec": {}},
             {"metadata": {"name": "a2", "namespace": "flux-system"}, "spec": {"dependsOn": None}}]
    graph = pf.kustomization_graph(items, "https://api")
    assert graph["b"].depends_on == ("a1", "a2")
    assert graph["b"].where == "Kustomization flux-system/b at https://api"
    assert pf.chain_problems(STAGES[:2], graph, "here") == []


# -- the conforming fixture and edits of it ---------------------------------------------------------------

def test_conforming_fixture_passes_every_platform_rule(profile: Profile) -> None:
    repo = RepoState.open(CONFORMING)
    assert [str(d) for check in rp.CHECKS for d in check(profile, repo)] == []


def test_ingress_stage_after_monitoring_is_required(profile: Profile, repo_copy: Path) -> None:
    _edit(repo_copy, "clusters/home-ops/infrastructure/networking.yaml",
          "    - name: infrastructure-monitoring\n", "")
    found = _findings(profile, repo_copy, rp.flux_chain)
    assert len(found) == 1
    assert found[0].startswith(
        "platform.flux.stages[infrastructure-ingress-nginx-internal]: profile requires Kustomization "
        "infrastructure-ingress-nginx-internal (stage 'Ingress Controllers') to be applied after "
        "infrastructure-monitoring (stage 'Cert Manager & Monitoring')")
    assert "clusters/home-ops/infrastructure/networking.yaml" in found[0]


def test_store_without_the_onepassword_provider(profile: Profile, repo_copy: Path) -> None:
    _edit(repo_copy, "infrastructure/onepassword/clustersecretstore.yaml", "    onepassword:\n", "    vault:\n")
    assert _findings(profile, repo_copy, rp.secrets) == [
        "platform.secrets.provider: profile requires onepassword; repo has vault "
        "(infrastructure/onepassword/clustersecretstore.yaml (Flux Kustomization infrastructure-onepassword))"]


def test_replica_count_written_as_a_string_is_read(profile: Profile, repo_copy: Path) -> None:
    _edit(repo_copy, "infrastructure/longhorn/helmrelease.yaml", "defaultReplicaCount: 2", 'defaultReplicaCount: "2"')
    assert _findings(profile, repo_copy, rp.longhorn) == []


def test_storage_class_replicas_left_at_the_chart_default(profile: Profile, repo_copy: Path) -> None:
    _edit(repo_copy, "infrastructure/longhorn/helmrelease.yaml", "\n      defaultClassReplicaCount: 2", "")
    (found,) = _findings(profile, repo_copy, rp.longhorn)
    assert found.startswith("longhorn persistence.defaultClassReplicaCount: profile requires 2; repo has not set "
                            "(Longhorn's default, 3)")


def test_a_repo_without_longhorn_is_not_judged(profile: Profile, repo_copy: Path) -> None:
    shutil.rmtree(repo_copy / "infrastructure" / "longhorn")
    _edit(repo_copy, "clusters/home-ops/kustomization.yaml", "  - ./infrastructure/storage.yaml\n", "")
    judge = RepoJudge.open(profile, repo_copy, strict=False)
    with pytest.raises(NotJudged, match="no HelmRelease of chart longhorn that Flux applies"):
        judge.problems(rp.LONGHORN_REPLICAS)
    with pytest.raises(NotJudged, match="no HelmRelease of chart longhorn"):
        judge.problems(rp.LONGHORN_DISKS)


def test_issuer_on_another_acme_server(profile: Profile, repo_copy: Path) -> None:
    _edit(repo_copy, "infrastructure/cert-manager-issuers/letsencrypt.yaml", "acme-v02.api.letsencrypt.org",
          "acme-staging-v02.api.letsencrypt.org")
    (found,) = _findings(profile, repo_copy, rp.certificates)
    assert found.startswith("platform.certificates.acme_server: profile requires "
                            "https://acme-v02.api.letsencrypt.org/directory; repo has "
                            "https://acme-staging-v02.api.letsencrypt.org/directory")


def test_outpost_without_its_redis_service(profile: Profile, repo_copy: Path) -> None:
    text = (repo_copy / "infrastructure/authentik-proxy/redis.yaml").read_text()
    (repo_copy / "infrastructure/authentik-proxy/redis.yaml").write_text(text.split("\n---\n")[0] + "\n")
    (found,) = _findings(profile, repo_copy, rp.outpost_workloads)
    assert "Service authentik-proxy/authentik-proxy-redis (in the repo): expected it in front of the outpost's " \
           "Redis; there is none" in found


@pytest.mark.parametrize("value, ok", [
    ("authentik-proxy-redis", True), ("authentik-proxy-redis.authentik-proxy", True),
    ("authentik-proxy-redis.authentik-proxy.svc.cluster.local:6379", True),
    ("redis://authentik-proxy-redis:6379/0", True),
    ("authentik-proxy-redis.authentik", False), ("authentik-redis-master.authentik.svc", False), ("", False)])
def test_redis_reference(value: str, ok: bool) -> None:
    assert pf.redis_reference(value, "authentik-proxy-redis", "authentik-proxy") is ok


def test_a_profile_without_a_platform_section_skips_with_the_reason(tmp_path: Path, profile: Profile) -> None:
    text = PROFILE.read_text()
    start, end = text.index("\nplatform:\n"), text.index("# Budgets in seconds")
    bare = tmp_path / "bare.yaml"
    bare.write_text(text[:start + 1] + text[end:])
    judge = RepoJudge.open(load_profile(bare), CONFORMING)
    for requirement in set(rp.PLATFORM) - {rp.LONGHORN_DISKS}:   # the disks need only the disks section
        with pytest.raises(NotJudged, match=r"states no platform\."):
            judge.problems(requirement)
    assert judge.problems(rp.LONGHORN_DISKS) == []


@pytest.mark.parametrize("old, new, error", [
    ("kustomizations: [infrastructure-onepassword]", "kustomizations: [infrastructure-sources]",
     r"platform\.flux\.stages: duplicate Kustomization.*: infrastructure-sources"),
    ("default_replica_count: 2 ", "default_replica_count: 0 ",
     r"platform\.longhorn\.default_replica_count: 0 is outside 1\.\.20"),
    ("acme_server: https://acme-v02", "acme_server: http://acme-v02",
     r"platform\.certificates\.acme_server: expected an https://"),
    ("    deployment: authentik-proxy\n", "    deploymnt: authentik-proxy\n", r"platform\.outpost"),
])
def test_platform_section_errors_name_line_and_field(tmp_path: Path, old: str, new: str, error: str) -> None:
    from harness.core.errors import ProfileError

    text = PROFILE.read_text()
    assert text.count(old) == 1, old
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, new))
    with pytest.raises(ProfileError, match=error) as info:
        load_profile(bad)
    assert str(bad) in str(info.value) and ":" in str(info.value).split(str(bad), 1)[1][:8]
