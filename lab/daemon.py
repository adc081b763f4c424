"""The lab daemon: one process holding every stand-in until SIGTERM.

    python -m lab serve --dir DIR --profile P      # normally started by `python -m lab up`

Start order follows a real cluster's: the network (router + node speakers), then the Kubernetes
API on the control-plane VIP inside a node namespace (reached, like the real one, through the
router), then Cilium's controllers. It prints ``ready`` once every endpoint answers, after writing
``DIR/lab.json`` (0600) with the endpoints and credential paths the harness reads.
"""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.model.profile import Profile
from harness.repo.frr_parse import parse_frr_text
from lab.cilium.bgp_controller import BgpController
from lab.cilium.ipam_controller import LbIpamController
from lab.compose import NodeAgent
from lab.edge import EdgeLab, EdgeSpec
from lab.faults import FaultRegistry
from lab.faults import serve as serve_faults
from lab.kube import KubeApiServer
from lab.net import LabNetwork
from lab.net.netns import inside
from lab.net.topology import LINKS
from lab.net.wait import wait_for
from lab.seed import cilium_crds, cilium_workloads, node_objects
from lab.seed.cilium_config import cilium_config, cilium_config_from_values
from lab.talos import TalosLab, apply_faults
from lab.talos.facts import LabResource
from lab.talos.hardware import default_node
from lab.talos.network import address_statuses
from lab.twin import RepoTwin

MANIFEST = "lab.json"
TALOS_PORT = 50000  # apid


def _start_kube(stack: ExitStack, lab_dir: Path, profile: Profile, net: LabNetwork,
                twin: RepoTwin | None = None) -> KubeApiServer:
    cidrs = [str(profile.networks.services.get(f)) for f in profile.networks.services.families]
    host, port = profile.api_endpoint or ("127.0.0.1", 0)
    first = profile.nodes[0].name
    # the CRDs the profiled Cilium release registers: exactly the cilium.io versions it serves
    version = twin.cilium_version if twin is not None else profile.cilium.version
    kube = KubeApiServer(lab_dir / "kube", host=host, port=port, service_cidrs=cidrs,
                         crds=cilium_crds(version))
    if profile.api_endpoint is not None:   # the VIP: on the first control-plane node's management link, as
        net.add_address(first, host, LINKS.node_mgmt)   # Talos's VIP controller puts it (a /32, answered by ARP)
    with inside(net.netns_name(first)):      # the listening socket is made in that namespace
        kube.start()
    stack.callback(kube.stop)
    store: Any = kube.store
    for node, status in node_objects(profile):
        store.create(node)
        store.update_status("v1", "Node", None, node["metadata"]["name"], status)
    for workload in cilium_workloads(version):   # the running release, as its image tag shows
        store.create(workload)
    if twin is not None and twin.cilium_values is not None:  # the agent's options, as the chart renders them
        store.create(cilium_config_from_values(twin.cilium_values))
    else:
        store.create(cilium_config(profile))
    return kube


def _start_talos(stack: ExitStack, lab_dir: Path, profile: Profile, net: LabNetwork,
                 registry: FaultRegistry) -> TalosLab:
    """apid on the first node's address (port 50000), answering for every node from its disk images."""
    hardware = tuple(replace(default_node(i + 1), name=n.name, address=str(n.addresses.get("ipv4")))
                     for i, n in enumerate(profile.nodes))
    first = profile.nodes[0]
    def network(node: str) -> list[LabResource]:   # what the node's interfaces really hold, as Talos reports it
        if node not in {n.name for n in profile.nodes}:
            return []
        out = subprocess.run(["ip", "-n", net.netns_name(node), "-j", "addr", "show"], capture_output=True,
                             text=True, timeout=10)
        return address_statuses(json.loads(out.stdout or "[]"))

    talos = TalosLab(lab_dir / "talos", hardware, host=str(first.addresses.get("ipv4")), port=TALOS_PORT,
                     network=network)
    with inside(net.netns_name(first.name)):
        talos.start()
    stack.callback(talos.stop)

    def disk_fault(args: dict[str, str]) -> Any:
        before = talos.nodes
        talos.set_nodes(apply_faults(before, {args["node"]: [args["kind"]]}))
        return lambda: talos.set_nodes(before)

    registry.register("talos-hardware", disk_fault)

    def vip_also(args: dict[str, str]) -> Any:
        """A second node takes the control-plane VIP on its management link too (a split election)."""
        vip = profile.api_endpoint[0] if profile.api_endpoint else ""
        if not vip or args["node"] not in {n.name for n in profile.nodes}:
            raise ValueError(f"vip-also: needs a profiled node and an API endpoint, got {args}")
        net.add_address(args["node"], vip, LINKS.node_mgmt)
        return lambda: net.remove_address(args["node"], vip, LINKS.node_mgmt)

    registry.register("vip-also", vip_also)
    return talos


