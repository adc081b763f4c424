"""The lab daemon: one process holding every stand-in until SIGTERM.

    python -m lab serve --dir DIR --profile P      # normally started by `python -m lab up`

Start order follows a real cluster's: the network (router + node speakers), then the Kubernetes
API on the control-plane VIP inside a node namespace (reached, like the real one, through the
router), then Cilium's controllers. It prints ``ready`` once every endpoint answers, after writing
``DIR/lab.json`` (0600) with the endpoints and credential paths the harness reads.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.profile import Profile, load_profile
from lab.cilium.bgp_controller import BgpController
from lab.cilium.ipam_controller import LbIpamController
from lab.compose import NodeAgent, network_spec
from lab.edge import EdgeLab, EdgeSpec
from lab.faults import FaultRegistry
from lab.faults import serve as serve_faults
from lab.kube import KubeApiServer
from lab.net import LabNetwork
from lab.net.netns import inside
from lab.net.wait import wait_for
from lab.seed import cilium_crds, node_objects
from lab.talos import TalosLab, apply_faults
from lab.talos.hardware import default_node

MANIFEST = "lab.json"
TALOS_PORT = 50000  # apid


def lab_prefix(lab_dir: Path) -> str:
    """A short namespace prefix unique to this lab directory (so labs coexist, leftovers are found)."""
    return "hoc" + hashlib.sha256(str(lab_dir).encode()).hexdigest()[:5]


def _start_kube(stack: ExitStack, lab_dir: Path, profile: Profile, net: LabNetwork) -> KubeApiServer:
    cidrs = [str(profile.networks.services.get(f)) for f in profile.networks.services.families]
    host, port = profile.api_endpoint or ("127.0.0.1", 0)
    first = profile.nodes[0].name
    kube = KubeApiServer(lab_dir / "kube", host=host, port=port, service_cidrs=cidrs, crds=cilium_crds())
    if profile.api_endpoint is not None:
        net.add_address(first, host)         # the VIP lives on the first control-plane node
    with inside(net.netns_name(first)):      # the listening socket is made in that namespace
        kube.start()
    stack.callback(kube.stop)
    store: Any = kube.store
    for node, status in node_objects(profile):
        store.create(node)
        store.update_status("v1", "Node", None, node["metadata"]["name"], status)
    return kube


def _start_talos(stack: ExitStack, lab_dir: Path, profile: Profile, net: LabNetwork,
                 registry: FaultRegistry) -> TalosLab:
    """apid on the first node's address (port 50000), answering for every node from its disk images."""
    hardware = tuple(replace(default_node(i + 1), name=n.name, address=str(n.addresses.get("ipv4")))
                     for i, n in enumerate(profile.nodes))
    first = profile.nodes[0]
    talos = TalosLab(lab_dir / "talos", hardware, host=str(first.addresses.get("ipv4")), port=TALOS_PORT)
    with inside(net.netns_name(first.name)):
        talos.start()
    stack.callback(talos.stop)

    def disk_fault(args: dict[str, str]) -> Any:
        before = talos.nodes
        talos.set_nodes(apply_faults(before, {args["node"]: [args["kind"]]}))
        return lambda: talos.set_nodes(before)

    registry.register("talos-hardware", disk_fault)
    return talos


def _unrouted(net: LabNetwork, agents: dict[str, NodeAgent]) -> str | None:
    """Addresses some node announces that the udm's kernel has no route for yet."""
    wanted = {p.split("/")[0] for a in agents.values() for p, _ in a.announced() if not a.is_suppressed(p)}
    udm = net.netns_name("udm")
    table = " ".join(subprocess.run(["ip", "-n", udm, *fam, "route"], capture_output=True, text=True).stdout
                     for fam in ([], ["-6"])).split()
    missing = sorted(a for a in wanted if a not in table)
    return f"no route yet for {', '.join(missing)}" if missing else None


