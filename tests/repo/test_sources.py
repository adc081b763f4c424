"""Where the gate reads each piece of evidence: the cluster folder, the router config, kustomize's JSON
patches, files nothing applies, the Taskfile's bootstrap install of Cilium, and skips without evidence."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from harness.core.errors import ConfigError
from harness.model.profile import Profile, load_profile
from harness.repo.flux import find_cluster_dir
from harness.repo.kustomize import Kustomizer
from harness.repo.state import RepoState
from harness.repo.taskfile import helm_installs
from harness.repo.variants import CONFORMING
from harness.rules.judge import RepoJudge
from tests.repo.helpers import FLUX_KS, cluster_with, write_repo

PROFILE = Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "home-ops.yaml"
ENTRY = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: flux-system, namespace: flux-system}
spec:
  path: ./clusters/homelab
  sourceRef: {kind: GitRepository, name: flux-system}
"""


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(CONFORMING, root)
    return root


# -- the cluster folder ---------------------------------------------------------------------------
def test_cluster_dir_is_the_flux_system_kustomizations_path(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"clusters/homelab/flux-system/gotk-sync.yaml": ENTRY,
                                 "clusters/homelab/kustomization.yaml": "resources: []\n",
                                 "clusters/staging/kustomization.yaml": "resources: []\n"})
    assert find_cluster_dir(root, "home-ops") == "clusters/homelab"


def test_cluster_dir_is_the_only_folder_or_the_profiles_name(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"clusters/lab/kustomization.yaml": "resources: []\n"})
    assert find_cluster_dir(root, "home-ops") == "clusters/lab"
    write_repo(tmp_path, {"clusters/home-ops/kustomization.yaml": "resources: []\n"})
    assert find_cluster_dir(root, "home-ops") == "clusters/home-ops"
    assert find_cluster_dir(root, "home-ops", explicit="./clusters/lab/") == "clusters/lab"


def test_undecidable_cluster_dir_asks_for_the_option(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"clusters/a/kustomization.yaml": "resources: []\n",
                                 "clusters/b/kustomization.yaml": "resources: []\n"})
    with pytest.raises(ConfigError, match=r"several Flux entry points \(clusters/a, clusters/b\).*--cluster-dir"):
        find_cluster_dir(root, "home-ops")
    with pytest.raises(ConfigError, match=r"--cluster-dir clusters/c: no such directory .*clusters present: a, b"):
        find_cluster_dir(root, "home-ops", explicit="clusters/c")


def test_renaming_the_cluster_folder_follows_the_entry_point(tmp_path: Path) -> None:
    root = cluster_with(tmp_path, {"web": "./apps/web"},
                        {"apps/web/kustomization.yaml": "resources: [cm.yaml]\n",
                         "apps/web/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"})
    (root / "clusters" / "c").rename(root / "clusters" / "homelab")
    write_repo(root, {"clusters/homelab/flux-system/gotk-sync.yaml": ENTRY})
    repo = RepoState.open(root, cluster="home-ops")
    assert repo.cluster_dir == "clusters/homelab" and "ConfigMap x" in {o.ref for o in repo.objects}


# -- the router config: named by the profile, optional --------------------------------------------
def test_router_config_is_the_profiles_file_and_optional(tmp_path: Path, profile: Profile) -> None:
    assert profile.bgp.router.config_file == "udm-pro-bgp-no-auth.conf"
    root = _copy(tmp_path)
    assert RepoState.open(root, router_config=profile.bgp.router.config_file).router is not None
    (root / "udm-pro-bgp-no-auth.conf").unlink()
    repo = RepoState.open(root, router_config=profile.bgp.router.config_file)
    assert repo.router is None and "udm-pro-bgp-no-auth.conf" in repo.router_absent and repo.gaps == ()
    verdict = RepoJudge.open(profile, root).verdict("bgp")
    assert verdict.problems == () and "router's acceptance is not judged" in verdict.skipped
    none = RepoState.open(root, router_config=None)
    assert none.router is None and "names no router config file" in none.router_absent


# -- kustomize's JSON 6902 -------------------------------------------------------------------------
JSON_PATCHED = {
    "app/kustomization.yaml": """\
        resources: [cm.yaml]
        patches:
          - target: {kind: ConfigMap, name: x}
            patch: |-
              - {op: add, path: /metadata/annotations/example.com~1ignore, value: "false"}
        """,
    "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: '1'}\n",
}


