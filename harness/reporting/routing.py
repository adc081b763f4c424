"""The router's answers a run read, kept as evidence, and the routing state they show.

    stop = record_router_answers()            # the reporting plugin, for the run's life
    states = routing_states(run)              # one RoutingState per router read; () when none was
    why_no_routing(run)                       # the line the report shows instead of a picture

Every answer the router probe fetched (:func:`harness.probes.router.listen`: no request of its own) is
stored under the running scenario as evidence of kind ``ROUTER_ANSWER``, titled
``"<router>: <command>"``, with FRR's JSON as its (redacted) body; a table re-read while a check
waits keeps only its last answer per scenario. The state is read from the last answer per table
over the whole run, parsed again by :mod:`harness.probes.router`'s own parsers:

- an edge per (session, family) from ``show bgp summary json`` (negotiation from ``show bgp
  neighbors json``): it counts when Established *and* the family negotiated;
- per node and family, every LB prefix any node sent or the router accepted: ``accepted`` (a
  valid path from that node, its own next hop), ``filtered`` (in what the node sent —
  ``received-routes`` — but not accepted), ``not received`` (the node did not send it) or ``not
  accepted`` (not in the table from that node; what it sent was not read). A prefix outside the
  profile's LB ranges is shown only where a node sent it or the router accepted it, always failing.

Each failing edge or prefix carries the lines of failed scenarios that name it.
"""

from __future__ import annotations

import ipaddress
import json
import re
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.core.evidence import Evidence, EvidenceLog, current_log
from harness.core.netaddr import FAMILIES, Family
from harness.core.redact import redact
from harness.probes import router as frr
from harness.reporting.model import FAILED, RoutingContext, RunResult, ScenarioResult

ROUTER_ANSWER = "router answer"
SUMMARY = "show bgp summary json"
NEIGHBORS = "show bgp neighbors json"
_PATHS = re.compile(r"show bgp (ipv4|ipv6) unicast json")
_RECEIVED = re.compile(r"show bgp (ipv4|ipv6) unicast neighbors (\S+) received-routes json")
_SEP = ": show "


# title -> (log, answer) last kept: a poll that reads the same answer again costs no serialising
_kept: dict[str, tuple[weakref.ref[EvidenceLog], Mapping[str, Any]]] = {}


def record_answer(where: str, command: str, data: Mapping[str, Any]) -> None:
    """Keep ``data`` as the current scenario's evidence (the last answer per table and scenario).
    Recording never fails the check that read the answer: an answer it cannot keep is left out."""
    try:
        log, title = current_log(), redact(f"{where}: {command}")
        kept = _kept.get(title)
        if kept is not None and kept[0]() is log and kept[1] == data:
            return
        body = redact(json.dumps(data, indent=1, ensure_ascii=False, default=str))
        log.keep_latest(Evidence(ROUTER_ANSWER, title, body))
        _kept[title] = (weakref.ref(log), data)
    except Exception:  # the evidence is a by-product; the check's own verdict must stand
        return


def record_router_answers() -> Callable[[], None]:
    """Record every router answer from now on; returns the function that stops recording."""
    _kept.clear()
    return frr.listen(record_answer)


@dataclass(frozen=True)
class Answer:
    router: str
    command: str
    data: Mapping[str, Any]
    scenario: str             # the scenario that read it last ("" for the session)


def last_answers(run: RunResult) -> dict[tuple[str, str], Answer]:
    """(router, command) -> the last answer read in the run (session evidence first, then scenarios
    in run order). Answers whose body is no longer JSON (redaction) are left out."""
    found: dict[tuple[str, str], Answer] = {}
    sources: list[tuple[str, Sequence[Evidence]]] = [("", run.session_evidence)]
    sources += [(s.name, s.evidence) for s in run.scenarios]
    for scenario, items in sources:
        for ev in items:
            if ev.kind != ROUTER_ANSWER or _SEP not in ev.title:
                continue
            where, _, rest = ev.title.rpartition(_SEP)
            try:
                data = json.loads(ev.body)
            except ValueError:
                continue
            if isinstance(data, Mapping):
                found.pop((where, "show " + rest), None)
                found[(where, "show " + rest)] = Answer(where, "show " + rest, data, scenario)
    return found


@dataclass(frozen=True)
class Edge:
    node: str
    peer: str
    family: Family
    state: str                # "Established", "Active", ..., "no session"
    ok: bool
    detail: str               # the hover text