Accepts = Callable[[str, str], bool]      # (node, prefix) -> the udm's inbound policy accepts it


def _unrouted(net: LabNetwork, agents: dict[str, NodeAgent], accepts: Accepts = lambda node, prefix: True
              ) -> str | None:
    """Prefixes some node announces that the udm has not settled yet: no kernel route, and no final
    verdict from zebra either. On the owner's topology an IPv6 address arrives over an IPv4 session
    with an IPv4-mapped next hop; zebra selects the route but the kernel refuses it for good (the
    real router's end state too), so "selected, install failed" is settled, not pending. A prefix
    the udm's inbound policy denies (``accepts``: a twin's router file, judged by FRR's rules) never
    arrives in its table: it is settled as soon as it is announced."""
    wanted = {_route_key(p) for node, a in agents.items() for p, _ in a.announced()
              if not a.is_suppressed(p) and accepts(node, p)}
    udm = net.netns_name("udm")
    table = " ".join(subprocess.run(["ip", "-n", udm, *fam, "route"], capture_output=True, text=True).stdout
                     for fam in ([], ["-6"])).split()
    missing = sorted(a for a in wanted if a not in table and not _install_failed(net, a))
    return f"no route yet for {', '.join(missing)}" if missing else None


def _route_key(prefix: str) -> str:
    """How ``ip route`` prints a prefix: a host route as its address, any other with its length."""
    net = ipaddress.ip_network(prefix, strict=False)
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def _install_failed(net: LabNetwork, key: str) -> bool:
    """zebra selected the route for ``key`` (an address, or a prefix) and the kernel refused it
    (``show ... route X json``: ``selected`` and ``failed``)."""
    v6 = ":" in key
    prefix = key if "/" in key else f"{key}/{128 if v6 else 32}"
    try:
        data = json.loads(net.vtysh(f"show {'ipv6' if v6 else 'ip'} route {prefix} json"))
    except (ValueError, OSError, RuntimeError):
        return False
    return any(r.get("selected") and r.get("failed") for r in data.get(prefix, []) if isinstance(r, dict))


def _start_edge(stack: ExitStack, lab_dir: Path, profile: Profile, net: LabNetwork, kube: KubeApiServer,
                registry: FaultRegistry, agents: Callable[[], dict[str, NodeAgent]],
                reconcile: Callable[[], None] = lambda: None,
                accepts: Accepts = lambda node, prefix: True) -> EdgeLab:
    """DNS (knot + external-dns), ingress-nginx, the lab CA and the Authentik outpost."""
    edge = EdgeLab(kube.store, net, EdgeSpec.from_profile(profile, net.spec), lab_dir / "edge")
    edge.start()
    stack.callback(edge.stop)

    def edge_fault(args: dict[str, str]) -> Any:
        edge.set_fault(args["name"])
        return lambda: edge.set_fault(None)

    registry.register("edge", edge_fault)
    def settle(args: dict[str, str]) -> Any:
        """Wait until the edge has applied every change and the udm routes every announced address."""
        budget = float(args.get("timeout", "10"))
        reconcile()   # Cilium's controllers have taken every change so far into account (passes awaited)
        edge.wait_synced(budget)
        wait_for(lambda: _unrouted(net, agents(), accepts), timeout=budget, what="routes at the udm")
        return lambda: None

    registry.register("settle", settle)
    creds = edge.login_credentials
    _write_private(lab_dir / "authentik-login.json", {"username": creds.username, "password": creds.password})
    return edge


