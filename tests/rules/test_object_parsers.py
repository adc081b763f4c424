"""The typed views of Kubernetes objects (harness/model/objects.py), parsed from `kubectl get -o json` shapes:
absent optional fields, hostname-only load-balancer ingress, headless Services, pools written as cidr or
start/stop, Nodes without podCIDRs, Ingresses without a class or TLS."""

from __future__ import annotations

from ipaddress import ip_address
from typing import Any

import pytest

from harness.model.objects import Condition, IngressObject, LbPoolObject, NodeObject, Service

IPAM = "cilium.io/IPAMRequestSatisfied"


def service_obj(**overrides: Any) -> dict[str, Any]:
    """A dual-stack LoadBalancer Service as the API server returns it (kubectl get svc -o json)."""
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {
            "name": "echo",
            "namespace": "conformance",
            "labels": {"io.cilium/lb-ipam-pool": "bgp-default"},
            "annotations": {"lbipam.cilium.io/sharing-key": "echo"},
            "uid": "5b0c3c1e-4f7a-4e58-9d11-3a2f0c6b9e21",
            "resourceVersion": "812345",
        },
        "spec": {
            "type": "LoadBalancer",
            "clusterIP": "10.96.14.7",
            "clusterIPs": ["10.96.14.7", "fd47:25e1:2f96:51:1000::a1b2"],
            "ipFamilies": ["IPv4", "IPv6"],
            "ipFamilyPolicy": "RequireDualStack",
            "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080, "nodePort": 31234}],
            "selector": {"app": "echo"},
            "sessionAffinity": "None",
            "externalTrafficPolicy": "Cluster",
            "internalTrafficPolicy": "Cluster",
            "allocateLoadBalancerNodePorts": True,
        },
        "status": {
            "loadBalancer": {"ingress": [{"ip": "172.29.52.101", "ipMode": "VIP"},
                                         {"ip": "fd47:25e1:2f96:51:100::5", "ipMode": "VIP"}]},
            "conditions": [{"type": IPAM, "status": "True", "reason": "satisfied", "message": "",
                            "lastTransitionTime": "2025-07-21T09:20:01Z"}],
        },
    }
    for key, value in overrides.items():
        obj[key] = value
    return obj


# -- Condition ------------------------------------------------------------------------------------

def test_conditions_parse_every_field_and_describe_themselves() -> None:
    conds = Condition.parse_all([
        {"type": IPAM, "status": "False", "reason": "no_pool", "message": "There are no enabled pools",
         "lastTransitionTime": "2025-07-21T09:20:01Z", "observedGeneration": 1},
        {"type": "cilium.io/PoolConflict", "status": "False"},
    ])
    assert conds == (Condition(IPAM, "False", "no_pool", "There are no enabled pools"),
                     Condition("cilium.io/PoolConflict", "False", "", ""))
    assert str(conds[0]) == "cilium.io/IPAMRequestSatisfied=False (no_pool: There are no enabled pools)"


@pytest.mark.parametrize("raw", [None, [], "not-a-list-of-dicts", ["x", 3, None]])
def test_absent_or_odd_conditions_parse_to_nothing(raw: Any) -> None:
    assert Condition.parse_all(raw) == ()


def test_condition_entries_that_are_not_mappings_are_skipped() -> None:
    conds = Condition.parse_all(["junk", {"type": "Ready", "status": "True"}])
    assert [c.type for c in conds] == ["Ready"]
    assert conds[0].reason == "" and conds[0].message == ""


# -- Service --------------------------------------------------------------------------------------

