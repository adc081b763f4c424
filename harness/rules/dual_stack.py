"""Dual-stack checks: node addresses and pod CIDRs per family, service IPs in the right networks.

    node_address_problems(profile, cluster.nodes(), "ipv6", cluster.url)
    pod_cidr_problems(profile, cluster.nodes(), "ipv4", cluster.url)
    service_network_problems(profile, cluster.services(), cluster.url)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from itertools import combinations

from harness.core.netaddr import Family, family_of
from harness.core.selectors import matches
from harness.model.objects import NodeObject, Service
from harness.model.profile import LbPool, Profile


def node_address_problems(profile: Profile, nodes: Sequence[NodeObject], family: Family, where: str) -> list[str]:
    mgmt = profile.networks.management.require(family, "management network")
    by_name = {n.name: n for n in nodes}
    problems = []
    for node in profile.nodes:
        want = node.addresses.require(family, f"{node.name} address")
        seen = by_name.get(node.name)
        if seen is None:
            problems.append(f"node {node.name} not registered at {where}")
            continue
        mine = [ip for ip in seen.internal_ips if family_of(ip) == family]
        if not mine:
            problems.append(f"node {node.name} at {where} reports no {family} InternalIP "
                            f"(has {', '.join(map(str, seen.internal_ips)) or 'none'}); expected {want}")
        elif want not in mine:
            problems.append(f"node {node.name} at {where}: {family} InternalIP {', '.join(map(str, mine))}, "
                            f"expected {want}")
        problems += [f"node {node.name} at {where}: {family} InternalIP {ip} outside the management network {mgmt}"
                     for ip in mine if ip not in mgmt]
    return problems


def pod_cidr_problems(profile: Profile, nodes: Sequence[NodeObject], family: Family, where: str) -> list[str]:
    pods = profile.networks.pods.require(family, "pod network")
    names = set(profile.node_names)
    problems, mine = [], {}
    for node in (n for n in nodes if n.name in names):
        unreadable = [c for c in node.pod_cidrs if _network(c) is None]
        problems += [f"node {node.name} at {where}: spec.podCIDRs holds {c!r}, not a network" for c in unreadable]
        cidrs = [n for c in node.pod_cidrs if (n := _network(c)) is not None and family_of(n) == family]
        if len(cidrs) != 1:
            problems.append(f"node {node.name} at {where} has {len(cidrs)} {family} pod CIDRs "
                            f"({', '.join(node.pod_cidrs) or 'none'}); expected exactly one inside {pods}")
            continue
        mine[node.name] = cidrs[0]
        if not cidrs[0].subnet_of(pods):  # type: ignore[arg-type]
            problems.append(f"node {node.name} at {where}: {family} pod CIDR {cidrs[0]} outside the pod network {pods}")
    for (a, ca), (b, cb) in combinations(sorted(mine.items()), 2):
        if ca.overlaps(cb):
            problems.append(f"nodes {a} ({ca}) and {b} ({cb}) at {where} have overlapping {family} pod CIDRs")
    return problems


def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def cluster_ip_problems(profile: Profile, svc: Service | None, ref: str) -> list[str]:
    if svc is None:
        return [f"service {ref} not found"]
    problems = []
    for family in profile.networks.services.families:
        net = profile.networks.services.require(family, "service network")
        ips = [ip for ip in svc.cluster_ips if family_of(ip) == family]
        if not ips:
            problems.append(f"service {ref} ({svc.ip_family_policy}) has no {family} ClusterIP "
                            f"(clusterIPs {', '.join(map(str, svc.cluster_ips)) or 'none'}); expected one in {net}")
        problems += [f"service {ref}: {family} ClusterIP {ip} outside the service network {net}"
                     for ip in ips if ip not in net]
    return problems


def service_network_problems(profile: Profile, services: Sequence[Service], where: str) -> list[str]:
    """Every ClusterIP of every Service (headless ones have none) lies in the profiled service network
    of its family: the API server allocates from the networks it was started with."""
    problems = []
    for svc in sorted(services, key=lambda s: s.ref):
        for ip in svc.cluster_ips:
            family = family_of(ip)
            net = profile.networks.services.get(family)
            if net is None:
                problems.append(f"service {svc.ref} at {where}: {family} ClusterIP {ip}, but the profile has no "
                                f"{family} service network")
            elif ip not in net:
                problems.append(f"service {svc.ref} at {where}: {family} ClusterIP {ip} outside the profiled "
                                f"service network {net}")
    return problems


def pools_for(profile: Profile, labels: dict[str, str], family: Family) -> tuple[LbPool, ...]:
    """The profiled pools that would serve a service with ``labels`` in ``family``."""
    return tuple(p for p in profile.pools_of_family(family) if matches(p.selector, labels))


def dual_stack_lb_problem(profile: Profile, svc: Service | None, ref: str) -> str | None:
    if svc is None:
        return f"service {ref} not found"
    problems = []
    for family in profile.networks.load_balancer.families:
        pools = pools_for(profile, svc.labels, family)
        ips = [ip for ip in svc.lb_addresses if family_of(ip) == family]
        names = ", ".join(p.name for p in pools) or "none"
        if not ips:
            problems.append(f"no {family} LoadBalancer address (pools for its labels: {names})")
        problems += [f"{family} address {ip} is in none of its pools ({names})"
                     for ip in ips if not any(p.contains(ip) for p in pools)]
    return f"service {ref}: " + "; ".join(problems) + f"; {svc.describe_conditions()}" if problems else None
