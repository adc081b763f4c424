"""The conforming fixture has no drift; each broken variant changes its evidence and is reported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.core.errors import ConfigError
from harness.model.profile import Profile, load_profile
from harness.repo.cilium import CiliumValues
from harness.repo.state import RepoState
from harness.repo.variants import CONFORMING, PASSING, Variant, load_variant, materialise, variants
from harness.rules.drift import drift, render_drift_markdown
from harness.rules.repo_architecture import scheduling_declarations, vip_declarations
from harness.rules.repo_network import installed_cilium

PROFILE = Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "home-ops.yaml"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


def _open(root: Path) -> RepoState:
    return RepoState.open(root, router_config=load_profile(PROFILE).bgp.router.config_file)


def _pool(repo: RepoState, name: str) -> str:
    return next(p.value.describe_blocks() for p in repo.lb_pools() if p.value.name == name)


def _ingress_svc(repo: RepoState) -> object:
    found = repo.ingress_controller_service("ingress-nginx-internal", "ingress-nginx-internal-controller")
    assert found is not None
    return found.value


def _talos(repo: RepoState) -> object:
    assert repo.talos is not None
    return repo.talos


def _cilium(repo: RepoState) -> CiliumValues:
    found = repo.cilium_values()
    assert found is not None
    return found.value


# What each variant changes in the evidence (the drift is read from the variant's own `expect:`).
EVIDENCE: dict[str, Callable[[RepoState], object]] = {
    "pool-range-changed": lambda r: _pool(r, "bgp-default"),
    "overlapping-pool": lambda r: sorted(p.value.name for p in r.lb_pools()),
    "pool-selector-annotation-only": lambda r: _ingress_svc(r).labels.get("io.cilium/lb-ipam-pool"),  # type: ignore[attr-defined]
    "ingress-single-stack": lambda r: _ingress_svc(r).ip_families,  # type: ignore[attr-defined]
    "bgp-policy-without-ingress-pool": lambda r: r.bgp_policies()[0].value.virtual_routers[0].service_selector,
    "bgp-advertisements-empty": lambda r: r.bgp_policies()[0].value.virtual_routers[0].service_advertisements,
    "router-prefix-list-not-covering": lambda r: r.router.accepts_from("172.29.51.11", "172.29.52.200/32")
    if r.router else None,
    "protected-domain-service-ingress": lambda r: sorted(i.value.ingress.ref for i in r.ingresses()),
    "state-not-encrypted": lambda r: sorted(d.value for d in _talos(r).encryption if d.applied),  # type: ignore[attr-defined]
    "user-volume-other-model": lambda r: [d.value.disk_selector for d in _talos(r).user_volumes if d.applied],  # type: ignore[attr-defined]
    "install-disk-not-apple": lambda r: sorted({d.value for d in _talos(r).install_disk_models}),  # type: ignore[attr-defined]
    "ipv6-pod-mask-too-small": lambda r: _cilium(r).node_capacity("ipv6"),
    "bgp-v1-policy-on-cilium-1-19": lambda r: str(getattr(installed_cilium(r), "version", None)),
    "bgp-v1-duplicate-local-asn": lambda r: [v.local_asn for v in r.bgp_policies()[0].value.virtual_routers],
    "bgp-v2-peer-config-without-families": lambda r: [o.obj["spec"].get("families")
                                                      for o in r.of_kind("CiliumBGPPeerConfig")],
    "bgp-v2-advertisement-without-selector": lambda r: [a.value.selector for a in r.bgp_advertisements()],
    "bgp-v2-node-selector-unlabelled": lambda r: [o.obj["spec"].get("nodeSelector")
                                                  for o in r.of_kind("CiliumBGPClusterConfig")],
    "chart-ingress-on-protected-domain": lambda r: sorted(h.ref for h in r.helm_releases()),
    "outpost-absent-service-ingress": lambda r: sorted(i.value.ingress.ref for i in r.ingresses()),
    "cilium-taskfile-kube-proxy-off": lambda r: [s.where for s in r.cilium_sources()],
    "router-accepts-pod-network": lambda r: r.router.accepts_from("172.29.51.11", "10.244.0.0/24")
    if r.router else None,
    "router-accepts-ipv6-pod-network": lambda r: r.router.accepts_from("fd47:25e1:2f96:51::11",
                                                                       "fd47:25e1:2f96:51:2000::/80")
    if r.router else None,
    "bgp-control-plane-disabled": lambda r: _cilium(r).bgp_control_plane,
    "cilium-release-other": lambda r: str(getattr(installed_cilium(r), "version", None)),
    "service-network-changed": lambda r: [list(map(str, d.value)) for d in _talos(r).service_subnets],  # type: ignore[attr-defined]
    "pod-network-ipv4-changed": lambda r: [list(map(str, d.value)) for d in _talos(r).pod_subnets],  # type: ignore[attr-defined]
    "ephemeral-not-encrypted": lambda r: sorted(d.value for d in _talos(r).encryption if d.applied),  # type: ignore[attr-defined]
    "user-volume-ext4": lambda r: [d.value.filesystem for d in _talos(r).user_volumes if d.applied],  # type: ignore[attr-defined]
    "control-plane-not-schedulable": lambda r: scheduling_declarations(r),
    "lb-acceleration-native": lambda r: [h.values.get("loadBalancer") for h in r.releases_of_chart("cilium")],
    "control-plane-vip-other": lambda r: vip_declarations(r),
    "flux-longhorn-before-ingress": lambda r: [k.depends_on for k in r.kustomizations
                                               if k.name == "infrastructure-longhorn"],
    "secrets-outpost-token-unknown-store": lambda r: [o.obj["spec"]["secretStoreRef"]
                                                      for o in r.of_kind("ExternalSecret", "external-secrets.io")],
    "longhorn-three-replicas": lambda r: [h.values["defaultSettings"].get("defaultReplicaCount")
                                          for h in r.releases_of_chart("longhorn")],
    "longhorn-default-data-path": lambda r: [h.values["defaultSettings"].get("defaultDataPath")
                                             for h in r.releases_of_chart("longhorn")],
    "certificates-self-signed": lambda r: [o.obj["metadata"].get("annotations") for o in r.of_kind("Ingress")],
    "outpost-redis-shared": lambda r: [o.obj["spec"]["template"]["spec"]["containers"][0].get("env")
                                       for o in r.of_kind("Deployment") if o.name == "authentik-proxy"],
}


def test_conforming_fixture_has_no_drift(profile: Profile) -> None:
    repo = _open(CONFORMING)
    assert drift(profile, repo) == [], render_drift_markdown(drift(profile, repo))
    assert repo.gaps == ()


def test_every_variant_is_covered_here() -> None:
    assert {v.name for v in variants()} == set(EVIDENCE)
    assert all(v.breaks and v.expect_drift for v in variants())


@pytest.mark.parametrize("variant", variants(), ids=lambda v: v.name)
def test_variant_changes_evidence_and_is_reported(variant: Variant, profile: Profile, tmp_path: Path) -> None:
    before = EVIDENCE[variant.name](_open(CONFORMING))
    repo = _open(materialise(variant, tmp_path))
    assert EVIDENCE[variant.name](repo) != before
    fields = [d.field for d in drift(profile, repo)]
    missing = [f for f in variant.expect_drift if f not in fields]
    assert not missing, f"{variant.name}: expected drift {missing}; reported {fields}"


def test_an_edit_that_no_longer_applies_names_the_variant(tmp_path: Path) -> None:
    bad = tmp_path / "stale.yaml"
    bad.write_text("breaks: x\nedits:\n  - {file: talconfig.yaml, old: 'no such text', new: y}\n")
    with pytest.raises(ConfigError, match=r"stale.yaml: talconfig.yaml: old text occurs 0 times"):
        materialise(load_variant(bad), tmp_path / "out")


@pytest.mark.parametrize("variant", variants(PASSING), ids=lambda v: v.name)
def test_passing_variant_has_no_drift(variant: Variant, profile: Profile, tmp_path: Path) -> None:
    assert variant.breaks.startswith("nothing:")
    repo = _open(materialise(variant, tmp_path))
    judged = [d for d in drift(profile, repo) if d.applied]
    assert judged == [], render_drift_markdown(judged)
