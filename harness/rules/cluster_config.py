"""Cluster-wide settings the architecture states: every node a schedulable control-plane node, Cilium's
agent configuration and release, and the UDM Pro as the resolver that answers the protected hosts.

    require(control_plane_problems(profile, api.list(NODES), api.url))
    require(cilium_config_problems(profile, api.get(CONFIGMAPS, "cilium-config", "kube-system"), api.url))

Each function returns one line per difference, naming what was read, where, what was expected and seen.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from harness.core.errors import DnsError
from harness.core.netaddr import Family, family_of
from harness.model.cilium_versions import AGENT_NAMESPACE, CiliumVersion
from harness.model.profile import Profile
from harness.probes.dns import DnsProbe
from harness.probes.kube import Resource
from harness.probes.talos.resources import AddressStatus

Obj = dict[str, Any]
CONFIGMAPS = Resource("", "v1", "configmaps", "ConfigMap", True)
CILIUM_CONFIG = "cilium-config"   # the ConfigMap Cilium's Helm chart renders the agent's options into
CONTROL_PLANE_ROLE = "node-role.kubernetes.io/control-plane"
# the taints that keep ordinary pods off a control-plane node (kubeadm's and the legacy "master" one)
CONTROL_PLANE_TAINTS = (CONTROL_PLANE_ROLE, "node-role.kubernetes.io/master")


def control_plane_problems(profile: Profile, nodes: Sequence[Obj], url: str) -> list[str]:
    """Every profiled node is registered, carries the control-plane role and no taint that keeps
    workloads off it (Talos adds ``node-role.kubernetes.io/control-plane:NoSchedule`` unless
    ``allowSchedulingOnControlPlanes`` is true), and is not cordoned."""
    by_name = {str((n.get("metadata") or {}).get("name")): n for n in nodes}
    problems = []
    for node in profile.nodes:
        obj = by_name.get(node.name)
        if obj is None:
            problems.append(f"node {node.name} is not registered at {url}; the profile lists it as a control-plane "
                            f"node that runs workloads")
            continue
        labels = (obj.get("metadata") or {}).get("labels") or {}
        spec = obj.get("spec") or {}
        if CONTROL_PLANE_ROLE not in labels:
            problems.append(f"node {node.name} at {url} has no {CONTROL_PLANE_ROLE} label: not a control-plane "
                            f"node; expected all {len(profile.nodes)} nodes to be control plane")
        for taint in spec.get("taints") or []:
            if taint.get("key") in CONTROL_PLANE_TAINTS and taint.get("effect") in ("NoSchedule", "NoExecute"):
                problems.append(f"node {node.name} at {url} has taint {taint.get('key')}:{taint.get('effect')}: "
                                f"workloads cannot be scheduled on it; expected every control-plane node to be "
                                f"a schedulable worker (talconfig allowSchedulingOnControlPlanes: true)")
        if spec.get("unschedulable"):
            problems.append(f"node {node.name} at {url} is cordoned (spec.unschedulable: true); expected it to "
                            f"take workloads")
    return problems


def expected_cilium_config(profile: Profile) -> dict[str, str]:
    """The cilium-config keys and values the profile implies, as the Helm chart renders them (strings)."""
    return {
        "enable-bgp-control-plane": "true" if profile.cilium.bgp_control_plane else "false",
        "kube-proxy-replacement": "true" if profile.kube_proxy_replaced else "false",
        "bpf-lb-acceleration": profile.cilium.lb_acceleration,
    }


# what the agent assumes for a key the ConfigMap leaves out (its flag defaults)
AGENT_DEFAULTS = {"enable-bgp-control-plane": "false", "kube-proxy-replacement": "false",
                  "bpf-lb-acceleration": "disabled"}


def cilium_config_problems(profile: Profile, config: Obj | None, url: str) -> list[str]:
    where = f"ConfigMap {AGENT_NAMESPACE}/{CILIUM_CONFIG} at {url}"
    if config is None:
        return [f"no {where}: cannot tell how Cilium's agent is configured"]
    data = {str(k): str(v) for k, v in (config.get("data") or {}).items()}
    problems = []
    for key, want in expected_cilium_config(profile).items():
        seen = data.get(key)
        effective = AGENT_DEFAULTS[key] if seen is None else seen
        if effective.lower() != want:
            shown = f"{key}: {seen!r}" if seen is not None else f"no {key} (the agent's default {effective!r})"
            problems.append(f"{where} has {shown}; expected {key}: {want!r} ({_why(key)})")
    return problems


def _why(key: str) -> str:
    return {"enable-bgp-control-plane": "the profile's cilium.bgp_control_plane",
            "kube-proxy-replacement": "the profile's cluster.kube_proxy",
            "bpf-lb-acceleration": "the profile's cilium.lb_acceleration: XDP acceleration"}[key]


def cilium_version_problem(profile: Profile, running: CiliumVersion, where: str) -> str | None:
    want = profile.cilium.version
    if str(running) != str(want):
        return f"Cilium {running} runs ({where}); the profile requires Cilium {want} (cilium.version)"
    return None


def dns_resolver_problems(profile: Profile, probe: DnsProbe, family: Family) -> list[str]:
    """The profiled DNS server of ``family`` is the router's address of that family, and it answers every
    protected host in both record families with the ingress addresses."""
    server = probe.server(family)
    router = profile.bgp.router
    problems = []
    want_router = router.addresses.get(family)
    if want_router is None or str(want_router) != server:
        problems.append(f"the profiled {family} DNS server {server} is not the router {router.name}'s {family} "
                        f"address ({want_router}); the architecture has the UDM Pro provide DNS resolution")
    for host in profile.identity.hosts:
        for record in profile.ingress.addresses.families:
            want = str(profile.ingress.addresses.get(record))
            try:
                answer = probe.addresses(host, record, via=family)
            except DnsError as exc:
                problems.append(f"{router.name} did not answer: {exc}")
                continue
            if answer.addresses != (want,):
                problems.append(f"{router.name} answered {answer.describe()}; expected exactly {want}")
    return problems


def vip_address(profile: Profile) -> str:
    """The control-plane address (the API endpoint's host) when it is an IP address, else ""."""
    if profile.api_endpoint is None:
        return ""
    try:
        return str(ipaddress.ip_address(profile.api_endpoint[0]))
    except ValueError:
        return ""


def vip_problems(profile: Profile, addresses: Mapping[str, Sequence[AddressStatus]], where: str) -> list[str]:
    """The control-plane address is held by exactly one profiled node, as a host prefix on a link of the
    management network (Talos's shared VIP: the elected node adds it there and announces it with
    gratuitous ARP), never on loopback. ``addresses``: node name -> its AddressStatuses."""
    vip = vip_address(profile)
    family = family_of(ipaddress.ip_address(vip))
    management = profile.networks.management.get(family)
    problems = []
    if management is None or ipaddress.ip_address(vip) not in management:
        problems.append(f"control-plane address {vip} is outside the profiled management network "
                        f"({management or 'none for ' + family}): no L2 announcement there can reach it")
    holders = [(node, a) for node, found in addresses.items() for a in found if a.ip == vip]
    if not holders:
        return problems + [f"no node holds the control-plane address {vip} ({where}): expected exactly one "
                           f"control-plane node to carry it on its management link; nothing answers ARP for it"]
    if len({node for node, _ in holders}) > 1:
        problems.append(f"the control-plane address {vip} is held by "
                        f"{' and '.join(f'{n} ({a.link})' for n, a in holders)} ({where}): expected exactly one node; "
                        "two nodes answer ARP for it")
    for node, held in holders:
        own = [a for a in addresses[node] if a.link == held.link and a.ip != vip and management is not None
               and ipaddress.ip_address(a.ip) in management]
        if held.link == "lo" or held.scope == "host":
            problems.append(f"{node} holds the control-plane address {vip} on {held.link} ({where}): a loopback "
                            "address is not announced on the management network")
        elif not own:
            problems.append(f"{node} holds the control-plane address {vip} on link {held.link} ({where}), which has "
                            f"no address in the management network {management}: expected it on that network's link")
        if held.address != f"{vip}/{32 if family == Family.IPV4 else 128}":
            problems.append(f"{node} holds the control-plane address as {held.address} ({where}): Talos's shared "
                            "VIP is a host prefix")
    return problems