def test_json_patch_add_under_annotations_works_as_in_kustomize(tmp_path: Path) -> None:
    root = write_repo(tmp_path, JSON_PATCHED)
    renderer = Kustomizer(root)
    (obj,) = [o.obj for o in renderer.build(root / "app")]
    assert obj["metadata"]["annotations"] == {"example.com/ignore": "false"} and renderer.gaps == []
    if shutil.which("kubectl"):
        theirs = yaml.safe_load(subprocess.run(["kubectl", "kustomize", str(root / "app")], capture_output=True,
                                               text=True, check=True, timeout=30).stdout)
        assert theirs == obj


def test_json_patch_under_a_missing_map_stops_the_build_as_in_kustomize(tmp_path: Path, profile: Profile) -> None:
    files = {**JSON_PATCHED, "app/kustomization.yaml": JSON_PATCHED["app/kustomization.yaml"].replace(
        "/metadata/annotations/example.com~1ignore", "/metadata/labels/tier")}
    root = write_repo(tmp_path, files)
    renderer = Kustomizer(root)
    renderer.build(root / "app")
    (gap,) = renderer.gaps
    assert gap.kind == "broken" and gap.file == "app/kustomization.yaml" and "'labels' does not exist" in gap.missing
    if shutil.which("kubectl"):
        proc = subprocess.run(["kubectl", "kustomize", str(root / "app")], capture_output=True, text=True, timeout=30)
        assert proc.returncode != 0 and "doc is missing path" in proc.stderr


# -- files nothing applies: listed, never judged ----------------------------------------------------
def test_unapplied_helmrelease_is_listed_not_judged(tmp_path: Path, profile: Profile) -> None:
    root = _copy(tmp_path)
    values = root / "infrastructure/cilium/helmrelease-bgp-only.yaml"
    values.write_text(values.read_text().replace("kubeProxyReplacement: true", "kubeProxyReplacement: false"))
    (root / "infrastructure/cilium/kustomization.yaml").write_text("resources: []\n")
    judge = RepoJudge.open(profile, root)
    assert [r.ref for r in judge.repo.unapplied_releases()] == ["HelmRelease kube-system/cilium"]
    assert not any("kubeProxyReplacement" in d.field for d in judge.drifts)
    kube_proxy = judge.verdict("kube_proxy")
    assert kube_proxy.problems == () and "no readable source of Cilium's values" in kube_proxy.skipped
    report = judge.report()
    assert "infrastructure/cilium/helmrelease-bgp-only.yaml: HelmRelease kube-system/cilium" in report
    assert "Manifests no Flux Kustomization applies (not judged)" in report


def test_unreferenced_talos_patch_is_listed_not_judged(tmp_path: Path, profile: Profile) -> None:
    root = _copy(tmp_path)
    patch = root / "talos/patches/usb-ssd-uservolumes.yaml"
    patch.write_text(patch.read_text().replace("type: xfs", "type: ext4"))
    talconfig = (root / "talconfig.yaml").read_text()
    assert "usb-ssd-uservolumes.yaml" not in talconfig, "the fixture keeps this patch unreferenced"
    judge = RepoJudge.open(profile, root)
    unapplied = [d for d in judge.drifts if not d.applied]
    assert [d.repo_value for d in unapplied] == ["ext4"]
    assert judge.verdict("user_volume_fs").problems == ()
    assert "Declared in files nothing applies (not judged)" in judge.report()


# -- the Taskfile's bootstrap install of Cilium ----------------------------------------------------
TASKFILE = """\
version: "3"
vars:
  CILIUM_VERSION: 1.17.6
includes:
  net: ./taskfiles/net.yml
tasks:
  apps:deploy-cilium:
    cmds:
      - mise exec -- helm repo add cilium https://helm.cilium.io/ || true
      - |
        mise exec -- helm upgrade --install cilium cilium/cilium \\
            --version {{.CILIUM_VERSION}} --namespace kube-system \\
            -f infrastructure/cilium/values.yaml \\
            --set ipam.operator.clusterPoolIPv4PodCIDRList="10.244.0.0/16" \\
            --set kubeProxyReplacement=true,bgpControlPlane.enabled=true \\
            --set-string k8sServicePort=6443 \\
            --set tolerations[0].key=node-role.kubernetes.io/control-plane
"""
NET = """\
version: "3"
tasks:
  cilium:
    cmds:
      - cmd: helm install cilium cilium --namespace kube-system --set kubeProxyReplacement=false --wait
      - task: other
"""
VALUES = "ipv6: {enabled: true}\nkubeProxyReplacement: false\nipam: {operator: {clusterPoolIPv4MaskSize: 24}}\n"


