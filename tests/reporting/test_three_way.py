"""The three-way table offline: verdicts, the repo column from fixture repos (and the owner's snapshot),
the live column from API objects in the shapes the Kubernetes API and Cilium's chart give them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import KubeApiError
from harness.model.facts import Compare, Fact, FieldSpec, SourceFacts, block_text, field_specs
from harness.model.profile import Profile, load_profile
from harness.probes.kube import Resource
from harness.repo import RepoState, materialise, variants
from harness.repo.variants import CONFORMING
from harness.reporting.three_way import AGREES, NOT_READ, Cell, render_markdown, three_way, verdict
from harness.sources.live import live_facts
from harness.sources.repo import repo_facts
from tests.reference import owner_repo

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"
URL = "https://cluster.example:6443"


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


def _repo(profile: Profile, root: Path) -> SourceFacts:
    return repo_facts(profile, RepoState.open(root, cluster=profile.cluster_name,
                                              router_config=profile.bgp.router.config_file))


def test_verdicts() -> None:
    ok, bad, other = Cell(Fact("a", "f"), ok=True), Cell(Fact("b", "f"), ok=False), Cell(Fact("c", "o"), ok=False)
    none = Cell(None, "why")
    assert verdict(ok, ok) == AGREES and verdict(ok, none) == AGREES and verdict(none, none) == NOT_READ
    assert verdict(bad, ok) == "repo differs" and verdict(ok, bad) == "live differs"
    assert verdict(bad, Cell(Fact("b", "o"), ok=False)) == "repo and live differ (alike)"
    assert verdict(bad, other) == "repo and live differ"


def test_canonical_text_makes_both_spellings_of_a_block_equal() -> None:
    from harness.core.netaddr import AddressBlock
    assert block_text(AddressBlock.parse_range("172.29.52.0", "172.29.52.255")) == "172.29.52.0/24"
    assert block_text(AddressBlock.parse_cidr("fd47:25e1:2f96:51:100::/120")) == "fd47:25e1:2f96:51:100::/120"
    assert block_text(AddressBlock.parse_range("172.29.52.200", "172.29.52.220")) == "172.29.52.200-172.29.52.220"
    assert FieldSpec("disks.install_disk_model", "APPLE*", Compare.GLOB).agrees("APPLE SSD AP0256Q, APPLE SSD X")
    assert not FieldSpec("disks.install_disk_model", "APPLE*", Compare.GLOB).agrees("APPLE SSD, Samsung SSD 870")


def test_the_conforming_repo_agrees_field_by_field(profile: Profile) -> None:
    table = three_way(profile, _repo(profile, CONFORMING), None)
    assert not table.drifted, render_markdown(table)
    assert all(r.repo.fact is not None for r in table.rows), [r.field for r in table.rows if r.repo.fact is None]
    assert next(r for r in table.rows if r.field == "ingress.addresses.ipv6").repo.fact == Fact(
        "fd47:25e1:2f96:51:100::c8", "infrastructure/ingress-nginx-internal/helmrelease.yaml (Flux Kustomization "
        "infrastructure-ingress-nginx-internal)")
    assert all(r.live.unread == "not compared" for r in table.rows)


@pytest.mark.parametrize(("name", "field", "value"), [
    ("pool-range-changed", "lb_pools[bgp-default].blocks", "172.29.52.100-172.29.52.149"),
    ("bgp-control-plane-disabled", "cilium.bgp_control_plane", "false"),
    ("cilium-release-other", "cilium.version", "1.17.5"),
    ("service-network-changed", "networks.services.ipv4", "10.112.0.0/12"),
    ("ephemeral-not-encrypted", "disks.encryption.EPHEMERAL", "not encrypted"),
    ("router-prefix-list-not-covering", "bgp.router.accepts.ipv4", "refused: "),
])
def test_a_broken_repo_drifts_in_its_row(profile: Profile, tmp_path: Path, name: str, field: str, value: str) -> None:
    variant = next(v for v in variants() if v.name == name)
    table = three_way(profile, _repo(profile, materialise(variant, tmp_path / name)), None)
    drifted = {r.field: r for r in table.drifted}
    assert field in drifted, render_markdown(table)
    assert drifted[field].repo.fact is not None and drifted[field].repo.fact.value.startswith(value)
    assert drifted[field].verdict == "repo differs"


def test_the_owners_snapshot_rows(profile: Profile) -> None:
    table = three_way(profile, _repo(profile, owner_repo()), None)
    rows = {r.field: r for r in table.rows}
    reserved = rows["lb_pools[bgp-reserved].blocks"]
    assert reserved.verdict == "repo differs" and reserved.repo.fact is not None
    assert reserved.repo.fact.value == "172.29.52.50-172.29.52.99"
    assert reserved.repo.fact.where.startswith("infrastructure/cilium-pools/loadbalancer-pools.yaml")
    assert rows["bgp.router.neighbors.ipv6"].verdict == "repo differs"        # IPv4 sessions only
    assert rows["bgp.router.accepts.ipv6"].repo.fact is not None
    assert rows["bgp.router.accepts.ipv6"].repo.fact.value == "no session carries ipv6"
    assert rows["cilium.kube_proxy_replacement"].verdict == NOT_READ          # no applied source of values
    assert "no readable source of Cilium's values" in rows["cilium.kube_proxy_replacement"].repo.unread


# -- the live column from API objects ------------------------------------------------------------
def _pool(name: str, blocks: list[dict[str, str]], selector: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2", "kind": "CiliumLoadBalancerIPPool", "metadata": {"name": name},
            "spec": {"blocks": blocks, "serviceSelector": selector}}


class FakeApi:
    """KubeApi's reads, answering from objects in the API's shapes; a kind in ``forbidden`` gives 403."""

    url = URL

    def __init__(self, objects: dict[str, list[dict[str, Any]]], forbidden: tuple[str, ...] = ()) -> None:
        self.objects, self.forbidden = objects, forbidden

    def resource_for(self, group: str, kind: str) -> Resource:
        return Resource(group, "v2", kind.lower() + "s", kind, False)

    def served_versions(self, group: str, kind: str) -> tuple[str, ...]:
        return ("v2",) if kind in self.objects else ()

    def list(self, res: Resource, namespace: str | None = None, *, label_selector: str | None = None) -> list[Any]:
        if res.kind in self.forbidden:
            raise KubeApiError(f"LIST {res.plural}: 403 Forbidden", 403, "Forbidden")
        return self.objects.get(res.kind, [])

    def get(self, res: Resource, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        if res.kind in self.forbidden:
            raise KubeApiError(f"GET {res.plural}/{name}: 403 Forbidden", 403, "Forbidden")
        return next((o for o in self.objects.get(res.kind, []) if o["metadata"]["name"] == name
                     and o["metadata"].get("namespace") in (None, namespace)), None)


def _cluster(profile: Profile, **extra: Any) -> dict[str, list[dict[str, Any]]]:
    pools = [_pool(p.name, [b.to_cilium() for b in p.blocks], p.selector) for p in profile.pools]
    return {"CiliumLoadBalancerIPPool": pools, "ConfigMap": [{
        "metadata": {"name": "cilium-config", "namespace": "kube-system"},
        # a chart that leaves bpf-lb-acceleration out (the agent's default, disabled) and IPv6 cluster-pool keys
        "data": {"kube-proxy-replacement": "true", "enable-bgp-control-plane": "true", "enable-ipv4": "true",
                 "enable-ipv6": "true", "ipam": "cluster-pool", "cluster-pool-ipv4-cidr": "10.244.0.0/16",
                 "cluster-pool-ipv4-mask-size": "24", "cluster-pool-ipv6-cidr": "fd47:25e1:2f96:51::/64",
                 "cluster-pool-ipv6-mask-size": "80"}}], "DaemonSet": [{
        "metadata": {"name": "cilium", "namespace": "kube-system"},
        "spec": {"template": {"spec": {"containers": [{"name": "cilium-agent",
                                                       "image": "quay.io/cilium/cilium:v1.17.6@sha256:abc"}]}}}}],
        **extra}


def test_live_facts_from_api_objects(profile: Profile) -> None:
    facts = live_facts(profile, FakeApi(_cluster(profile)))  # type: ignore[arg-type]
    table = three_way(profile, None, facts)
    rows = {r.field: r for r in table.rows}
    for field in ("lb_pools[bgp-ingress].blocks", "lb_pools[bgp-default-ipv6].service_selector", "cilium.version",
                  "cilium.lb_acceleration", "networks.pods.ipv6", "networks.pod_mask_sizes.ipv6"):
        assert rows[field].verdict == AGREES, rows[field]
    assert rows["lb_pools[bgp-ingress].blocks"].live.fact == Fact(
        "172.29.52.200-172.29.52.220", f"CiliumLoadBalancerIPPool bgp-ingress at {URL}")
    # what this cluster does not have is absent and differs; what was not given is unread, saying why
    assert rows["ingress.ip_families"].verdict == "live differs"
    assert rows["bgp.cluster_asn"].live.fact is not None and rows["bgp.cluster_asn"].live.fact.value == "absent"
    assert "no SSH access given" in rows["bgp.router.asn"].live.unread
    assert "no talosconfig given" in rows["disks.encryption.STATE"].live.unread


def test_an_extra_pool_and_a_forbidden_read(profile: Profile) -> None:
    objects = _cluster(profile)
    objects["CiliumLoadBalancerIPPool"].append(_pool("media", [{"cidr": "172.29.53.0/28"}], {}))
    facts = live_facts(profile, FakeApi(objects, forbidden=("ConfigMap",)))  # type: ignore[arg-type]
    rows = {r.field: r for r in three_way(profile, None, facts).rows}
    assert rows["lb_pools[media].blocks"].verdict == "not in the profile"
    assert rows["cilium.kube_proxy_replacement"].verdict == NOT_READ
    for field in ("cilium.kube_proxy_replacement", "networks.pods.ipv4"):
        assert "cannot read" in rows[field].live.unread and "403 Forbidden" in rows[field].live.unread


def test_every_field_has_a_row_and_a_reason(profile: Profile) -> None:
    facts = live_facts(profile, FakeApi({}))  # type: ignore[arg-type]
    for spec in field_specs(profile):
        assert spec.field in facts.facts or facts.why_unread(spec.field), spec.field