def test_dual_stack_load_balancer_service() -> None:
    svc = Service.parse(service_obj())
    assert (svc.namespace, svc.name, svc.ref) == ("conformance", "echo", "conformance/echo")
    assert svc.labels == {"io.cilium/lb-ipam-pool": "bgp-default"}
    assert svc.annotations == {"lbipam.cilium.io/sharing-key": "echo"}
    assert svc.type == "LoadBalancer"
    assert svc.ip_families == ("IPv4", "IPv6")
    assert svc.ip_family_policy == "RequireDualStack"
    assert svc.cluster_ips == (ip_address("10.96.14.7"), ip_address("fd47:25e1:2f96:51:1000::a1b2"))
    assert svc.lb_addresses == (ip_address("172.29.52.101"), ip_address("fd47:25e1:2f96:51:100::5"))
    assert svc.load_balancer_class is None
    cond = svc.condition(IPAM)
    assert cond is not None and cond.status == "True" and cond.reason == "satisfied"
    assert svc.condition("Ready") is None
    assert svc.describe_conditions() == "cilium.io/IPAMRequestSatisfied=True (satisfied: )"


def test_service_without_status_is_pending_with_no_conditions() -> None:
    obj = service_obj()
    del obj["status"]
    svc = Service.parse(obj)
    assert svc.lb_addresses == ()
    assert svc.conditions == ()
    assert svc.describe_conditions() == "no status conditions"


def test_service_with_an_empty_load_balancer_status() -> None:
    svc = Service.parse(service_obj(status={"loadBalancer": {}}))
    assert svc.lb_addresses == () and svc.conditions == ()


def test_hostname_only_ingress_gives_no_address_but_ip_entries_still_count() -> None:
    """Cloud load balancers report a hostname; only ``ip`` entries are addresses."""
    svc = Service.parse(service_obj(status={"loadBalancer": {"ingress": [
        {"hostname": "a1b2c3.elb.example.com"},
        {"ip": "172.29.52.150", "hostname": "lb.example.com"},
    ]}}))
    assert svc.lb_addresses == (ip_address("172.29.52.150"),)
    only_hostname = Service.parse(service_obj(status={"loadBalancer": {"ingress": [{"hostname": "lb.example.com"}]}}))
    assert only_hostname.lb_addresses == ()


def test_headless_service_has_no_cluster_ips() -> None:
    obj = service_obj()
    obj["spec"] = {"type": "ClusterIP", "clusterIP": "None", "clusterIPs": ["None"], "ipFamilies": ["IPv4"],
                   "ipFamilyPolicy": "SingleStack", "selector": {"app": "db"}}
    obj["status"] = {"loadBalancer": {}}
    svc = Service.parse(obj)
    assert svc.cluster_ips == ()
    assert svc.type == "ClusterIP"
    assert svc.lb_addresses == ()


def test_older_api_server_without_ip_families_or_policy_defaults() -> None:
    """Before dual-stack fields existed the API server wrote neither ipFamilies nor ipFamilyPolicy (nor type
    when defaulted by a client that omits it)."""
    obj = service_obj()
    obj["spec"] = {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                   "ports": [{"port": 53, "protocol": "UDP"}]}
    svc = Service.parse(obj)
    assert svc.ip_families == ()
    assert svc.ip_family_policy == "SingleStack"
    assert svc.type == "ClusterIP"
    assert svc.cluster_ips == (ip_address("10.96.0.10"),)


def test_cluster_ip_alone_before_cluster_ips_existed() -> None:
    """Before Kubernetes 1.20 the API server wrote only spec.clusterIP: it is still the Service's address."""
    obj = service_obj()
    obj["spec"] = {"type": "ClusterIP", "clusterIP": "10.96.0.10", "ports": [{"port": 53, "protocol": "UDP"}]}
    assert Service.parse(obj).cluster_ips == (ip_address("10.96.0.10"),)


@pytest.mark.parametrize("status", [{"loadBalancer": {"ingress": ["172.29.52.101"]}},
                                    {"loadBalancer": {"ingress": {"ip": "172.29.52.101"}}}])
def test_malformed_load_balancer_status_names_the_service(status: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"Service conformance/echo: status.loadBalancer.ingress must be a list"):
        Service.parse(service_obj(status=status))