def test_taskfile_helm_installs_with_values_files_and_sets(tmp_path: Path) -> None:
    root = write_repo(tmp_path, {"Taskfile.yml": TASKFILE, "taskfiles/net.yml": NET,
                                 "infrastructure/cilium/values.yaml": VALUES})
    first, second = helm_installs(root, "cilium")
    assert (first.task, first.version, first.namespace) == ("apps:deploy-cilium", "1.17.6", "kube-system")
    assert first.values == {"ipv6": {"enabled": True}, "kubeProxyReplacement": True,
                            "ipam": {"operator": {"clusterPoolIPv4MaskSize": 24,
                                                  "clusterPoolIPv4PodCIDRList": "10.244.0.0/16"}},
                            "bgpControlPlane": {"enabled": True}, "k8sServicePort": "6443",
                            "tolerations": [{"key": "node-role.kubernetes.io/control-plane"}]}
    assert first.values_files == ("infrastructure/cilium/values.yaml",) and first.missing == ()
    assert (second.task, second.taskfile, second.values) == ("net:cilium", "taskfiles/net.yml",
                                                             {"kubeProxyReplacement": False})


def test_taskfile_is_the_cilium_source_when_flux_applies_none(tmp_path: Path, profile: Profile) -> None:
    root = _copy(tmp_path)
    (root / "infrastructure/cilium/kustomization.yaml").write_text("resources: []\n")
    write_repo(root, {"Taskfile.yml": TASKFILE, "taskfiles/net.yml": NET, "infrastructure/cilium/values.yaml": VALUES})
    judge = RepoJudge.open(profile, root)
    sources = judge.repo.cilium_sources()
    assert [s.where for s in sources] == [
        "Taskfile.yml: task apps:deploy-cilium (helm install cilium cilium/cilium)",
        "taskfiles/net.yml: task net:cilium (helm install cilium cilium)"]
    kube_proxy = judge.verdict("kube_proxy").problems
    assert len(kube_proxy) == 1 and "taskfiles/net.yml: task net:cilium" in kube_proxy[0]


def test_missing_values_file_is_no_evidence(tmp_path: Path, profile: Profile) -> None:
    root = _copy(tmp_path)
    (root / "infrastructure/cilium/kustomization.yaml").write_text("resources: []\n")
    write_repo(root, {"Taskfile.yml": TASKFILE.replace("includes:\n  net: ./taskfiles/net.yml\n", "")})
    strict = RepoJudge.open(profile, root)
    verdict = strict.verdict("pods ipv6")
    assert len(verdict.problems) == 1 and "values file infrastructure/cilium/values.yaml: no such file" in \
        verdict.problems[0] and "helm (the bootstrap install of Cilium) stops here" in verdict.problems[0]
    partial = RepoJudge.open(profile, root, strict=False).verdict("pods ipv6")
    assert partial.problems == () and "is not in the repo (helm would fail)" in partial.skipped


# -- no pass without evidence -----------------------------------------------------------------------
def test_no_talconfig_skips_node_disks(tmp_path: Path, profile: Profile) -> None:
    root = _copy(tmp_path)
    (root / "talconfig.yaml").unlink()
    judge = RepoJudge.open(profile, root)
    for owner in ("install_disk", "user_volume_disk", "user_volume_fs", "encryption STATE", "encryption EPHEMERAL"):
        verdict = judge.verdict(owner)
        assert verdict.problems == () and "no talconfig.yaml" in verdict.skipped, owner
    with pytest.raises(BaseException, match="no talconfig.yaml") as exc:
        judge.problems("install_disk")
    assert exc.type.__name__ == "NotJudged"


def test_protected_domain_names_every_ingress_without_the_outpost(tmp_path: Path, profile: Profile) -> None:
    root = _copy(tmp_path)
    (root / "infrastructure/authentik-proxy/kustomization.yaml").write_text(
        "resources: [namespace.yaml, grafana.yaml]\nnamespace: authentik-proxy\n")
    write_repo(root, {"infrastructure/authentik-proxy/grafana.yaml": """\
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: grafana}
        spec:
          ingressClassName: nginx-internal
          rules: [{host: grafana.k8s.home.geoffdavis.com}]
        """})
    problems = RepoJudge.open(profile, root).verdict("outpost").problems
    assert any("identity.outpost" in p and "absent" in p for p in problems)
    assert any("Ingress authentik-proxy/grafana serves grafana.k8s.home.geoffdavis.com" in p
               and "infrastructure/authentik-proxy/grafana.yaml" in p for p in problems)


