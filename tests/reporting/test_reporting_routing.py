"""The routing picture: router answers recorded while scenarios read them, drawn from the last one per table.

Evidence is built from the FRR samples (fixtures/upstream/frr/) read through the real RouterProbe."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from harness.core.errors import RouterWarning
from harness.core.evidence import EvidenceLog, collecting
from harness.core.redact import forget_secrets, register_secret
from harness.probes import router
from harness.probes.router import RouterProbe
from harness.reporting.bgp_svg import FAIL, OK, render_svg
from harness.reporting.html import render_html
from harness.reporting.markdown import render_markdown
from harness.reporting.routing import (
    ROUTER_ANSWER,
    RoutingState,
    last_answers,
    record_router_answers,
    routing_states,
    why_no_routing,
)
from tests.reporting.frr_evidence import (
    NEIGHBORS,
    OWNER,
    SUMMARY,
    context,
    lab_run,
    read,
    runner,
    sample,
    scenario,
    without_paths,
    without_received,
)

IPV4 = "show bgp ipv4 unicast json"
SUPPRESSED = "route 172.29.52.100/32 (ipv4) missing at udm (172.29.51.1) from mini02: received from mini01, mini03; " \
             "expected all of mini01, mini02, mini03"


@pytest.fixture(autouse=True)
def no_secrets() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def one_state(*scenarios: object) -> RoutingState:
    states = routing_states(lab_run(*scenarios))  # type: ignore[arg-type]
    assert len(states) == 1, states
    return states[0]


def marks(state: RoutingState, node: str) -> dict[str, tuple[str, bool]]:
    return {p.prefix: (p.status, p.ok) for p in state.prefixes if p.node == node}


# -- recording -----------------------------------------------------------------------------------
def test_each_table_read_is_kept_once_per_scenario_and_only_while_recording(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(router, "_listeners", [])   # this test session's own reporting plugin records too
    log = EvidenceLog()
    probe = RouterProbe(runner({**OWNER, "show bgp ipv4 unicast neighbors 172.29.51.12 received-routes json":
                                "warning-soft-reconfig-off.json"}), "udm", "172.29.51.1")
    stop = record_router_answers()
    with collecting(log):
        probe.sessions()                      # summary, then neighbors (a session is Established)
        probe.paths("ipv4")
        probe.paths("ipv4")                   # cached: no new read, nothing recorded
        probe.invalidate()
        probe.paths("ipv4")                   # read again while waiting: replaces the earlier answer
        with pytest.raises(RouterWarning):
            probe.received("172.29.51.12", "ipv4")   # a refusal is not a table
    stop()
    with collecting(log):
        probe.invalidate()
        probe.paths("ipv6")                   # after stop(): not recorded
    titles = [e.title for e in log.items()]
    assert titles == [f"udm (172.29.51.1): {SUMMARY}", f"udm (172.29.51.1): {NEIGHBORS}", f"udm (172.29.51.1): {IPV4}"]
    assert {e.kind for e in log.items()} == {ROUTER_ANSWER}
    assert json.loads(log.items()[-1].body) == sample("routes-ipv4-8.4.json")


def test_the_last_answer_per_table_over_the_run_is_drawn() -> None:
    before = scenario("Accepted before", read(OWNER))
    after = scenario("Nothing outside", read({**OWNER, IPV4: without_paths("routes-ipv4-8.4.json", "172.29.52.100/32",
                                                                            "172.29.51.12")}, reads=("ipv4",)))
    answers = last_answers(lab_run(before, after))
    assert answers[("udm (172.29.51.1)", IPV4)].scenario == "Nothing outside"
    assert answers[("udm (172.29.51.1)", SUMMARY)].scenario == "Accepted before"
    state = one_state(before, after)
    assert marks(state, "mini02")["172.29.52.100/32"] == ("not accepted", False)
    assert f"{IPV4} (last read in: Nothing outside)" in state.tables


# -- what the picture says -----------------------------------------------------------------------
def test_owner_topology_sessions_and_prefixes() -> None:
    state = one_state(scenario("Established", read(OWNER, received={"172.29.51.12": "received-8.4-ipv4.json"})))
    assert state.router == "udm (172.29.51.1)" and state.nodes == ("mini01", "mini02", "mini03")
    assert {(e.node, e.family, e.state, e.ok) for e in state.edges} == {
        (n, f, "Established", True) for n in state.nodes for f in ("ipv4", "ipv6")}
    for node in state.nodes:
        got = marks(state, node)
        assert got["172.29.52.100/32"] == got["172.29.52.101/32"] == ("accepted", True)
        assert got["fd47:25e1:2f96:51:100::c8/128"] == ("accepted", True)   # IPv4-mapped: the node's own next hop
    # the sample's .102 path from mini03 is not valid (next hop 172.29.60.13); the others never sent it
    assert marks(state, "mini03")["172.29.52.102/32"] == ("accepted, not valid", False)
    assert marks(state, "mini01")["172.29.52.102/32"] == ("not accepted", False)
    # mini02 sent .200 (its received-routes) but the router's table has no path for it from mini02
    assert marks(state, "mini02")["172.29.52.200/32"] == ("filtered", False)
    assert marks(state, "mini02")["172.29.52.102/32"] == ("not received", False)   # what it sent was read


def test_suppressed_route_is_red_with_the_failing_scenario_message() -> None:
    received = {"172.29.51.12": without_received(without_received("received-8.4-ipv4.json", "172.29.52.100/32"),
                                                 "172.29.52.200/32")}   # mini02 sent neither
    paths = without_paths(without_paths("routes-ipv4-8.4.json", "172.29.52.100/32", "172.29.51.12"),
                          "172.29.52.102/32", "172.29.51.13")      # the sample's one invalid path, out of the way
    failed = scenario("The ipv4 address of a service in pool bgp-default is accepted from every node",
                      read({**OWNER, IPV4: paths}, received=received), outcome="failed",
                      message="WaitTimeout: route 172.29.52.100/32 at udm (172.29.51.1): still not satisfied "
                              f"after 4s: {SUPPRESSED}")
    state = one_state(failed)
    mark = next(p for p in state.prefixes if (p.node, p.prefix) == ("mini02", "172.29.52.100/32"))
    assert (mark.status, mark.ok) == ("not received", False)
    assert "mini02 did not send it; accepted from mini01, mini03" in mark.detail
    assert f"failed scenario {failed.name}: WaitTimeout: route 172.29.52.100/32" in mark.detail
    assert marks(state, "mini01")["172.29.52.100/32"] == ("accepted", True)
    assert marks(state, "mini02")["172.29.60.0/24"] == ("sent outside LB ranges", False)
    assert all(e.ok for e in state.edges if e.node == "mini02")                    # the session itself is fine
    svg = render_svg(state)
    root = ET.fromstring(svg)
    red = [g for g in root.iter("g") if g.get("data-node") == "mini02" and g.get("data-prefix") == "172.29.52.100/32"]
    assert len(red) == 1 and red[0].get("class") == "prefix fail"
    title = red[0].find("title")
    assert title is not None and title.text is not None and "never received at udm" in title.text
    assert any(r.get("fill") == FAIL for r in red[0].iter("rect"))
    node = next(g for g in root.iter("g") if g.get("class", "").startswith("node") and g.get("data-node") == "mini02")
    assert node.get("class") == "node fail"
    assert next(g for g in root.iter("g") if g.get("data-node") == "mini01" and "node" in g.get("class", "")
                ).get("class") == "node ok"


@pytest.mark.parametrize(("summary", "neighbors", "node", "family", "state"), [
    ("summary-8.4-ipv6-not-negotiated.json", "neighbors-8.4-ipv6-not-negotiated.json", "mini02", "ipv6",
     "Established, not negotiated"),
    ("summary-10.2-peer-active.json", "neighbors-10.2-peer-active.json", "mini03", "ipv4", "Active"),
    ("summary-9.1-separate-sessions.json", "neighbors-9.1-separate-sessions.json", "mini02", "ipv6", "Idle (Admin)"),
])
def test_a_session_not_carrying_its_family_is_a_red_edge(summary: str, neighbors: str, node: str, family: str,
                                                         state: str) -> None:
    drawn = one_state(scenario("Established", read({**OWNER, SUMMARY: summary, NEIGHBORS: neighbors},
                                                   reads=("sessions",)),
                               outcome="failed",
                               message=f"no Established {family} BGP session with {node} (x): {state}"))
    edge = next(e for e in drawn.edges if (e.node, e.family) == (node, family))
    assert (edge.state, edge.ok) == (state, False)
    assert f"failed scenario Established: no Established {family} BGP session with {node}" in edge.detail
    assert {e.node for e in drawn.edges if not e.ok} == {node}
    root = ET.fromstring(render_svg(drawn))
    line = next(g for g in root.iter("g") if g.get("class") == "edge fail").find("polyline")
    assert line is not None and line.get("stroke") == FAIL


def test_a_node_without_a_session_gets_a_dashed_red_edge() -> None:
    only_two = sample("summary-8.4-owner-v4-sessions.json")
    for afi in ("ipv4Unicast", "ipv6Unicast"):
        del only_two[afi]["peers"]["172.29.51.13"]
    drawn = one_state(scenario("Established", read({**OWNER, SUMMARY: only_two}, reads=("sessions",))))
    missing = [e for e in drawn.edges if e.node == "mini03"]
    assert [(e.family, e.state, e.ok) for e in missing] == [("ipv4", "no session", False),
                                                            ("ipv6", "no session", False)]
    assert "stroke-dasharray" in render_svg(drawn)


def test_svg_is_well_formed_self_contained_and_titled() -> None:
    state = one_state(scenario("Established", read(OWNER, received={"172.29.51.12": "received-8.4-ipv4.json"})))
    svg = render_svg(state)
    root = ET.fromstring(svg)                     # well-formed XML too
    assert root.tag == "svg" and "<script" not in svg and "http" not in svg and "href" not in svg
    groups = [g for g in root.iter("g") if g.get("class", "").split()[0] in ("edge", "prefix", "node")]
    assert len(groups) == len(state.edges) + len(state.prefixes) + len(state.nodes)
    assert all(g.find("title") is not None for g in groups)
    assert OK in svg and FAIL in svg


def test_router_answers_are_redacted_everywhere() -> None:
    canary = "canary-b7e1-router-secret"
    register_secret(canary)
    summary = sample("summary-8.4-owner-v4-sessions.json")
    summary["ipv4Unicast"]["peers"]["172.29.51.11"]["desc"] = canary
    run = lab_run(scenario("Established", read({**OWNER, SUMMARY: summary}, reads=("sessions",))))
    assert all(canary not in e.body for s in run.scenarios for e in s.evidence)
    html, md = render_html(run), render_markdown(run)
    assert canary not in html and canary not in md
    assert "<svg class='routing'" in html


def test_reports_carry_the_picture_or_say_why_not() -> None:
    run = lab_run(scenario("Established", read({**OWNER, IPV4: without_paths("routes-ipv4-8.4.json",
                                                                             "172.29.52.100/32", "172.29.51.12")})))
    html, md = render_html(run), render_markdown(run)
    assert html.index("<h2>Routing at udm (172.29.51.1)</h2>") < html.index("<svg class='routing'")
    assert "172.29.52.100/32 (ipv4) missing at udm (172.29.51.1) from mini02" in md   # failing ones listed
    assert '"ipv4Unicast"' not in md and "router answer read: `udm (172.29.51.1): show bgp summary json`" in md
    assert "ipv4Unicast&quot;" in html                                                     # the JSON, as evidence

    repo = lab_run(scenario("Nothing read"), target="repo")
    for text in (render_html(repo), render_markdown(repo)):
        assert "No routing picture: a repo run reads no router" in text and "<svg" not in text
    assert "no scenario of this run read the router's BGP tables" in why_no_routing(lab_run(scenario("x")))
    assert routing_states(lab_run(scenario("x"))) == ()


def test_without_a_profile_peers_are_named_by_hostname_or_address() -> None:
    run = lab_run(scenario("Established", read(OWNER)))
    from dataclasses import replace
    states = routing_states(replace(run, routing=None))
    assert states[0].nodes == ("172.29.51.11", "172.29.51.12", "172.29.51.13")   # the samples carry no hostname
    assert context().router == "udm"