def _bgp_faults(registry: FaultRegistry, agents: dict[str, NodeAgent], net: LabNetwork) -> None:
    from lab.net import frr_conf

    def udm_config(lines: list[str]) -> None:
        """Configuration lines in the udm's vtysh (after ``configure terminal``), as an operator types them."""
        subprocess.run(net.udm_argv(frr_conf.vtysh_config_argv(lines)), check=True, capture_output=True, timeout=10)

    def session_up(address: str, families: tuple[str, ...], without: str | None = None) -> None:
        """Wait until the udm has the session Established with exactly ``families`` negotiated
        (``without`` not), so a fault is in place, or undone, when its call returns."""
        def check() -> str | None:
            seen = net.router.neighbor(address)
            ok = seen.carries(families) and (without is None or without not in seen.negotiated)
            return None if ok else f"{address}: {seen.state or 'absent'}, negotiated {seen.negotiated}"
        wait_for(check, timeout=15, what=f"the udm's session with {address}")

    def suppress(args: dict[str, str]) -> Any:
        agent = agents[args["node"]]
        agent.set_faults(agent.suppressed | {args["prefix"]}, agent.extra)
        return lambda: agent.set_faults(agent.suppressed - {args["prefix"]}, agent.extra)

    def extra(args: dict[str, str]) -> Any:
        agent, route = agents[args["node"]], (args["prefix"], args["family"])
        agent.set_faults(agent.suppressed, agent.extra | {route})
        return lambda: agent.set_faults(agent.suppressed, agent.extra - {route})

    def session_down(args: dict[str, str]) -> Any:
        speaker, family = net.speaker(args["node"]), args.get("family")
        speaker.stop_session(family)

        def undo() -> None:  # back, and every family negotiated again, before the next fault starts
            speaker.start_session(family)
            for session in net.spec.sessions_of(args["node"]):
                if family is None or family in session.families:
                    session_up(session.node_address, session.families)
        return undo

    def icmp_ignore(args: dict[str, str]) -> Any:
        key = "net.ipv4.icmp_echo_ignore_all" if args["family"] == "ipv4" else "net.ipv6.icmp.echo_ignore_all"
        ns = net.netns_name(args["node"])
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}=1"], check=True)
        return lambda: subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}=0"], check=True)

    def family_off(args: dict[str, str]) -> Any:
        """The node's session stops offering ``family`` (a CiliumBGPPeerConfig without it): the udm
        still lists the session under that family, Established, but the family is not negotiated."""
        speaker, family = net.speaker(args["node"]), args["family"]
        (session,) = [s for s in net.spec.sessions_of(args["node"]) if family in s.families]
        rest = tuple(f for f in session.families if f != family)
        speaker.set_families(family, rest)
        session_up(session.node_address, rest, without=family)

        def undo() -> None:
            speaker.set_families(family, session.families)
            session_up(session.node_address, session.families)
        return undo

    def soft_reconfig_off(args: dict[str, str]) -> Any:
        """The udm keeps no Adj-RIB-In copy of what the node sends in ``family`` (no
        soft-reconfiguration inbound for that neighbour): received-routes answers FRR's warning."""
        family = args["family"]
        (session,) = [s for s in net.spec.sessions_of(args["node"]) if family in s.families]
        udm_config(frr_conf.standalone_neighbor(net.spec, session, no_soft_reconfig=family))
        session_up(session.node_address, session.families)

        def undo() -> None:
            udm_config(frr_conf.rejoin_peer_group(net.spec, session))
            session_up(session.node_address, session.families)
        return undo

    registry.register("icmp-ignore", icmp_ignore)
    registry.register("bgp-suppress", suppress)
    registry.register("bgp-extra", extra)
    registry.register("bgp-session-down", session_down)
    registry.register("bgp-family-off", family_off)
    registry.register("bgp-soft-reconfig-off", soft_reconfig_off)

    def prefix_list_narrow(args: dict[str, str]) -> Any:
        """An operator's edit at the udm (vtysh conf t): the inbound prefix-list of ``family``
        (frr_conf's CLUSTER-ROUTES / CLUSTER-ROUTES-V6, seq 10) narrowed to the first ``/prefixlen``
        of the LB range, so it no longer covers all of it."""
        family = args["family"]
        afi, name, wide, le = (("ipv6", "CLUSTER-ROUTES-V6", net.spec.router.lb_ranges_v6[0], 128)
                               if family == "ipv6" else ("ip", "CLUSTER-ROUTES", net.spec.router.lb_ranges_v4[0], 32))
        narrow = next(wide.subnets(new_prefix=int(args["prefixlen"])))

        def entry(prefix: Any) -> str:
            return f"{afi} prefix-list {name} seq 10 permit {prefix} le {le}"
        udm_config([f"no {entry(wide)}", entry(narrow)])
        return lambda: udm_config([f"no {entry(narrow)}", entry(wide)])

    registry.register("bgp-prefix-list-narrow", prefix_list_narrow)