def _start_edge(stack: ExitStack, lab_dir: Path, profile: Profile, net: LabNetwork, kube: KubeApiServer,
                registry: FaultRegistry, agents: Callable[[], dict[str, NodeAgent]]) -> EdgeLab:
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
        edge.wait_synced(budget)
        wait_for(lambda: _unrouted(net, agents()), timeout=budget, what="routes at the udm")
        return lambda: None

    registry.register("settle", settle)
    creds = edge.login_credentials
    _write_private(lab_dir / "authentik-login.json", {"username": creds.username, "password": creds.password})
    return edge


def _bgp_faults(registry: FaultRegistry, agents: dict[str, NodeAgent], net: LabNetwork) -> None:
    def suppress(args: dict[str, str]) -> Any:
        agent = agents[args["node"]]
        agent.set_faults(agent.suppressed | {args["prefix"]}, agent.extra)
        return lambda: agent.set_faults(agent.suppressed - {args["prefix"]}, agent.extra)

    def extra(args: dict[str, str]) -> Any:
        agent, route = agents[args["node"]], (args["prefix"], args["family"])
        agent.set_faults(agent.suppressed, agent.extra | {route})
        return lambda: agent.set_faults(agent.suppressed, agent.extra - {route})

    def session_down(args: dict[str, str]) -> Any:
        speaker = net.speaker(args["node"])
        speaker.stop_session(args.get("family"))
        return lambda: speaker.start_session(args.get("family"))

    def icmp_ignore(args: dict[str, str]) -> Any:
        key = "net.ipv4.icmp_echo_ignore_all" if args["family"] == "ipv4" else "net.ipv6.icmp.echo_ignore_all"
        ns = net.netns_name(args["node"])
        subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}=1"], check=True)
        return lambda: subprocess.run(["ip", "netns", "exec", ns, "sysctl", "-qw", f"{key}=0"], check=True)

    registry.register("icmp-ignore", icmp_ignore)
    registry.register("bgp-suppress", suppress)
    registry.register("bgp-extra", extra)
    registry.register("bgp-session-down", session_down)


def _write_private(path: Path, doc: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(doc, out, indent=2)
    tmp.replace(path)


def serve(lab_dir: Path, profile_path: Path) -> int:
    lab_dir = lab_dir.resolve()
    profile = load_profile(profile_path)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with ExitStack() as stack:
        net = LabNetwork(network_spec(profile, lab_prefix(lab_dir)), lab_dir / "net")
        stack.callback(net.down)
        net.up()
        kube = _start_kube(stack, lab_dir, profile, net)
        agents = {n.name: NodeAgent(net, n.name) for n in profile.nodes}
        for controller in (LbIpamController(kube.store), BgpController(kube.store, agents)):
            stack.callback(controller.close)
        registry = FaultRegistry()
        _bgp_faults(registry, agents, net)
        talos = _start_talos(stack, lab_dir, profile, net, registry)
        edge = _start_edge(stack, lab_dir, profile, net, kube, registry, lambda: agents)
        stack.callback(serve_faults(lab_dir, registry).shutdown)
        ssh = net.router_ssh
        _write_private(lab_dir / MANIFEST, {
            "pid": os.getpid(), "profile": str(profile_path), "kubeconfig": str(kube.kubeconfig_path),
            "context": "lab", "api_url": kube.url, "netns_prefix": net.spec.prefix,
            "client_netns": net.netns_name("client"), "talosconfig": str(talos.talosconfig),
            "ca_cert": str(edge.ca_cert_path), "authentik_login": str(lab_dir / "authentik-login.json"),
            "router_ssh": {"host": ssh.host, "port": ssh.port, "user": ssh.user, "key_path": str(ssh.key_path),
                           "known_hosts": str(ssh.known_hosts_path)},
        })
        print("ready", flush=True)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        stop.wait()
        print("lab: stopping", file=sys.stderr, flush=True)
    return 0
