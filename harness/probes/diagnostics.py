"""What to show an operator when a scenario fails: short dumps of the state each probe can read.

    with diagnostic("router BGP state", lambda: router_state(router)): yield router   # in a fixture

Each dump is read fresh (the failure may have raced a change) and kept short; the reporting
plugin runs them only on failure, in parallel, within a time budget, and redacts them.
"""

from __future__ import annotations

from harness.core.netaddr import FAMILIES, Family
from harness.model.profile import Profile
from harness.probes.cluster import Cluster
from harness.probes.router import RouterProbe
from harness.probes.talos import TalosClient


def router_state(router: RouterProbe) -> str:
    router.invalidate()
    lines = [f"sessions at {router.where} (one line per session and family):"]
    lines += [f"  {s.family} {s.peer} ({s.hostname or '?'}): {s.state}, "
              f"{'?' if s.prefixes_received is None else s.prefixes_received} prefixes, "
              f"{_negotiated(s.negotiated)}; session carries {', '.join(s.families) or '?'}"
              for s in router.sessions()]
    for family in FAMILIES:
        lines += [f"{family} routes learned from the cluster:", router.excerpt(family)]
    return "\n".join(lines)


def _negotiated(value: bool | None) -> str:
    if value is None:
        return "negotiation unknown"
    return "negotiated" if value else "NOT negotiated"


def cluster_state(cluster: Cluster) -> str:
    cluster.invalidate()
    lines = [f"LB pools at {cluster.url}:"]
    lines += [f"  {p.name}: {p.describe_blocks()}; {'; '.join(str(c) for c in p.conditions) or 'no conditions'}"
              for p in cluster.lb_pools()]
    lines.append("LoadBalancer services:")
    lines += [f"  {s.ref} labels={s.labels} addresses={','.join(map(str, s.lb_addresses)) or 'none'}; "
              f"{s.describe_conditions()}" for s in cluster.services() if s.type == "LoadBalancer"]
    lines.append("Ingresses:")
    lines += [f"  {i.ref} class={i.class_name} hosts={','.join(i.hosts)}" for i in cluster.ingresses()]
    return "\n".join(lines)


def talos_state(talos: TalosClient, profile: Profile) -> str:
    lines = []
    for node in profile.nodes:
        address = str(node.addresses.get(Family.IPV4) or node.addresses.get(Family.IPV6))
        lines.append(f"{node.name} ({address}):")
        lines += [f"  disk {d.id}: model {d.model!r} {d.transport} {'rotational' if d.rotational else 'ssd'}"
                  for d in talos.disks(address)]
        lines += [f"  volume {v.id}: {v.phase} {v.encryption_provider or 'none'} {v.filesystem} at {v.location}"
                  for v in talos.volume_statuses(address)]
    return "\n".join(lines)