def test_ip_families_as_a_string_is_refused() -> None:
    obj = service_obj()
    obj["spec"]["ipFamilies"] = "IPv4"
    with pytest.raises(ValueError, match="spec.ipFamilies a list"):
        Service.parse(obj)


def test_a_pool_block_written_as_a_string_names_the_pool() -> None:
    obj = {"metadata": {"name": "bgp-default"}, "spec": {"blocks": ["172.29.52.0/24"]}}
    with pytest.raises(ValueError, match="CiliumLoadBalancerIPPool bgp-default: unreadable block"):
        LbPoolObject.parse(obj)


def test_service_load_balancer_class_and_absent_metadata_maps() -> None:
    obj = service_obj()
    obj["metadata"] = {"name": "echo", "namespace": "conformance"}
    obj["spec"]["loadBalancerClass"] = "io.cilium/bgp-control-plane"
    svc = Service.parse(obj)
    assert svc.load_balancer_class == "io.cilium/bgp-control-plane"
    assert svc.labels == {} and svc.annotations == {}


def test_unparseable_addresses_are_dropped() -> None:
    obj = service_obj()
    obj["spec"]["clusterIPs"] = ["10.96.14.7", "", "not-an-ip"]
    obj["status"]["loadBalancer"]["ingress"] = [{"ip": "172.29.52.101"}, {"ip": "bogus"}, {}]
    svc = Service.parse(obj)
    assert svc.cluster_ips == (ip_address("10.96.14.7"),)
    assert svc.lb_addresses == (ip_address("172.29.52.101"),)


def test_several_conditions_are_described_in_order() -> None:
    obj = service_obj()
    obj["status"]["conditions"] = [
        {"type": IPAM, "status": "False", "reason": "no_pool", "message": "no pool selects the service"},
        {"type": "io.cilium/lb-ipam-request-satisfied", "status": "Unknown", "reason": "", "message": ""},
    ]
    svc = Service.parse(obj)
    assert svc.describe_conditions() == ("cilium.io/IPAMRequestSatisfied=False (no_pool: no pool selects the "
                                         "service); io.cilium/lb-ipam-request-satisfied=Unknown (: )")


# -- CiliumLoadBalancerIPPool ---------------------------------------------------------------------

def pool_obj(name: str, blocks: list[dict[str, str]], **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "cilium.io/v2alpha1", "kind": "CiliumLoadBalancerIPPool",
            "metadata": {"name": name, "resourceVersion": "4711", "generation": 1},
            "spec": {"blocks": blocks, **spec}}


def test_pool_with_start_stop_block() -> None:
    pool = LbPoolObject.parse(pool_obj("bgp-ingress", [{"start": "172.29.52.200", "stop": "172.29.52.220"}],
                                       serviceSelector={"matchLabels": {"io.cilium/lb-ipam-pool": "bgp-ingress"}}))
    assert pool.name == "bgp-ingress"
    assert pool.api_version == "cilium.io/v2alpha1"
    assert len(pool.blocks) == 1
    block = pool.blocks[0]
    assert (block.first, block.last) == (ip_address("172.29.52.200"), ip_address("172.29.52.220"))
    assert pool.selector == {"matchLabels": {"io.cilium/lb-ipam-pool": "bgp-ingress"}}
    assert pool.disabled is False
    assert pool.describe_blocks() == "172.29.52.200-172.29.52.220"


def test_pool_with_cidr_block() -> None:
    pool = LbPoolObject.parse(pool_obj("bgp-default-ipv6", [{"cidr": "fd47:25e1:2f96:51:100::/120"}]))
    block = pool.blocks[0]
    assert block.family == "ipv6" and block.size == 256
    assert block.first == ip_address("fd47:25e1:2f96:51:100::")
    assert block.last == ip_address("fd47:25e1:2f96:51:100::ff")
    assert pool.describe_blocks() == "fd47:25e1:2f96:51:100::/120"


