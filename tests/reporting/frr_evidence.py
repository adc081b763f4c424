"""Router evidence for report tests, read from the FRR samples through the real RouterProbe.

    items = read(OWNER, reads=("sessions", "ipv4", "ipv6"), received={"172.29.51.12": "received-8.4-ipv4.json"})
    run = lab_run(scenario("Nothing outside", items))          # a RunResult whose picture tests can draw

Each answer is a sample file of ``fixtures/upstream/frr/`` or an edited copy (a dict); the probe
runs ``vtysh -c '<command>'`` against them, and the reporting's recorder keeps what it read.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from harness.core.evidence import Evidence, EvidenceLog, collecting
from harness.model.profile import load_profile
from harness.probes.router import RouterProbe
from harness.reporting.model import RoutingContext, RunResult, ScenarioResult
from harness.reporting.plugin import _routing_context
from harness.reporting.routing import record_router_answers
from tests.frr_fake import FakeVtysh

ROOT = Path(__file__).resolve().parents[2]
FRR = ROOT / "fixtures" / "upstream" / "frr"
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"

SUMMARY, NEIGHBORS = "show bgp summary json", "show bgp neighbors json"
OWNER: dict[str, str | dict[str, Any]] = {
    SUMMARY: "summary-8.4-owner-v4-sessions.json",
    NEIGHBORS: "neighbors-8.4-owner-v4-sessions.json",
    "show bgp ipv4 unicast json": "routes-ipv4-8.4.json",
    "show bgp ipv6 unicast json": "routes-ipv6-8.4-mapped-next-hop.json",
}


def sample(name: str) -> dict[str, Any]:
    data = json.loads((FRR / name).read_text())
    assert isinstance(data, dict)
    return data


def without_paths(name: str | dict[str, Any], prefix: str, peer: str) -> dict[str, Any]:
    """A routes sample with ``peer``'s path(s) for ``prefix`` taken out (the node stopped sending it)."""
    data = copy.deepcopy(sample(name) if isinstance(name, str) else name)
    data["routes"][prefix] = [p for p in data["routes"][prefix] if p.get("peerId") != peer]
    return data


def without_received(name: str | dict[str, Any], prefix: str) -> dict[str, Any]:
    data = copy.deepcopy(sample(name) if isinstance(name, str) else name)
    del data["receivedRoutes"][prefix]
    return data


def runner(answers: Mapping[str, str | Mapping[str, Any]]) -> Callable[[str], str]:
    """vtysh answers by command: a sample's file name under fixtures/upstream/frr/, or the JSON itself."""
    texts = {command: (FRR / answer).read_text() if isinstance(answer, str) else json.dumps(answer)
             for command, answer in answers.items()}
    return FakeVtysh(texts)


def read(answers: Mapping[str, str | Mapping[str, Any]], reads: tuple[str, ...] = ("sessions", "ipv4", "ipv6"),
         received: Mapping[str, str | Mapping[str, Any]] | None = None) -> tuple[Evidence, ...]:
    """What a scenario reading these tables keeps as evidence (the recorder on, the probe reading)."""
    table = dict(answers)
    for peer, answer in (received or {}).items():
        table[f"show bgp ipv4 unicast neighbors {peer} received-routes json"] = answer
    log = EvidenceLog()
    stop = record_router_answers()
    try:
        with collecting(log):
            probe = RouterProbe(runner(table), "udm", "172.29.51.1")
            for what in reads:
                if what == "sessions":
                    probe.sessions()
                else:
                    probe.paths(what)
            for peer in received or {}:
                probe.received(peer, "ipv4")
    finally:
        stop()
    return log.items()


def context() -> RoutingContext:
    found = _routing_context(load_profile(PROFILE))
    assert found is not None
    return found


def scenario(name: str, evidence: tuple[Evidence, ...] = (), outcome: str = "passed", message: str = "",
             details: str = "") -> ScenarioResult:
    return ScenarioResult(nodeid=f"features/bgp.feature::test_{name.replace(' ', '_')}", feature="BGP routes",
                          name=name, outcome=outcome, duration=0.5, message=message, details=details,
                          evidence=evidence, file="features/bgp.feature", line=12)


def lab_run(*scenarios: ScenarioResult, target: str = "lab") -> RunResult:
    return RunResult(run_id="0612-test", target=target, profile=str(PROFILE), started="2025-06-12T03:00:00+02:00",
                     duration=12.0, scenarios=scenarios, routing=context())
