"""Each bgp scenario fails, naming node, prefix and family, when its fault is in the lab.

The lab is built from home-ops.yaml: the owner's topology, one IPv4 session per node carrying IPv4
and IPv6 (sessions are named by that address for both families)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.probes.kube import Resource
from lab.faults import inject
from tests.faults.labrun import FaultLab

pytestmark = pytest.mark.lab

FEATURE = "bgp.feature"


def _advert(lab: FaultLab) -> Resource:
    return lab.api.resource_for("cilium.io", "CiliumBGPAdvertisement")


def _json_patch(lab: FaultLab, res: Resource, name: str, ops: list[dict[str, Any]]) -> None:
    lab.api.request("PATCH", res.path(None, name), body=ops, content_type="application/json-patch+json")


def test_conforming_lab_passes_bgp(lab: FaultLab) -> None:
    """The required state (one session per family) on its lab: every scenario passes, the router's
    running config included (judged with the same FRR rules as the repo's file)."""
    lab.run_feature(FEATURE).all_passed()


def test_ingress_unreachable_when_no_node_announces_it(lab: FaultLab) -> None:
    with lab.restored():
        for node in ("mini01", "mini02", "mini03"):
            inject(lab.lab_dir, "bgp-suppress", node=node, prefix="172.29.52.200/32")
        verdicts = lab.run_feature(FEATURE, "-k", "answers_tcp and ipv4")
    v = verdicts.failed("answers TCP [ipv4]")
    assert "TCP SYN to 172.29.52.200:443:" in v.message and "expected a SYN-ACK from 172.29.52.200" in v.message
    assert "IPv4-mapped" not in v.message


def test_route_withdrawn_on_one_node(lab: FaultLab) -> None:
    with lab.restored():
        inject(lab.lab_dir, "bgp-suppress", node="mini02", prefix="172.29.52.0/24")
        v = lab.run_feature(FEATURE, "-k", "bgp-default-ipv4 and accepted").failed("accepted from every node")
    assert "missing at udm (172.29.51.1) from mini02" in v.message
    assert "received from mini01, mini03; expected all of mini01, mini02, mini03" in v.message
    assert "(ipv4)" in v.message and "172.29.52.1" in v.message


def test_advertisement_without_loadbalancer_addresses(lab: FaultLab) -> None:
    with lab.restored():
        _json_patch(lab, _advert(lab), "home-ops-lb",
                    [{"op": "replace", "path": "/spec/advertisements/0/service/addresses", "value": ["ClusterIP"]}])
        v = lab.run_feature(FEATURE, "-k", "bgp-default-ipv6 and accepted").failed("accepted from every node")
    assert "route fd47:25e1:2f96:51:100::" in v.message and "(ipv6)" in v.message
    assert "from mini01, mini02, mini03: received from no node" in v.message


def test_advertisement_selecting_the_wrong_pools(lab: FaultLab) -> None:
    with lab.restored():
        _json_patch(lab, _advert(lab), "home-ops-lb",
                    [{"op": "replace", "path": "/spec/advertisements/0/selector/matchExpressions/0/values",
                      "value": ["bgp-default"]}])
        verdicts = lab.run_feature(FEATURE, "-k", "accepted")
    v = verdicts.failed("[bgp-ingress-ipv4]")
    assert "route 172.29.52.2" in v.message and "missing at udm" in v.message and "(ipv4)" in v.message
    verdicts.passed("[bgp-default-ipv4]")


def test_one_nodes_session_down(lab: FaultLab) -> None:
    """One session per family: mini03's IPv6 session down fails the IPv6 scenario only, naming it."""
    with lab.restored():
        inject(lab.lab_dir, "bgp-session-down", node="mini03", family="ipv6")
        verdicts = lab.run_feature(FEATURE, "-k", "established")
    v = verdicts.failed("established [ipv6]")
    assert "ipv6 BGP session with mini03 (fd47:25e1:2f96:51::13) at udm (172.29.51.1) is " in v.message
    assert "expected Established" in v.message and "mini01" not in v.message
    verdicts.passed("established [ipv4]")


def test_node_advertising_outside_the_prefix_list(lab: FaultLab) -> None:
    with lab.restored():
        inject(lab.lab_dir, "bgp-extra", node="mini01", prefix="10.99.0.0/24", family="ipv4")
        verdicts = lab.run_feature(FEATURE, "-k", "outside")
    v = verdicts.failed("outside the lb ranges [ipv4]")
    assert "mini01 advertised 10.99.0.0/24 (ipv4)" in v.message and "filtered it" in v.message
    verdicts.passed("outside the lb ranges [ipv6]")
