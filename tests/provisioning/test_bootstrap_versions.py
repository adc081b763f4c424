"""The bootstrap writes Cilium's kinds in the versions the server's discovery reports: against a Cilium
1.17 API (the owner's real server: BGP kinds and pools as cilium.io/v2alpha1 only) and a 1.19 one.
Loopback lab API servers; no root."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from harness.core.errors import ProvisioningError, WaitTimeout
from harness.model.cilium_versions import CiliumVersion
from harness.model.profile import Profile, load_profile
from harness.probes.kube import KubeApi
from lab.kube import KubeApiServer
from lab.seed import cilium_crds
from provisioning.bootstrap import run_bootstrap

PROFILE = Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "home-ops.yaml"
CILIUM_KINDS = ("CiliumLoadBalancerIPPool", "CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement")
Connect = Callable[[str], KubeApi]


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


@pytest.fixture
def connect(tmp_path: Path, profile: Profile) -> Iterator[Connect]:
    """A client of a fresh loopback API server with the profile's service networks and the CRDs of a release."""
    cidrs = [str(profile.networks.services.get(f)) for f in profile.networks.services.families]
    opened: list[tuple[KubeApiServer, KubeApi]] = []

    def make(release: str) -> KubeApi:
        server = KubeApiServer(tmp_path / release, service_cidrs=cidrs,
                               crds=cilium_crds(CiliumVersion.parse(release)))
        server.start()
        api = KubeApi.from_kubeconfig(server.kubeconfig_path, None, 10)
        opened.append((server, api))
        return api

    yield make
    for server, api in opened:
        api.close()
        server.stop()


def _stored_as(api: KubeApi, kind: str, preferred: str) -> dict[str, str]:
    res = api.resource_for("cilium.io", kind)
    assert res.api_version == preferred, kind
    return {o["metadata"]["name"]: o["apiVersion"] for o in api.list(res)}


@pytest.mark.parametrize(("release", "version"), [("1.17.6", "cilium.io/v2alpha1"), ("1.19.1", "cilium.io/v2")])
def test_bootstrap_writes_what_discovery_serves(connect: Connect, profile: Profile, release: str,
                                                version: str) -> None:
    api = connect(release)
    lines = list(run_bootstrap(api, profile, timeout=5))
    assert {"  created CiliumBGPClusterConfig home-ops", "  created CiliumLoadBalancerIPPool bgp-ingress"} <= set(lines)
    for kind in CILIUM_KINDS:
        assert set(_stored_as(api, kind, version).values()) == {version}, kind
    assert sorted(_stored_as(api, "CiliumLoadBalancerIPPool", version)) == sorted(p.name for p in profile.pools)
    again = list(run_bootstrap(api, profile, timeout=5))   # idempotent under the discovered versions too
    assert not [line for line in again if line.startswith("  ") and " unchanged " not in line
                and not line.startswith("  established")], again


def test_dry_run_plans_in_the_served_version(connect: Connect, profile: Profile) -> None:
    api = connect("1.17.6")
    lines = list(run_bootstrap(api, profile, only="bgp", dry_run=True))
    assert lines[1:] == ["  would create CiliumBGPClusterConfig home-ops", "  would create CiliumBGPPeerConfig udm",
                         "  would create CiliumBGPAdvertisement home-ops-lb"]


def test_a_release_without_the_bgp_v2_kinds_stops_the_bootstrap_in_one_line(connect: Connect,
                                                                            profile: Profile) -> None:
    api = connect("1.15.19")
    with pytest.raises(WaitTimeout, match="ciliumbgpclusterconfigs.cilium.io not found"):
        list(run_bootstrap(api, profile, timeout=0.5))
    with pytest.raises(ProvisioningError, match=r"CiliumBGPClusterConfig.cilium.io is not served by https://"):
        list(run_bootstrap(api, profile, only="bgp"))
