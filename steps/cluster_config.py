"""Steps for features/cluster_config.feature (live: nodes, cilium-config, the agent's image, the resolver;
repo: talconfig's control planes and scheduling, Cilium's XDP acceleration — harness/rules/repo_architecture.py).

From a repo the settings scenario judges ``loadBalancer.acceleration`` only: kube-proxy replacement and
the BGP control plane are judged there by the kube-proxy and BGP-configuration scenarios, so a broken
repo fails exactly one scenario."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then

from harness.core.errors import CheckFailed, KubeApiError, TalosApiError
from harness.core.netaddr import Family
from harness.model.cilium_versions import AGENT_NAMESPACE
from harness.model.profile import Profile
from harness.probes.cilium_agent import running_version
from harness.probes.cluster import Cluster
from harness.probes.dns import DnsProbe
from harness.probes.kube import NODES
from harness.probes.talos.client import TalosClient
from harness.rules import cluster_config as cc
from harness.rules import flux, require
from harness.rules.repo_architecture import CONTROL_PLANE_VIP
from harness.rules.requirements import Requirement as R
from steps import FAMILY
from steps.fixtures import Evidence


@then("every profiled node is a control-plane node that takes workloads")
def control_plane_nodes(profile: Profile, evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.CONTROL_PLANE))
    cluster = evidence.cluster
    try:
        nodes = cluster.api.list(NODES)
    except KubeApiError as exc:
        raise CheckFailed(f"cannot list nodes at {cluster.url}: {exc}") from exc
    require(cc.control_plane_problems(profile, nodes, cluster.url))


@then("Cilium's agent configuration has the profiled BGP control plane, kube-proxy replacement and XDP acceleration")
def cilium_config(profile: Profile, evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.CILIUM_SETTINGS))
    cluster = evidence.cluster
    try:
        config = cluster.api.get(cc.CONFIGMAPS, cc.CILIUM_CONFIG, AGENT_NAMESPACE)
    except KubeApiError as exc:
        raise CheckFailed(f"cannot read ConfigMap {AGENT_NAMESPACE}/{cc.CILIUM_CONFIG} at {cluster.url}: "
                          f"{exc}") from exc
    require(cc.cilium_config_problems(profile, config, cluster.url))


@then("the Cilium agent runs the profiled release")
def cilium_release(profile: Profile, evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.CILIUM_RELEASE))
    version, where = running_version(evidence.cluster.api)
    require([cc.cilium_version_problem(profile, version, where)])


@then("the API endpoint's address is held by exactly one control-plane node, on its management link")
def control_plane_vip(profile: Profile, evidence: Evidence, request: pytest.FixtureRequest) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(CONTROL_PLANE_VIP))
    if not cc.vip_address(profile):
        pytest.skip(f"profile {profile.source} gives no IP address as cluster.api_endpoint")
    talos: TalosClient = request.getfixturevalue("talos")
    held = {}
    for node in profile.nodes:
        address = str(node.addresses.get(Family.IPV4) or node.addresses.require(Family.IPV6, "node address"))
        try:
            held[node.name] = talos.address_statuses(address)
        except TalosApiError as exc:
            raise CheckFailed(f"cannot read the addresses of {node.name} through the Talos API at "
                              f"{talos.endpoint}: {exc}") from exc
    require(cc.vip_problems(profile, held, f"Talos AddressStatuses via {talos.endpoint}"))


@then(parsers.parse("the router's {family} address resolves every protected host to the ingress addresses"),
      converters=FAMILY)
def router_resolves(profile: Profile, dns_probe: DnsProbe, family: Family) -> None:
    require(cc.dns_resolver_problems(profile, dns_probe, family))


@then("every Flux GitRepository, Kustomization and HelmRelease is Ready, each Kustomization at its source's revision")
def flux_ready(cluster: Cluster) -> None:
    api = cluster.api
    try:
        missing = flux.flux_missing(api)
        if missing:
            pytest.skip(missing)
        sources, kustomizations, releases = (api.list(res) for res in flux.KINDS)
    except KubeApiError as exc:
        raise CheckFailed(f"cannot read Flux's objects at {cluster.url}: {exc}") from exc
    require(flux.flux_problems(sources, kustomizations, releases, cluster.url))