def test_pool_block_with_start_only_is_one_address() -> None:
    pool = LbPoolObject.parse(pool_obj("single", [{"start": "172.29.52.42"}]))
    block = pool.blocks[0]
    assert block.first == block.last == ip_address("172.29.52.42")
    assert block.size == 1


def test_pool_mixes_blocks_and_deprecated_cidrs() -> None:
    obj = pool_obj("mixed", [{"start": "172.29.52.100", "stop": "172.29.52.110"}])
    obj["spec"]["cidrs"] = [{"cidr": "172.29.52.128/30"}]
    pool = LbPoolObject.parse(obj)
    assert [str(b) for b in pool.blocks] == ["172.29.52.100-172.29.52.110", "172.29.52.128/30"]
    assert pool.describe_blocks() == "172.29.52.100-172.29.52.110, 172.29.52.128/30"


def test_pool_without_blocks_status_or_selector() -> None:
    pool = LbPoolObject.parse({"apiVersion": "cilium.io/v2", "kind": "CiliumLoadBalancerIPPool",
                               "metadata": {"name": "empty"}, "spec": {}})
    assert pool.blocks == () and pool.selector == {} and pool.conditions == ()
    assert pool.describe_blocks() == "no blocks"


def test_pool_disabled_and_status_conditions() -> None:
    obj = pool_obj("bgp-reserved", [{"start": "172.29.52.221", "stop": "172.29.52.250"}], disabled=True)
    obj["status"] = {"conditions": [
        {"type": "cilium.io/IPsTotal", "status": "Unknown", "reason": "noreason", "message": "30"},
        {"type": "cilium.io/PoolConflict", "status": "True", "reason": "cidr_overlap",
         "message": "Pool's CIDR 172.29.52.221-172.29.52.250 overlaps with bgp-ingress"},
    ]}
    pool = LbPoolObject.parse(obj)
    assert pool.disabled is True
    conflict = pool.condition("cilium.io/PoolConflict")
    assert conflict is not None and conflict.status == "True" and "overlaps with bgp-ingress" in conflict.message
    assert pool.condition("cilium.io/IPsAvailable") is None


@pytest.mark.parametrize(("block", "detail"), [
    ({"stop": "172.29.52.10"}, "'start'"),
    ({"start": "172.29.52.300"}, "172.29.52.300"),
    ({"start": "172.29.52.20", "stop": "172.29.52.10"}, "stop 172.29.52.10 is before start 172.29.52.20"),
    ({"start": "172.29.52.1", "stop": "fd47::1"}, "different families"),
    ({"cidr": "172.29.52.0/33"}, "172.29.52.0/33"),
])
def test_unreadable_pool_block_raises_value_error_naming_the_pool(block: dict[str, str], detail: str) -> None:
    with pytest.raises(ValueError) as info:
        LbPoolObject.parse(pool_obj("broken-pool", [block]))
    message = str(info.value)
    assert message.startswith("CiliumLoadBalancerIPPool broken-pool: unreadable block: ")
    assert detail in message


# -- Node -----------------------------------------------------------------------------------------

def node_obj(**status: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": "mini01", "labels": {"kubernetes.io/hostname": "mini01",
                                                  "node-role.kubernetes.io/control-plane": ""}},
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24", "fd47:25e1:2f96:51:2000::/80"]},
        "status": {
            "addresses": [{"type": "InternalIP", "address": "172.29.51.11"},
                          {"type": "InternalIP", "address": "fd47:25e1:2f96:51::11"},
                          {"type": "Hostname", "address": "mini01"}],
            "conditions": [{"type": "MemoryPressure", "status": "False"},
                           {"type": "Ready", "status": "True", "reason": "KubeletReady"}],
            **status,
        },
    }


