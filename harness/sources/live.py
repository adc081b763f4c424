"""The live cluster's facts: what the Kubernetes API, the router's running configuration and the Talos
API show, field by field, with the object (and its cluster URL) that shows it.

    facts = live_facts(profile, api, router_config=text, router_where="udm (172.29.51.1)", talos=client)

The same canonical text as the repo source (harness.model.facts), and the same FRR evaluator for the
router (``router_config_facts``: the running configuration is FRR configuration, as the repo's file).
What this cluster cannot show is named, not guessed: the service network (the API does not publish it),
the router without SSH, the disks without a Talos API, an unreadable object.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from harness.core.errors import CheckFailed, HarnessError
from harness.core.netaddr import FAMILIES, Family
from harness.model.cilium_versions import AGENT_NAMESPACE, GROUP, PEERING_POLICY
from harness.model.facts import Fact, SourceFacts, blocks_text, family_list, fill_unread, joined, selector_text
from harness.model.objects import IngressObject, LbPoolObject, Service
from harness.model.profile import Profile
from harness.probes.cilium_agent import running_version
from harness.probes.kube import INGRESSES, NODES, SERVICES, KubeApi, Resource
from harness.probes.talos import TalosClient
from harness.repo.cilium import BgpInstance, BgpPeeringPolicy
from harness.repo.frr_parse import parse_running_config
from harness.rules.cluster_config import (
    AGENT_DEFAULTS,
    CILIUM_CONFIG,
    CONFIGMAPS,
    CONTROL_PLANE_ROLE,
    CONTROL_PLANE_TAINTS,
)
from harness.rules.disks import NodeDiskFacts, system_disk
from harness.sources.repo import router_config_facts

Obj = dict[str, Any]


def live_facts(profile: Profile, api: KubeApi, *, router_config: str | None = None, router_where: str = "",
               router_unread: str = "", talos: TalosClient | None = None, talos_unread: str = "") -> SourceFacts:
    """``router_config``: the router's ``show running-config`` (None: not read, ``router_unread`` says why);
    ``talos``: a Talos API client (None: the disks are not read, ``talos_unread`` says why)."""
    facts: dict[str, Fact] = {}
    unread: dict[str, str] = {"networks.services.": "the Kubernetes API does not publish the service network "
                                                    "(the ClusterIPs scenario judges every Service's address)"}
    url = api.url
    _read(unread, "lb_pools[", lambda: _pools(profile, api, facts))
    _read(unread, "ingress.", lambda: _ingress(profile, api, facts, unread))
    _read(unread, "bgp.cluster_asn", lambda: _bgp(api, facts))
    _read(unread, ("cilium.", "networks.pods.", "networks.pod_mask_sizes."), lambda: _cilium(profile, api, facts))
    _read(unread, "cluster.control_plane_schedulable", lambda: _nodes(profile, api, facts))
    _read(unread, "identity.outpost_hosts", lambda: _identity(profile, api, facts))
    if router_config is None:
        unread["bgp.router."] = router_unread or "the router was not read (no SSH access given)"
    else:
        try:
            conf = parse_running_config(router_config, f"{router_where} running-config")
        except ValueError as exc:
            unread["bgp.router."] = f"{router_where}: its running configuration is unreadable: {exc}"
        else:
            facts.update(router_config_facts(profile, conf, f"{router_where} running-config"))
    if talos is None:
        unread["disks."] = talos_unread or "the Talos API was not read (no talosconfig given)"
    else:
        _read(unread, "disks.", lambda: _disks(profile, talos, facts))
    fill_unread("live", facts, unread, profile, f"not shown by {url}")
    return SourceFacts("live", url, facts, unread)


def _read(unread: dict[str, str], key: str | tuple[str, ...], read: Callable[[], None]) -> None:
    """Run one reader; an API error or an unreadable object makes its fields (``key``: a field, or
    prefixes ending in "." or "[") unread, saying why."""
    try:
        read()
    except (HarnessError, ValueError) as exc:
        for k in (key,) if isinstance(key, str) else key:
            unread[k] = f"cannot read: {exc}"


def _at(kind: str, name: str, api: KubeApi) -> str:
    return f"{kind} {name} at {api.url}"


def _pools(profile: Profile, api: KubeApi, facts: dict[str, Fact]) -> None:
    res = api.resource_for(GROUP, "CiliumLoadBalancerIPPool")
    pools = [LbPoolObject.parse(o) for o in api.list(res)]
    for pool in pools:
        where = _at("CiliumLoadBalancerIPPool", pool.name, api)
        facts[f"lb_pools[{pool.name}].blocks"] = Fact(blocks_text(pool.blocks), where)
        facts[f"lb_pools[{pool.name}].service_selector"] = Fact(selector_text(pool.selector), where)
    for want in profile.pools:
        if f"lb_pools[{want.name}].blocks" not in facts:
            where = f"CiliumLoadBalancerIPPools at {api.url}"
            facts[f"lb_pools[{want.name}].blocks"] = Fact("absent", where)
            facts[f"lb_pools[{want.name}].service_selector"] = Fact("absent", where)


def _ingress(profile: Profile, api: KubeApi, facts: dict[str, Fact], unread: dict[str, str]) -> None:
    ing = profile.ingress
    obj = api.get(SERVICES, ing.service, ing.namespace)
    where = _at("Service", f"{ing.namespace}/{ing.service}", api)
    if obj is None:
        facts["ingress.ip_families"] = Fact("absent", where)
        return
    svc = Service.parse(obj)
    facts["ingress.ip_families"] = Fact(family_list(svc.ip_families), where)
    for family in ing.addresses.families:
        held = [str(ip) for ip in svc.lb_addresses if (ip.version == 4) == (family == "ipv4")]
        facts[f"ingress.addresses.{family}"] = Fact(joined(held) if held else "none", where)


def _served(api: KubeApi, kind: str) -> Resource | None:
    return api.resource_for(GROUP, kind) if api.served_versions(GROUP, kind) else None


def _bgp(api: KubeApi, facts: dict[str, Fact]) -> None:
    asns: set[int | None] = set()
    peers: set[int | None] = set()
    wheres: list[str] = []
    v1 = _served(api, PEERING_POLICY)
    for obj in api.list(v1) if v1 is not None else []:
        policy = BgpPeeringPolicy.parse(obj)
        wheres.append(_at(PEERING_POLICY, policy.name, api))
        for vr in policy.virtual_routers:
            asns.add(vr.local_asn)
            peers.update(n.peer_asn for n in vr.neighbors)
    v2 = _served(api, "CiliumBGPClusterConfig")
    for obj in api.list(v2) if v2 is not None else []:
        for inst in BgpInstance.parse_all(obj):
            wheres.append(_at("CiliumBGPClusterConfig", inst.config, api))
            asns.add(inst.local_asn)
            peers.update(asn for _, asn, _ in inst.peers if asn is not None)
    where = joined(wheres) if wheres else f"no CiliumBGPPeeringPolicy or CiliumBGPClusterConfig at {api.url}"
    facts["bgp.cluster_asn"] = Fact(joined(asns) if wheres else "absent", where)
    facts["bgp.peer_asn"] = Fact(joined(peers) if wheres else "absent", where)


def _cilium(profile: Profile, api: KubeApi, facts: dict[str, Fact]) -> None:
    try:
        version, where = running_version(api)
    except CheckFailed as exc:
        facts["cilium.version"] = Fact("unknown", str(exc))
    else:
        facts["cilium.version"] = Fact(str(version), f"{where} at {api.url}")
    config = api.get(CONFIGMAPS, CILIUM_CONFIG, AGENT_NAMESPACE)
    where = _at("ConfigMap", f"{AGENT_NAMESPACE}/{CILIUM_CONFIG}", api)
    if config is None:
        for name in ("cilium.kube_proxy_replacement", "cilium.bgp_control_plane", "cilium.lb_acceleration"):
            facts[name] = Fact("absent", where)
        return
    data = {str(k): str(v) for k, v in (config.get("data") or {}).items()}

    def key(name: str) -> str:
        return data.get(name, AGENT_DEFAULTS.get(name, "absent")).lower()

    facts["cilium.kube_proxy_replacement"] = Fact(key("kube-proxy-replacement"), where)
    facts["cilium.bgp_control_plane"] = Fact(key("enable-bgp-control-plane"), where)
    facts["cilium.lb_acceleration"] = Fact(key("bpf-lb-acceleration"), where)
    for family in FAMILIES:
        if data.get(f"enable-{family}", "true" if family == "ipv4" else "false").lower() != "true":
            facts[f"networks.pods.{family}"] = Fact(f"{family} disabled", where)
            continue
        cidrs = data.get(f"cluster-pool-{family}-cidr")
        if cidrs is not None:      # cluster-pool IPAM: the chart joins the CIDR list with spaces
            facts[f"networks.pods.{family}"] = Fact(joined(cidrs.split()), where)
        mask = data.get(f"cluster-pool-{family}-mask-size")
        if mask is not None:
            facts[f"networks.pod_mask_sizes.{family}"] = Fact(mask, where)


def _nodes(profile: Profile, api: KubeApi, facts: dict[str, Fact]) -> None:
    by_name = {str((n.get("metadata") or {}).get("name")): n for n in api.list(NODES)}
    reasons = []
    for node in profile.nodes:
        obj = by_name.get(node.name)
        if obj is None:
            reasons.append(f"{node.name} not registered")
            continue
        labels = (obj.get("metadata") or {}).get("labels") or {}
        taints = [t for t in (obj.get("spec") or {}).get("taints") or []
                  if t.get("key") in CONTROL_PLANE_TAINTS and t.get("effect") in ("NoSchedule", "NoExecute")]
        if CONTROL_PLANE_ROLE not in labels:
            reasons.append(f"{node.name} not control plane")
        if taints or (obj.get("spec") or {}).get("unschedulable"):
            reasons.append(f"{node.name} takes no workloads")
    facts["cluster.control_plane_schedulable"] = Fact("true" if not reasons else f"false ({'; '.join(reasons)})",
                                                      f"Nodes at {api.url}")


def _identity(profile: Profile, api: KubeApi, facts: dict[str, Fact]) -> None:
    ident = profile.identity
    obj = api.get(INGRESSES, ident.outpost_ingress, ident.outpost_namespace)
    where = _at("Ingress", f"{ident.outpost_namespace}/{ident.outpost_ingress}", api)
    facts["identity.outpost_hosts"] = Fact(joined(IngressObject.parse(obj).hosts) if obj else "absent", where)


def _disks(profile: Profile, talos: TalosClient, facts: dict[str, Fact]) -> None:
    nodes = [NodeDiskFacts.read(talos, n.name, str(n.addresses.get(Family.IPV4) or n.addresses.get(Family.IPV6)))
             for n in profile.nodes]
    where = f"Talos API of {', '.join(f.where for f in nodes)}"
    models = [d.model if (d := system_disk(f)) is not None else f"{f.node}: no STATE partition" for f in nodes]
    facts["disks.install_disk_model"] = Fact(joined(models), where)
    name = profile.disks.user_volume
    facts[f"disks.user_volume[{name}].filesystem"] = Fact(_per_node(nodes, f"u-{name}", "filesystem"), where)
    for volume, _ in profile.disks.encrypted:
        facts[f"disks.encryption.{volume}"] = Fact(_per_node(nodes, volume, "encryption_provider"), where)


def _per_node(nodes: Sequence[NodeDiskFacts], volume_id: str, attr: str) -> str:
    """One value when every node agrees, else each node's."""
    seen = {f.node: (str(getattr(v, attr)) or "none") if (v := f.volume(volume_id)) is not None else "absent"
            for f in nodes}
    values = set(seen.values())
    return values.pop() if len(values) == 1 else "; ".join(f"{n}: {v}" for n, v in sorted(seen.items()))
