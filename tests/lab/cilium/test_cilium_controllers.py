"""LbIpamController and BgpController driven through an in-memory Store."""

from __future__ import annotations

from typing import Any

from cilium_builders import FakeStore, ingress_ips, node, pool, svc

from harness.model.cilium_versions import CiliumVersion
from lab.cilium import BgpController, LbIpamController

POOL = pool("lb", {"start": "172.29.52.200", "stop": "172.29.52.201"})
ALL = {"matchExpressions": [{"key": "somekey", "operator": "NotIn", "values": ["never-used-value"]}]}


def service(store: FakeStore, name: str) -> dict[str, Any]:
    found = store.get("v1", "Service", "default", name)
    assert found is not None, f"service default/{name} missing from the fake store"
    return found


def test_ipam_controller_assigns_on_events_and_does_not_loop() -> None:
    store = FakeStore()
    store.apply(POOL)
    ctl = LbIpamController(store)
    store.apply(svc("web"))
    assert ingress_ips(service(store, "web")) == ["172.29.52.200"]
    writes = len(store.status_writes)
    ctl.reconcile_now()
    store.apply(svc("web"))  # unrelated re-apply keeps the status and writes nothing new
    assert len(store.status_writes) == writes
    assert ingress_ips(service(store, "web")) == ["172.29.52.200"]
    ctl.close()


def test_ipam_controller_writes_pool_status_and_pending_reason() -> None:
    store = FakeStore()
    ctl = LbIpamController(store)
    store.apply(POOL)
    for name in ("a", "b", "c"):
        store.apply(svc(name))
    pool_status = store.get("cilium.io/v2alpha1", "CiliumLoadBalancerIPPool", None, "lb")
    assert pool_status is not None
    used = [c for c in pool_status["status"]["conditions"] if c["type"] == "cilium.io/IPsUsed"]
    assert used[0]["message"] == "2"
    pending = service(store, "c")
    assert ingress_ips(pending) == []
    assert pending["status"]["conditions"][0]["reason"] == "out_of_ips"
    store.delete("Service", "default", "a")
    assert ingress_ips(service(store, "c")) == ["172.29.52.200"]  # freed address goes to the pending one
    ctl.close()


def test_ipam_controller_strips_addresses_when_last_pool_goes() -> None:
    store = FakeStore()
    store.apply(POOL)
    ctl = LbIpamController(store)
    store.apply(svc("web"))
    store.delete("CiliumLoadBalancerIPPool", None, "lb")
    gone = service(store, "web")
    assert ingress_ips(gone) == [] and gone["status"]["conditions"][0]["reason"] == "no_pool"
    ctl.close()
    store.apply(POOL)
    assert ingress_ips(service(store, "web")) == []  # closed controller no longer reacts


class FakeSpeaker:
    def __init__(self) -> None:
        self.routes: set[tuple[str, str]] = set()
        self.log: list[str] = []

    def announce(self, prefix: str, family: str) -> None:
        self.routes.add((prefix, family))
        self.log.append(f"+{prefix}")

    def withdraw(self, prefix: str, family: str) -> None:
        self.routes.discard((prefix, family))
        self.log.append(f"-{prefix}")

    def announced(self) -> set[tuple[str, str]]:
        return set(self.routes)


def bgp_policy() -> dict[str, Any]:
    router = {
        "localASN": 64512,
        "serviceSelector": ALL,
        "neighbors": [{"peerAddress": "172.29.51.1/32", "peerASN": 64513}],
    }
    return {
        "apiVersion": "cilium.io/v2alpha1",
        "kind": "CiliumBGPPeeringPolicy",
        "metadata": {"name": "p"},
        "spec": {"virtualRouters": [router]},
    }


def test_bgp_controller_announces_and_withdraws_with_ipam() -> None:
    store = FakeStore()
    speakers = {"mini01": FakeSpeaker(), "mini02": FakeSpeaker()}
    for name in speakers:
        store.apply(node(name))
    ipam = LbIpamController(store)
    bgp = BgpController(store, speakers)
    store.apply(POOL)
    store.apply(bgp_policy())
    store.apply(svc("web", ipFamilyPolicy="SingleStack"))
    assert speakers["mini01"].routes == speakers["mini02"].routes == {("172.29.52.200/32", "ipv4")}
    store.delete("Service", "default", "web")
    assert speakers["mini01"].routes == set() and speakers["mini01"].log == ["+172.29.52.200/32", "-172.29.52.200/32"]
    assert bgp.last_desired is not None and bgp.last_desired.problems == ()
    bgp.close()
    ipam.close()


def test_bgp_controller_follows_endpoint_slices_for_local_policy() -> None:
    store = FakeStore()
    speakers = {"mini01": FakeSpeaker(), "mini02": FakeSpeaker()}
    for name in speakers:
        store.apply(node(name))
    bgp = BgpController(store, speakers)
    store.apply(bgp_policy())
    store.apply(svc("web", ingress=["172.29.52.210"], externalTrafficPolicy="Local"))
    assert speakers["mini02"].routes == {("172.29.52.210/32", "ipv4")}  # no slices yet: every node
    slice_ = {
        "apiVersion": "discovery.k8s.io/v1",
        "kind": "EndpointSlice",
        "metadata": {"name": "web-1", "namespace": "default", "labels": {"kubernetes.io/service-name": "web"}},
        "endpoints": [{"nodeName": "mini01", "conditions": {"ready": True}}],
    }
    store.apply(slice_)
    assert speakers["mini01"].routes == {("172.29.52.210/32", "ipv4")}
    assert speakers["mini02"].routes == set()
    bgp.close()


def test_bgp_controller_of_cilium_1_19_ignores_a_leftover_v1_policy() -> None:
    store = FakeStore()
    speakers = {"mini01": FakeSpeaker()}
    store.apply(node("mini01"))
    ipam = LbIpamController(store, version=CiliumVersion.parse("1.19.1"))
    bgp = BgpController(store, speakers, version=CiliumVersion.parse("1.19.1"))
    store.apply(POOL)
    store.apply(bgp_policy())  # a CRD left behind by an upgrade still stores it
    store.apply(svc("web", ipFamilyPolicy="SingleStack"))
    assert ingress_ips(service(store, "web")) == ["172.29.52.200"]  # LB IPAM still works
    assert speakers["mini01"].routes == set()
    assert bgp.last_desired is not None
    assert [p.split(": ignored: ")[0] for p in bgp.last_desired.problems] == ["CiliumBGPPeeringPolicy p"]
    bgp.close()
    ipam.close()