@dataclass(frozen=True)
class PrefixMark:
    node: str
    peer: str
    family: Family
    prefix: str
    status: str               # accepted | accepted, not valid | filtered | not received | not accepted | ...
    ok: bool
    in_lb_range: bool
    detail: str


@dataclass(frozen=True)
class RoutingState:
    router: str                            # "udm (172.29.51.1)"
    nodes: tuple[str, ...]
    edges: tuple[Edge, ...]
    prefixes: tuple[PrefixMark, ...]
    tables: tuple[str, ...]                # which answers it was drawn from, and where they were read
    notes: tuple[str, ...] = ()            # what could not be judged, and why

    @property
    def failing(self) -> list[str]:
        """The hover text of every failing edge and prefix, edges first."""
        return [e.detail for e in self.edges if not e.ok] + [p.detail for p in self.prefixes if not p.ok]


def why_no_routing(run: RunResult) -> str:
    if run.target == "repo":
        return ("No routing picture: a repo run reads no router (BGP sessions and routes are live evidence; "
                "the drift table shows what the repo declares).")
    return "No routing picture: no scenario of this run read the router's BGP tables."


def routing_states(run: RunResult, context: RoutingContext | None = None) -> tuple[RoutingState, ...]:
    context = context if context is not None else run.routing
    answers = last_answers(run)
    routers = list(dict.fromkeys(router for router, _ in answers))
    failures = [s for s in run.scenarios if s.outcome in FAILED or s.outcome == "waived"]
    return tuple(_Builder(router, {c: a for (r, c), a in answers.items() if r == router}, context,
                          failures).build() for router in routers)


def _key(address: str) -> str:
    """An address as one text however FRR wrote it (``fd47::0011``, ``fe80::1%eth0``)."""
    try:
        return str(ipaddress.ip_address(address.split("%", 1)[0]))
    except ValueError:
        return address