def test_dual_stack_ready_node() -> None:
    node = NodeObject.parse(node_obj())
    assert node.name == "mini01"
    assert node.labels["kubernetes.io/hostname"] == "mini01"
    assert node.internal_ips == (ip_address("172.29.51.11"), ip_address("fd47:25e1:2f96:51::11"))
    assert node.pod_cidrs == ("10.244.0.0/24", "fd47:25e1:2f96:51:2000::/80")
    assert node.ready is True


def test_node_hostname_and_external_addresses_are_not_internal_ips() -> None:
    node = NodeObject.parse(node_obj(addresses=[{"type": "ExternalIP", "address": "203.0.113.7"},
                                                {"type": "Hostname", "address": "mini01"},
                                                {"type": "InternalIP", "address": "172.29.51.11"}]))
    assert node.internal_ips == (ip_address("172.29.51.11"),)


def test_node_without_pod_cidrs_status_or_ready_condition() -> None:
    obj = node_obj()
    obj["spec"] = {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]}
    del obj["status"]
    node = NodeObject.parse(obj)
    assert node.pod_cidrs == ()
    assert node.internal_ips == ()
    assert node.ready is False


@pytest.mark.parametrize("status", ["False", "Unknown"])
def test_node_not_ready(status: str) -> None:
    node = NodeObject.parse(node_obj(conditions=[{"type": "Ready", "status": status,
                                                  "reason": "NodeStatusUnknown"}]))
    assert node.ready is False


# -- Ingress --------------------------------------------------------------------------------------

def ingress_obj(spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": "longhorn", "namespace": "longhorn-system"}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": meta, "spec": spec,
            "status": {"loadBalancer": {"ingress": [{"ip": "172.29.52.200"}]}}}


RULE = {"http": {"paths": [{"path": "/", "pathType": "Prefix",
                            "backend": {"service": {"name": "longhorn-frontend", "port": {"number": 80}}}}]}}


def test_ingress_with_class_hosts_and_tls() -> None:
    ing = IngressObject.parse(ingress_obj({
        "ingressClassName": "nginx-internal",
        "rules": [{"host": "longhorn.k8s.home.geoffdavis.com", **RULE}],
        "tls": [{"hosts": ["longhorn.k8s.home.geoffdavis.com"], "secretName": "longhorn-tls"}],
    }))
    assert ing.ref == "longhorn-system/longhorn"
    assert ing.class_name == "nginx-internal"
    assert ing.hosts == ("longhorn.k8s.home.geoffdavis.com",)
    assert ing.tls_hosts == ("longhorn.k8s.home.geoffdavis.com",)


def test_ingress_class_from_the_legacy_annotation() -> None:
    ing = IngressObject.parse(ingress_obj({"rules": [{"host": "a.example.com", **RULE}]},
                                          annotations={"kubernetes.io/ingress.class": "nginx-internal"}))
    assert ing.class_name == "nginx-internal"


def test_ingress_class_name_wins_over_the_annotation() -> None:
    ing = IngressObject.parse(ingress_obj({"ingressClassName": "nginx-internal", "rules": []},
                                          annotations={"kubernetes.io/ingress.class": "traefik"}))
    assert ing.class_name == "nginx-internal"


def test_ingress_without_class_or_tls_and_a_hostless_rule() -> None:
    ing = IngressObject.parse(ingress_obj({"rules": [RULE, {"host": "b.example.com", **RULE}]}))
    assert ing.class_name is None
    assert ing.hosts == ("b.example.com",)
    assert ing.tls_hosts == ()


def test_ingress_tls_entry_without_hosts_and_default_backend_only() -> None:
    ing = IngressObject.parse(ingress_obj({
        "defaultBackend": {"service": {"name": "default-http-backend", "port": {"number": 80}}},
        "tls": [{"secretName": "wildcard-tls"}, {"hosts": ["x.example.com", "y.example.com"]}],
    }))
    assert ing.hosts == ()
    assert ing.tls_hosts == ("x.example.com", "y.example.com")
