"""The Cluster read view (harness/probes/cluster.py) over a fake KubeApi: one LIST per kind until invalidated,
fresh single GETs for waits, and a CheckFailed naming kind and API URL for an object that cannot be read."""

from __future__ import annotations

import copy
from ipaddress import ip_address
from typing import Any, cast

import pytest

from harness.core.errors import CheckFailed, KubeApiError
from harness.model.profile import Timeouts
from harness.probes.cluster import CILIUM_GROUP, Cluster
from harness.probes.kube import DAEMONSETS, INGRESSES, NODES, PODS, SERVICES, KubeApi, Resource

URL = "https://172.29.51.10:6443"
POOLS = Resource(CILIUM_GROUP, "v2alpha1", "ciliumloadbalancerippools", "CiliumLoadBalancerIPPool", False)
PEERS = Resource(CILIUM_GROUP, "v2alpha1", "ciliumbgppeerconfigs", "CiliumBGPPeerConfig", False)


class FakeKubeApi:
    """The part of KubeApi the Cluster view uses; every call is recorded."""

    def __init__(self, objects: dict[Resource, list[dict[str, Any]]], url: str = URL) -> None:
        self.url = url
        self.objects = objects
        self.served: dict[str, tuple[str, ...]] = {"CiliumLoadBalancerIPPool": ("v2alpha1",),
                                                   "CiliumBGPPeerConfig": ("v2alpha1",)}
        self.resources = [POOLS, PEERS]    # what discovery finds
        self.calls: list[tuple[Any, ...]] = []

    def list(self, res: Resource, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> list[dict[str, Any]]:
        self.calls.append(("list", res.kind, namespace, label_selector))
        items = [o for o in self.objects.get(res, [])
                 if namespace is None or (o.get("metadata") or {}).get("namespace") == namespace]
        return copy.deepcopy(items)

    def get(self, res: Resource, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        self.calls.append(("get", res.kind, namespace, name))
        for obj in self.objects.get(res, []):
            meta = obj["metadata"]
            if meta["name"] == name and meta.get("namespace") == namespace:
                return copy.deepcopy(obj)
        return None

    def resource_for(self, group: str, kind: str) -> Resource:
        self.calls.append(("resource_for", group, kind))
        for res in self.resources:
            if (res.group, res.kind) == (group, kind):
                return res
        raise KubeApiError(f"{kind}.{group} is not served by {self.url}", 404, "NotFound")

    def served_versions(self, group: str, kind: str) -> tuple[str, ...]:
        self.calls.append(("served_versions", group, kind))
        return self.served.get(kind, ()) if group == CILIUM_GROUP else ()

    def lists(self, kind: str) -> int:
        return sum(1 for c in self.calls if c[0] == "list" and c[1] == kind)

    def gets(self) -> int:
        return sum(1 for c in self.calls if c[0] == "get")


def svc_obj(name: str, namespace: str, *lb_ips: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": namespace},
            "spec": {"type": "LoadBalancer", "clusterIPs": ["10.96.14.7"]},
            "status": {"loadBalancer": {"ingress": [{"ip": ip} for ip in lb_ips]}}}


def pool_obj(name: str, block: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumLoadBalancerIPPool", "metadata": {"name": name},
            "spec": {"blocks": [block]}}


def sample() -> dict[Resource, list[dict[str, Any]]]:
    return {
        SERVICES: [svc_obj("echo", "conformance", "172.29.52.101"),
                   svc_obj("ingress-nginx-internal-controller", "ingress-nginx-internal", "172.29.52.200")],
        POOLS: [pool_obj("bgp-default", {"start": "172.29.52.100", "stop": "172.29.52.199"}),
                pool_obj("bgp-default-ipv6", {"cidr": "fd47:25e1:2f96:51:100::/120"})],
        NODES: [{"metadata": {"name": "mini01"}, "spec": {"podCIDRs": ["10.244.0.0/24"]},
                 "status": {"addresses": [{"type": "InternalIP", "address": "172.29.51.11"}]}}],
        INGRESSES: [{"metadata": {"name": "authentik-proxy", "namespace": "authentik-proxy"},
                     "spec": {"ingressClassName": "nginx-internal",
                              "rules": [{"host": "longhorn.k8s.home.geoffdavis.com"}]}}],
        PEERS: [{"metadata": {"name": "udm-ipv6"}}, {"metadata": {"name": "udm-ipv4"}}],
        DAEMONSETS: [{"metadata": {"name": "cilium", "namespace": "kube-system"}}],
        PODS: [{"metadata": {"name": "cilium-7xk2p", "namespace": "kube-system"}},
               {"metadata": {"name": "cilium-9qrtz", "namespace": "kube-system"}}],
    }


@pytest.fixture
def api() -> FakeKubeApi:
    return FakeKubeApi(sample())


@pytest.fixture
def cluster(api: FakeKubeApi) -> Cluster:
    return Cluster(cast(KubeApi, api), Timeouts())


def test_url_is_the_api_servers(cluster: Cluster) -> None:
    assert cluster.url == URL


def test_each_kind_is_listed_once_per_snapshot(cluster: Cluster, api: FakeKubeApi) -> None:
    first = cluster.services()
    assert [s.ref for s in first] == ["conformance/echo",
                                      "ingress-nginx-internal/ingress-nginx-internal-controller"]
    assert cluster.services() == first
    assert cluster.service("conformance", "echo") is not None
    assert api.lists("Service") == 1
    assert [p.name for p in cluster.lb_pools()] == ["bgp-default", "bgp-default-ipv6"]
    cluster.lb_pools()
    assert api.lists("CiliumLoadBalancerIPPool") == 1
    assert [n.name for n in cluster.nodes()] == ["mini01"] and cluster.nodes()[0].pod_cidrs == ("10.244.0.0/24",)
    assert [i.ref for i in cluster.ingresses()] == ["authentik-proxy/authentik-proxy"]
    cluster.nodes()
    cluster.ingresses()
    assert (api.lists("Node"), api.lists("Ingress")) == (1, 1)
    assert api.gets() == 0


def test_the_snapshot_does_not_see_changes_until_invalidated(cluster: Cluster, api: FakeKubeApi) -> None:
    before = cluster.service("conformance", "echo")
    assert before is not None and before.lb_addresses == (ip_address("172.29.52.101"),)
    api.objects[SERVICES] = [svc_obj("echo", "conformance", "172.29.52.150")]
    api.objects[POOLS] = []
    stale = cluster.service("conformance", "echo")
    assert stale is not None and stale.lb_addresses == (ip_address("172.29.52.101"),)
    cluster.invalidate()
    fresh = cluster.service("conformance", "echo")
    assert fresh is not None and fresh.lb_addresses == (ip_address("172.29.52.150"),)
    assert cluster.service("ingress-nginx-internal", "ingress-nginx-internal-controller") is None
    assert cluster.lb_pools() == ()
    assert api.lists("Service") == 2


def test_invalidate_drops_every_kind(cluster: Cluster, api: FakeKubeApi) -> None:
    cluster.services()
    cluster.nodes()
    cluster.lb_pools()
    cluster.invalidate()
    cluster.services()
    cluster.nodes()
    cluster.lb_pools()
    assert (api.lists("Service"), api.lists("Node"), api.lists("CiliumLoadBalancerIPPool")) == (2, 2, 2)


def test_service_from_the_snapshot_matches_namespace_and_name(cluster: Cluster) -> None:
    assert cluster.service("default", "echo") is None
    assert cluster.service("conformance", "ingress-nginx-internal-controller") is None
    found = cluster.service("ingress-nginx-internal", "ingress-nginx-internal-controller")
    assert found is not None and found.lb_addresses == (ip_address("172.29.52.200"),)


def test_fresh_service_is_a_get_every_time(cluster: Cluster, api: FakeKubeApi) -> None:
    cluster.services()
    api.objects[SERVICES] = [svc_obj("echo", "conformance", "172.29.52.150", "fd47:25e1:2f96:51:100::3")]
    got = cluster.service("conformance", "echo", fresh=True)
    assert got is not None
    assert got.lb_addresses == (ip_address("172.29.52.150"), ip_address("fd47:25e1:2f96:51:100::3"))
    cluster.service("conformance", "echo", fresh=True)
    assert api.calls.count(("get", "Service", "conformance", "echo")) == 2
    assert api.lists("Service") == 1
    stale = cluster.service("conformance", "echo")   # the snapshot is not refreshed by a fresh read
    assert stale is not None and stale.lb_addresses == (ip_address("172.29.52.101"),)


def test_fresh_service_not_found(cluster: Cluster, api: FakeKubeApi) -> None:
    assert cluster.service("conformance", "gone", fresh=True) is None
    assert api.calls == [("get", "Service", "conformance", "gone")]


def test_unreadable_pool_names_kind_and_url(api: FakeKubeApi) -> None:
    api.objects[POOLS].append(pool_obj("bgp-broken", {"start": "172.29.52.240", "stop": "172.29.52.230"}))
    cluster = Cluster(cast(KubeApi, api), Timeouts())
    with pytest.raises(CheckFailed) as info:
        cluster.lb_pools()
    assert str(info.value) == (f"unreadable CiliumLoadBalancerIPPool from {URL}: CiliumLoadBalancerIPPool "
                               "bgp-broken: unreadable block: stop 172.29.52.230 is before start 172.29.52.240")
    assert isinstance(info.value, AssertionError)


def test_pool_resource_is_discovered(cluster: Cluster, api: FakeKubeApi) -> None:
    assert cluster.pool_resource() == POOLS
    assert ("resource_for", CILIUM_GROUP, "CiliumLoadBalancerIPPool") in api.calls


def test_pools_not_served_raise_the_apis_error(api: FakeKubeApi) -> None:
    api.resources = [PEERS]
    with pytest.raises(KubeApiError, match=f"CiliumLoadBalancerIPPool.cilium.io is not served by {URL}"):
        Cluster(cast(KubeApi, api), Timeouts()).lb_pools()


def test_workload_names_are_listed_live_with_the_selector(cluster: Cluster, api: FakeKubeApi) -> None:
    assert cluster.workload_names("kube-system", "k8s-app=cilium") == (
        "DaemonSet cilium", "Pod cilium-7xk2p", "Pod cilium-9qrtz")
    assert cluster.workload_names("kube-system", "k8s-app=cilium") == (
        "DaemonSet cilium", "Pod cilium-7xk2p", "Pod cilium-9qrtz")
    assert api.calls.count(("list", "DaemonSet", "kube-system", "k8s-app=cilium")) == 2
    assert api.calls.count(("list", "Pod", "kube-system", "k8s-app=cilium")) == 2
    assert cluster.workload_names("default", "k8s-app=kube-proxy") == ()


def test_cilium_object_names_sorted(cluster: Cluster, api: FakeKubeApi) -> None:
    assert cluster.cilium_object_names("CiliumBGPPeerConfig") == ("udm-ipv4", "udm-ipv6")
    assert api.lists("CiliumBGPPeerConfig") == 1


def test_cilium_kind_not_served_lists_nothing(cluster: Cluster, api: FakeKubeApi) -> None:
    assert cluster.cilium_object_names("CiliumBGPClusterConfig") == ()
    assert api.calls == [("served_versions", CILIUM_GROUP, "CiliumBGPClusterConfig")]