def _net(prefix: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(prefix, strict=False)
    except ValueError:
        return None


def _sort_prefix(prefix: str) -> tuple[int, int, int, str]:
    net = _net(prefix)
    if net is None:
        return (9, 0, 0, prefix)
    return (net.version, int(net.network_address), net.prefixlen, prefix)


class _Builder:
    def __init__(self, router: str, answers: Mapping[str, Answer], context: RoutingContext | None,
                 failures: Sequence[ScenarioResult]) -> None:
        self.router, self.answers, self.context, self.failures = router, answers, context, failures
        self.names: dict[str, str] = {}           # peer key -> node name
        self.addresses: dict[str, list[str]] = {}  # node -> its addresses (profile)
        if context is not None:
            for name, addresses in context.nodes:
                self.addresses[name] = list(addresses)
                for address in addresses:
                    self.names[_key(address)] = name
        self.notes: list[str] = []

    def node(self, peer: str, hostname: str = "") -> str:
        return self.names.get(_key(peer)) or hostname or peer

    def in_lb(self, prefix: str, family: Family) -> bool:
        if self.context is None or not self.context.lb_ranges:
            return True  # nothing to judge by: every prefix counts as an LB prefix
        net = _net(prefix)
        ranges = [_net(cidr) for fam, cidr in self.context.lb_ranges if fam == family]
        return net is not None and any(r is not None and r.version == net.version and net.subnet_of(r)  # type: ignore[arg-type]
                                       for r in ranges)

    def build(self) -> RoutingState:
        sessions = self._sessions()
        edges = self._edges(sessions)
        prefixes = [mark for family in FAMILIES for mark in self._prefixes(family, sessions)]
        order = [name for name, _ in self.context.nodes] if self.context is not None else []
        seen = {e.node for e in edges} | {p.node for p in prefixes}
        nodes = [n for n in order if n in seen] + sorted(seen - set(order))
        tables = tuple(f"{a.command}" + (f" (last read in: {a.scenario})" if a.scenario else " (read by the session)")
                       for a in self.answers.values())
        return RoutingState(self.router, tuple(dict.fromkeys(nodes)), tuple(edges), tuple(prefixes), tables,
                            tuple(self.notes))

    # -- sessions -------------------------------------------------------------------------------
    def _sessions(self) -> tuple[frr.BgpSession, ...] | None:
        summary = self.answers.get(SUMMARY)
        if summary is None:
            self.notes.append(f"sessions not drawn: no scenario read {SUMMARY!r}")
            return None
        found = frr.parse_sessions(summary.data)
        neighbors = self.answers.get(NEIGHBORS)
        if neighbors is None:
            if any(s.is_established for s in found):
                self.notes.append(f"negotiation unknown: no scenario read {NEIGHBORS!r}")
            return found
        negotiated = frr.parse_negotiated(neighbors.data)
        return tuple(_with_negotiated(s, negotiated) for s in found)

    def _edges(self, sessions: Sequence[frr.BgpSession] | None) -> list[Edge]:
        if sessions is None:
            return []
        edges = []
        for s in sessions:
            node = self.node(s.peer, s.hostname)
            if s.carries_family:
                ok, state, detail = True, "Established", f"{s.family} session with {node} ({s.peer}): Established, " \
                                                         f"{s.family} negotiated"
            elif s.is_established and s.negotiated is None:
                ok, state = True, "Established"
                detail = f"{s.family} session with {node} ({s.peer}): Established (negotiation not read)"
            elif s.is_established:
                ok, state = False, "Established, not negotiated"
                detail = (f"{s.family} session with {node} ({s.peer}) is Established but {s.family} unicast is "
                          "not negotiated: no route of this family can flow")
            else:
                ok, state = False, s.state or "unknown"
                detail = f"{s.family} session with {node} ({s.peer}): {s.state or 'no state'}" + (
                    f" ({s.peer_state})" if s.peer_state and s.peer_state != "OK" else "")
            if s.prefixes_received is not None:
                detail += f"; {s.prefixes_received} prefix(es) received"
            edges.append(Edge(node, s.peer, s.family, state, ok, self._explain(detail, ok, node, s.family, "session")))
        if self.context is not None:
            families = [f for f in FAMILIES if any(fam == f for fam, _ in self.context.lb_ranges)]
            have = {(e.node, e.family) for e in edges}
            for name, _ in self.context.nodes:
                for family in families:
                    if (name, family) not in have:
                        detail = f"no {family} session with {name}: {self.router} lists none"
                        edges.append(Edge(name, "", family, "no session", False,
                                          self._explain(detail, False, name, family, "session")))
        return sorted(edges, key=lambda e: (e.node, FAMILIES.index(e.family) if e.family in FAMILIES else 9))

    # -- prefixes -------------------------------------------------------------------------------
    def _prefixes(self, family: Family, sessions: Sequence[frr.BgpSession] | None) -> list[PrefixMark]:
        table = self.answers.get(f"show bgp {family} unicast json")
        paths = frr.parse_paths(table.data, family) if table is not None else None
        received: dict[str, set[str]] = {}       # node -> prefixes it sent (before policy)
        peer_of: dict[str, str] = {}
        for command, answer in self.answers.items():
            found = _RECEIVED.fullmatch(command)
            if found is None or found[1] != family:
                continue
            try:
                routes = frr.parse_received(answer.data, found[2])
            except ValueError:
                continue
            node = self.node(found[2])
            received.setdefault(node, set()).update(r.prefix for r in routes)
            peer_of.setdefault(node, found[2])
        if paths is None and not received:
            return []
        accepted: dict[str, dict[str, frr.BgpPath]] = {}
        for path in paths or ():
            node = self.node(path.peer, path.hostname)
            peer_of.setdefault(node, path.peer)
            best = accepted.setdefault(node, {})
            if path.prefix not in best or (path.is_valid and not best[path.prefix].is_valid):
                best[path.prefix] = path
        if paths is None:
            self.notes.append(f"{family}: the router's table was not read; only what nodes sent is shown")
        nodes = set(accepted) | set(received)
        for s in sessions or ():
            if s.family == family:
                nodes.add(self.node(s.peer, s.hostname))
                peer_of.setdefault(self.node(s.peer, s.hostname), s.peer)
        expected = {p for n in nodes for p in set(accepted.get(n, {})) | received.get(n, set())
                    if self.in_lb(p, family)}
        marks = []
        for node in sorted(nodes):
            own = set(accepted.get(node, {})) | received.get(node, set())
            for prefix in sorted(expected | own, key=_sort_prefix):
                mark = self._mark(node, peer_of.get(node, ""), family, prefix, accepted.get(node, {}).get(prefix),
                                  received.get(node), paths is not None, accepted)
                if mark is not None:
                    marks.append(mark)
        return marks

    def _mark(self, node: str, peer: str, family: Family, prefix: str, path: frr.BgpPath | None,
              sent: set[str] | None, table_read: bool, accepted: Mapping[str, Mapping[str, frr.BgpPath]]
              ) -> PrefixMark | None:
        lb = self.in_lb(prefix, family)
        where = self.router
        others = sorted(n for n, got in accepted.items() if n != node and prefix in got)
        from_others = f"; accepted from {', '.join(others)}" if others else ""
        if path is not None:
            hops = ", ".join(path.next_hops) or "none"
            if not lb:
                ok, status = False, "accepted outside LB ranges"
                detail = (f"{where} ACCEPTED {prefix} ({family}) from {node}, outside the LB ranges "
                          f"{self._ranges(family)}")
            elif not path.is_valid:
                ok, status = False, "accepted, not valid"
                detail = f"{prefix} ({family}) from {node} is in {where}'s table but not valid (via {hops})"
            elif not self._own_next_hop(node, path):
                ok, status = False, "accepted, wrong next hop"
                detail = (f"{prefix} ({family}) from {node} accepted via {hops}, not {node}'s own address "
                          f"({', '.join(self.addresses.get(node, []))})")
            else:
                ok, status = True, "accepted"
                mapped = f" (IPv4-mapped {path.mapped_ipv4})" if path.mapped_ipv4 else ""
                detail = f"{prefix} ({family}) accepted at {where} from {node} via {hops}{mapped}" + (
                    "" if path.is_best else ", not best")
        elif sent is not None and prefix in sent:
            ok = False
            if lb:
                status = "filtered"
                detail = (f"{node} sent {prefix} ({family}) but {where} did not accept it: filtered by its inbound "
                          f"policy{from_others}")
            else:
                status = "sent outside LB ranges"
                detail = (f"{node} advertises {prefix} ({family}), outside the LB ranges {self._ranges(family)} "
                          f"({where} filtered it)")
        elif not lb:
            return None
        elif sent is not None:
            ok, status = False, "not received"
            detail = f"{prefix} ({family}) never received at {where} from {node}: {node} did not send it{from_others}"
        elif table_read:
            ok, status = False, "not accepted"
            detail = (f"{prefix} ({family}) missing at {where} from {node} (what {node} sent was not read, so "
                      f"filtered or never sent){from_others}")
        else:
            return None
        return PrefixMark(node, peer, family, prefix, status, ok, lb, self._explain(detail, ok, node, family, prefix))

    def _ranges(self, family: Family) -> str:
        if self.context is None:
            return "?"
        return ", ".join(c for f, c in self.context.lb_ranges if f == family) or "none"

    def _own_next_hop(self, node: str, path: frr.BgpPath) -> bool:
        own = self.addresses.get(node)
        if not own:
            return True  # nothing to compare with
        return any(path.has_next_hop(a) or path.mapped_ipv4 == a for a in own)

    def _explain(self, detail: str, ok: bool, node: str, family: Family, subject: str) -> str:
        """``detail`` plus, when failing, the failed scenarios' lines naming the node and the subject."""
        if ok:
            return detail
        words = [node, subject.split("/")[0]] if subject != "session" else [node, family, "session"]
        lines = [f"{s.name}: {line.strip()}" for s in self.failures for line in _lines(s)
                 if all(_names(w, line) for w in words)]
        unique = list(dict.fromkeys(lines))[:3]
        return detail + "".join(f"\nfailed scenario {line}" for line in unique)


def _names(word: str, line: str) -> bool:
    """``word`` occurs in ``line`` as a whole (172.29.52.20 is not in 172.29.52.200, mini0 not in mini01)."""
    return re.search(rf"(?<![\w.:-]){re.escape(word)}(?![\w-]|[.:]\w)", line, re.IGNORECASE) is not None


def _lines(s: ScenarioResult) -> Iterable[str]:
    """The failure's own lines: its message and the exception lines (``E   ...``) of its traceback."""
    found = [line for line in s.message.splitlines() if line.strip()]
    found += [line[1:].strip() for line in s.details.splitlines() if line.startswith("E ")]
    return dict.fromkeys(found)


def _with_negotiated(s: frr.BgpSession, negotiated: Mapping[tuple[str, str], bool]) -> frr.BgpSession:
    from dataclasses import replace
    return replace(s, negotiated=negotiated.get((s.peer, s.family))) if s.is_established else s
