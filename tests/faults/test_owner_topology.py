"""The owner's BGP topology today (IPv6 over the IPv4 sessions) on a lab built that way, judged by it.

    pytest features/ --profile fixtures/profiles/home-ops-ipv4-sessions.yaml

Cilium's GoBGP sends IPv6 paths over an IPv4 session with the IPv4-mapped next hop ::ffff:<node>
(cilium/cilium#37831); FRR accepts them (valid, best) but zebra cannot install such a next hop in
Linux, so the IPv6 LB addresses do not answer. The harness must judge this exactly: the session and
route scenarios pass (no false failures from keying IPv6 by node IPv6 address), and precisely the
scenarios that send IPv6 traffic to an LB address fail, naming the address and the mapped next hops.
A change in this set is a change in what the harness says about the owner's real network.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.faults import inject
from tests.faults.labrun import ROOT, FaultLab
from tests.labmark import require_lab

pytestmark = pytest.mark.lab
OWNER_TOPOLOGY = ROOT / "fixtures" / "profiles" / "home-ops-ipv4-sessions.yaml"
INGRESS_V6 = "fd47:25e1:2f96:51:100::c8"
FEATURE = "bgp.feature"


@pytest.fixture(scope="module")
def owner_lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    require_lab(request)
    with FaultLab.start(Path(tmp_path_factory.mktemp("owner-lab")), lab_profile=OWNER_TOPOLOGY,
                        judged_by=OWNER_TOPOLOGY) as lab:
        yield lab


def test_bgp_sessions_and_routes_pass_and_only_ipv6_ingress_traffic_fails(owner_lab: FaultLab) -> None:
    verdicts = owner_lab.run_feature("bgp.feature", judged_by=OWNER_TOPOLOGY)
    failed = sorted(v.name for v in verdicts.items if v.outcome == "failed")
    assert failed == ["test_the_ingress_family_address_answers_tcp_along_the_routed_path[ipv6]"], verdicts.output
    message = verdicts.failed("answers tcp [ipv6]").message
    assert f"TCP SYN to {INGRESS_V6}:443:" in message, message
    assert f"holds {INGRESS_V6}/128 only via IPv4-mapped next hops (mini" in message, message
    assert "::ffff:ac1d:330b (IPv4-mapped 172.29.51.11)" in message, message
    verdicts.passed("established [ipv6]")
    verdicts.passed("[bgp-default-ipv6-ipv6]")


def test_authentik_fails_only_where_it_reaches_the_ingress_over_ipv6(owner_lab: FaultLab) -> None:
    verdicts = owner_lab.run_feature("authentik.feature", judged_by=OWNER_TOPOLOGY)
    failed = [v for v in verdicts.items if v.outcome == "failed"]
    assert failed, verdicts.output
    for verdict in failed:
        assert INGRESS_V6 in verdict.message, f"{verdict.name} failed for another reason:\n{verdict.message}"
    verdicts.passed("no ingress but the outposts claims")


def test_one_nodes_session_down(owner_lab: FaultLab) -> None:
    """On the owner's topology the session that carries IPv6 is the node's IPv4 session: taking it
    down takes both families, each named on the session address FRR keys it by."""
    with owner_lab.restored():
        inject(owner_lab.lab_dir, "bgp-session-down", node="mini03", family="ipv6")
        verdicts = owner_lab.run_feature(FEATURE, "-k", "established", judged_by=OWNER_TOPOLOGY)
    v6, v4 = verdicts.failed("established [ipv6]"), verdicts.failed("established [ipv4]")
    assert "ipv6 on the ipv4 BGP session with mini03 (172.29.51.13) at udm (172.29.51.1) is " in v6.message
    assert "ipv4 BGP session with mini03 (172.29.51.13) at udm (172.29.51.1) is " in v4.message
    assert "expected Established" in v6.message and "expected Established" in v4.message
    assert "mini01" not in v6.message and "mini02" not in v4.message


def test_ipv6_not_negotiated_on_one_nodes_session(owner_lab: FaultLab) -> None:
    """mini02's speaker drops the IPv6 AFI-SAFI: FRR still lists the session under ipv6Unicast as
    Established (pfxRcd 0); only the neighbour's capabilities show IPv6 not negotiated."""
    with owner_lab.restored():
        inject(owner_lab.lab_dir, "bgp-family-off", node="mini02", family="ipv6")
        verdicts = owner_lab.run_feature(FEATURE, "-k", "established or outside", judged_by=OWNER_TOPOLOGY)
    v = verdicts.failed("established [ipv6]")
    assert "ipv6 not negotiated on the Established session with mini02 (172.29.51.12) at udm (172.29.51.1)" \
        in v.message
    assert "FRR's summary says Established; 'show bgp neighbors json' lists neighborCapabilities." \
        "multiprotocolExtensions.ipv6Unicast without advertisedAndReceived" in v.message
    verdicts.passed("established [ipv4]")
    outside = verdicts.failed("outside the lb ranges [ipv6]")
    assert "cannot judge what mini02 advertised (ipv6) to udm (172.29.51.1): ipv6 not negotiated" in outside.message
    verdicts.passed("outside the lb ranges [ipv4]")


def test_soft_reconfiguration_off_for_one_neighbour(owner_lab: FaultLab) -> None:
    """The udm keeps no pre-policy copy of mini01's IPv6 routes: received-routes answers FRR's
    warning (exit 0), which must fail the scenario, never read as "nothing advertised"."""
    with owner_lab.restored():
        inject(owner_lab.lab_dir, "bgp-soft-reconfig-off", node="mini01", family="ipv6")
        verdicts = owner_lab.run_feature(FEATURE, "-k", "outside", judged_by=OWNER_TOPOLOGY)
    v = verdicts.failed("outside the lb ranges [ipv6]")
    assert "cannot judge what mini01 advertised (ipv6): udm (172.29.51.1): 'show bgp ipv6 unicast neighbors " \
           "172.29.51.11 received-routes json' answered FRR warning 'Inbound soft reconfiguration not enabled'" \
        in v.message
    assert "mini02" not in v.message and "mini03" not in v.message
    verdicts.passed("outside the lb ranges [ipv4]")