def test_chart_ingress_from_values_and_unknown_hosts(tmp_path: Path, profile: Profile) -> None:
    root = _copy(tmp_path)
    (root / "clusters/home-ops/kustomization.yaml").write_text(
        "resources: [./infrastructure/networking.yaml, ./infrastructure/identity.yaml, ./apps.yaml]\n")
    write_repo(root, {
        "clusters/home-ops/apps.yaml": FLUX_KS.format(name="apps", path="./apps"),
        "apps/kustomization.yaml": "resources: [grafana.yaml]\n",
        "apps/grafana.yaml": """\
            apiVersion: helm.toolkit.fluxcd.io/v2
            kind: HelmRelease
            metadata: {name: kps, namespace: monitoring}
            spec:
              chart: {spec: {chart: kube-prometheus-stack}}
              values:
                grafana:
                  ingress: {enabled: true, hosts: [grafana.k8s.home.geoffdavis.com]}
            """})
    (problem,) = RepoJudge.open(profile, root).verdict("outpost").problems
    assert "HelmRelease monitoring/kps (chart kube-prometheus-stack, values grafana.ingress)" in problem
    assert "apps/grafana.yaml" in problem
    grafana = root / "apps/grafana.yaml"
    grafana.write_text(grafana.read_text().replace("hosts: [grafana.k8s.home.geoffdavis.com]", "path: /"))
    verdict = RepoJudge.open(profile, root).verdict("outpost")
    assert verdict.problems == () and "chart's output would tell" in verdict.skipped


# -- the real kustomize where the renderer stops short ---------------------------------------------
@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl not installed: no real kustomize to compare")
def test_real_kustomize_evaluates_what_the_renderer_does_not_and_keeps_files(tmp_path: Path) -> None:
    files = {
        "app/kustomization.yaml": """\
            resources: [cm.yaml, svc.yaml]
            replacements:
              - source: {kind: ConfigMap, name: addr, fieldPath: data.ip}
                targets:
                  - select: {kind: Service, name: web}
                    fieldPaths: [spec.loadBalancerIP]
            """,
        "app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: addr}\ndata: {ip: 172.29.52.201}\n",
        "app/svc.yaml": "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: LoadBalancer, "
                        "loadBalancerIP: placeholder}\n",
    }
    root = write_repo(tmp_path, files)
    plain = Kustomizer(root)
    (svc,) = [o for o in plain.build(root / "app") if o.kind == "Service"]
    assert svc.obj["spec"]["loadBalancerIP"] == "placeholder" and plain.gaps[0].kind == "unevaluated"
    real = Kustomizer(root, kubectl="kubectl")
    (svc,) = [o for o in real.build(root / "app") if o.kind == "Service"]
    assert svc.obj["spec"]["loadBalancerIP"] == "172.29.52.201" and svc.origin.file == "app/svc.yaml"
    assert real.gaps == [] and real.real_changes == [
        "app/kustomization.yaml: Service web: rendered differently (kustomize's output used)"]


def test_what_kustomize_refuses_is_a_broken_gap_and_the_rest_still_renders(tmp_path: Path) -> None:
    cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    root = write_repo(tmp_path, {
        "wrong-api/kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1\nkind: Kustomization\n"
                                        "resources: [cm.yaml]\n",
        "wrong-api/cm.yaml": cm,
        "twice/kustomization.yaml": "resources: [a.yaml, b.yaml]\n",
        "twice/a.yaml": cm, "twice/b.yaml": cm,
        "local/kustomization.yaml": "resources: [cm.yaml]\n",
        "local/cm.yaml": cm.replace("{name: x}", "{name: x, annotations: {config.kubernetes.io/local-config: 'true'}}")
        + "---\n" + cm.replace("name: x", "name: y"),
    })
    for directory, words in (("wrong-api", "should be kustomize.config.k8s.io/v1beta1"),
                             ("twice", "ConfigMap x is already listed")):
        renderer = Kustomizer(root)
        assert [o.ref for o in renderer.build(root / directory)] == ["ConfigMap x"]
        (gap,) = renderer.gaps
        assert gap.kind == "broken" and words in gap.missing, gap
        if shutil.which("kubectl"):
            assert subprocess.run(["kubectl", "kustomize", str(root / directory)], capture_output=True,
                                  timeout=30).returncode != 0
    assert [o.ref for o in Kustomizer(root).build(root / "local")] == ["ConfigMap y"]