def _router_policy(net: LabNetwork, twin: RepoTwin | None) -> Accepts:
    """Whether the udm's inbound policy accepts a node's prefix: always on the profile's lab (its
    policy is the profile's ranges, and a fault's extra route is waited out by its own test); on a
    twin, FRR's rules applied to the repo's router file (harness/repo/frr.py), per the node's session."""
    if twin is None or twin.router_config is None:
        return lambda node, prefix: True
    conf = parse_frr_text(twin.router_config, twin.router_file)

    def accepts(node: str, prefix: str) -> bool:
        family = "ipv6" if ":" in prefix else "ipv4"
        session = net.spec.node(node).address(net.spec.session_family(family))
        return conf.accepts_from(session, prefix)
    return accepts


def _wait_for_some_sessions(net: LabNetwork) -> None:
    """The twin's sessions are what the repo's router file and Cilium objects make of them: wait
    (bounded) until those the spec expects are up, and carry on either way (scenarios judge them)."""
    try:
        net.wait_established()
    except Exception as exc:      # noqa: BLE001 - a twin whose sessions do not come up is a finding, not a crash
        print(f"lab: twin sessions not all Established: {exc}", file=sys.stderr, flush=True)


def _write_private(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(doc, out, indent=2)
    tmp.replace(path)


def serve_on(net: LabNetwork, lab_dir: Path, profile_path: Path, profile: Profile, stop: threading.Event,
             twin: RepoTwin | None = None) -> int:
    """Everything but the network (started by :func:`lab.boot.serve`, owned from here on)."""
    with ExitStack() as stack:
        stack.callback(net.down)
        kube = _start_kube(stack, lab_dir, profile, net, twin)
        agents = {n.name: NodeAgent(net, n.name) for n in profile.nodes}
        # the stand-ins apply the semantics of the release the cluster runs (the twin: the repo's)
        version = twin.cilium_version if twin is not None else profile.cilium.version
        controllers = (LbIpamController(kube.store, version=version),
                       BgpController(kube.store, agents, version=version, background=True))
        for controller in controllers:
            stack.callback(controller.close)
        registry = FaultRegistry()
        _bgp_faults(registry, agents, net)
        talos = _start_talos(stack, lab_dir, profile, net, registry)
        def reconcile() -> None:
            for controller in controllers:
                controller.reconcile_now()

        edge = _start_edge(stack, lab_dir, profile, net, kube, registry, lambda: agents, reconcile,
                           _router_policy(net, twin))
        stack.callback(serve_faults(lab_dir, registry).shutdown)
        if twin is None:
            net.wait_established()
        else:      # the owner's configuration decides which sessions come up: the twin reports, never waits
            _wait_for_some_sessions(net)
        ssh = net.router_ssh
        _write_private(lab_dir / MANIFEST, {
            "pid": os.getpid(), "profile": str(profile_path), "kubeconfig": str(kube.kubeconfig_path),
            "context": "lab", "api_url": kube.url, "netns_prefix": net.spec.prefix,
            "client_netns": net.netns_name("client"), "talosconfig": str(talos.talosconfig),
            "ca_cert": str(edge.ca_cert_path), "authentik_login": str(lab_dir / "authentik-login.json"),
            "router_ssh": {"host": ssh.host, "port": ssh.port, "user": ssh.user, "key_path": str(ssh.key_path),
                           "known_hosts": str(ssh.known_hosts_path)},
            **({"twin": twin.manifest(net.rejected, net.router_notes)} if twin is not None else {}),
        })
        print("ready", flush=True)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        stop.wait()
        print("lab: stopping", file=sys.stderr, flush=True)
    return 0
