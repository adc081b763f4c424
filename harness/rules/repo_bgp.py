"""What the repo's Cilium BGP objects decide, judged with Cilium's rules, and what leaves the LB ranges.

    for check in CHECKS: drifts += check(profile, repo)

BGPv2 (the chain operator/pkg/bgpv2/cluster.go and pkg/bgpv1/manager/reconcilerv2 follow, the same one
the lab's stand-in implements, lab/cilium/bgp_v2.py): a ``CiliumBGPClusterConfig`` applies its
``bgpInstances`` to the nodes its ``nodeSelector`` matches (none: every node); a peer's
``peerConfigRef`` names a ``CiliumBGPPeerConfig`` (none: the default config, "no advertisements";
a missing one: the peer is skipped, condition ``cilium.io/MissingPeerConfigs``); each of its
``families`` (none: ipv4 and ipv6 unicast *without* advertisements, SetDefaults) selects
``CiliumBGPAdvertisement`` objects by label through ``advertisements`` (none: nothing is
advertised); a ``Service`` advertisement needs ``service.addresses`` and a ``selector`` ("no selector
or no service options, default behavior is not to match any service", reconcilerv2/service.go).

BGPv1: one ``CiliumBGPPeeringPolicy`` per node (two selecting a node: Cilium applies none,
pkg/bgpv1/agent/controller.go ``PolicySelection`` ``ErrMultiplePolicies``); virtual routers are keyed by
local ASN and a repeated one fails the whole policy ("encountered duplicate local ASNs",
pkg/bgpv1/manager/workdiff.go ``registerOrReconcileDiff``), so nothing of it is applied.

Node selectors are evaluated against the labels the repo gives each profiled node (talos.py
``labels_of``: hostname, os, control-plane role, talconfig and patch ``nodeLabels``); a label the repo
does not set is absent.

Nothing outside the LB ranges: what Cilium exports beyond LoadBalancer addresses (v1 ``exportPodCIDR``,
``serviceAdvertisements`` ClusterIP/ExternalIP; v2 ``PodCIDR``/``CiliumPodIPPool`` advertisements or a
Service advertisement of ClusterIP/ExternalIP, when a peer's family selects it) and what the router's
inbound policy accepts from the nodes beyond the LB ranges (probed with the pod, service and
management networks, a default route, and the addresses either side of each LB range, by FRR's rules,
frr.py) are findings of ``bgp.outside_lb_ranges.<family>``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.core.errors import ConfigError
from harness.core.netaddr import FAMILIES, AddressBlock, Family, IPNetwork
from harness.core.selectors import labels_selecting, matches
from harness.model.profile import Profile
from harness.repo.state import RepoState
from harness.repo.types import RenderedObject
from harness.rules.bgp import session_address
from harness.rules.findings import Drift
from harness.rules.requirements import Requirement as R

Check = Callable[[Profile, RepoState], list[Drift]]
OUTSIDE = "bgp.outside_lb_ranges"
SERVICE_OUTSIDE = ("ClusterIP", "ExternalIP")


def _name(obj: RenderedObject) -> str:
    return obj.name


def _selector_text(selector: Any) -> str:
    if selector is None:
        return "no selector (selects nothing)"
    if not selector:
        return "{} (selects everything)"
    parts = [f"{k}={v}" for k, v in (selector.get("matchLabels") or {}).items()]
    parts += [f"{e.get('key')} {e.get('operator')} ({','.join(map(str, e.get('values') or []))})"
              for e in selector.get("matchExpressions") or []]
    return ", ".join(parts)


def _node_labels(profile: Profile, repo: RepoState) -> dict[str, dict[str, str]]:
    out = {}
    for node in profile.nodes:
        known = repo.talos.labels_of(node.name) if repo.talos is not None else None
        out[node.name] = known if known is not None else {"kubernetes.io/hostname": node.name,
                                                          "kubernetes.io/os": "linux"}
    return out


def _unselected(selector: Any, labels: dict[str, dict[str, str]]) -> list[str]:
    """Profiled nodes a node selector leaves out (a nil selector selects every node)."""
    if selector is None:
        return []
    return [name for name, have in labels.items() if not matches(selector, have)]


def _advertised_families(profile: Profile) -> list[Family]:
    return [f for f in FAMILIES if any(f in p.families for p in profile.pools if p.advertised)]


# -- BGPv2 --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Family:
    afi: str
    advertisements: dict[str, Any] | None        # None: selects no advertisement


def _peer_families(obj: RenderedObject | None) -> tuple[_Family, ...]:
    if obj is None:
        return tuple(_Family(f, None) for f in FAMILIES)
    raw = (obj.obj.get("spec") or {}).get("families") or []
    if not raw:
        return tuple(_Family(f, None) for f in FAMILIES)
    return tuple(_Family(str(f.get("afi")), f.get("advertisements") if isinstance(f.get("advertisements"), dict)
                         else None) for f in raw if isinstance(f, dict) and f.get("safi", "unicast") == "unicast")


def _adverts_selected(repo: RepoState, selector: dict[str, Any] | None) -> list[RenderedObject]:
    if selector is None:
        return []
    return [a for a in repo.of_kind("CiliumBGPAdvertisement", "cilium.io")
            if matches(selector, (a.obj.get("metadata") or {}).get("labels") or {})]


def _items(advert: RenderedObject) -> list[dict[str, Any]]:
    return [i for i in (advert.obj.get("spec") or {}).get("advertisements") or [] if isinstance(i, dict)]


def bgp_v2(profile: Profile, repo: RepoState) -> list[Drift]:
    found: list[Drift] = []
    labels = _node_labels(profile, repo)
    routers = {f: str(a) for f, a in profile.bgp.router.addresses.values}
    peer_configs = {_name(o): o for o in repo.of_kind("CiliumBGPPeerConfig", "cilium.io")}
    families = _advertised_families(profile)
    for config in repo.of_kind("CiliumBGPClusterConfig", "cilium.io"):
        spec, where, name = config.obj.get("spec") or {}, str(config.origin), _name(config)
        left = _unselected(spec.get("nodeSelector"), labels)
        if left:
            found.append(Drift(R.BGP, f"bgp[{name}].nodeSelector", "selects every node",
                               f"{_selector_text(spec.get('nodeSelector'))}: not {', '.join(left)} (by the labels "
                               "the repo gives them)", where, f"CiliumBGPClusterConfig {name}"))
        peers = [p for i in spec.get("bgpInstances") or [] for p in (i or {}).get("peers") or [] if isinstance(p, dict)]
        for peer in peers:
            found += _v2_peer(profile, repo, name, where, peer, routers, peer_configs, families)
        addresses = {str(p.get("peerAddress") or "").split("/")[0] for p in peers}
        for family in families:
            carrier = routers.get(profile.bgp.session_family(family))
            if carrier is not None and carrier not in addresses:
                found.append(Drift(R.BGP, f"bgp[{name}].peers ({family})", f"a peer at {carrier} (the router's "
                                   f"{profile.bgp.session_family(family)} session carries {family}, bgp.sessions: "
                                   f"{profile.bgp.sessions})", ", ".join(sorted(addresses)) or "no peers", where,
                                   f"CiliumBGPClusterConfig {name} {family} peer"))
    return found


def _v2_peer(profile: Profile, repo: RepoState, config: str, where: str, peer: dict[str, Any],
             routers: dict[Family, str], peer_configs: dict[str, RenderedObject],
             families: list[Family]) -> list[Drift]:
    address = str(peer.get("peerAddress") or "").split("/")[0]
    carried = [f for f in families if routers.get(profile.bgp.session_family(f)) == address]
    if not carried:
        return []
    field = f"bgp[{config}].peers[{peer.get('name')}]"
    ref = str((peer.get("peerConfigRef") or {}).get("name") or "")
    if ref and ref not in peer_configs:
        return [Drift(R.BGP, f"{field}.peerConfigRef", "a CiliumBGPPeerConfig the repo applies",
                      f"{ref}: no such CiliumBGPPeerConfig (Cilium skips the peer)", where, f"{field} {ref}")]
    obj = peer_configs.get(ref)
    owner = f"CiliumBGPPeerConfig {ref}" if obj is not None else "the default peer config (no peerConfigRef)"
    owner_where = str(obj.origin) if obj is not None else where
    found = []
    declared = {f.afi: f for f in _peer_families(obj)}
    for family in carried:
        fam = declared.get(family)
        if fam is None or fam.advertisements is None:
            have = "no such family" if fam is None else "the family without an advertisements selector (selects none)"
            if obj is not None and not (obj.obj.get("spec") or {}).get("families"):
                have = "no families: ipv4 and ipv6 unicast without advertisements (Cilium's default)"
            found.append(Drift(R.BGP, f"bgp[{ref or config}].families[{family}]", f"{family}/unicast selecting the "
                               "advertisements of the LB pools' services", f"{owner}: {have}", owner_where,
                               f"{owner} {family}"))
            continue
        adverts = _adverts_selected(repo, fam.advertisements)
        for pool in (p for p in profile.pools if p.advertised and family in p.families):
            want = labels_selecting(pool.selector)
            if not any(_announces_lb(item, want) for a in adverts for item in _items(a)):
                names = ", ".join(f"{_name(a)} ({a.origin.file})" for a in adverts) or "none"
                found.append(Drift(R.BGP, f"bgp[{ref or config}].families[{family}].advertisements",
                                   f"a Service advertisement of LoadBalancerIP selecting pool {pool.name}'s services",
                                   f"{owner} selects {_selector_text(fam.advertisements)}: advertisements {names}; "
                                   f"none announces services labelled {want}", owner_where,
                                   f"{owner} {family} pool {pool.name}"))
    return found


def _announces_lb(item: dict[str, Any], labels: dict[str, str]) -> bool:
    service = item.get("service")
    return (item.get("advertisementType") == "Service" and isinstance(service, dict)
            and "LoadBalancerIP" in (service.get("addresses") or []) and isinstance(item.get("selector"), dict)
            and matches(item["selector"], labels))


# -- BGPv1 ----------------------------------------------------------------------------------------
def bgp_v1_rules(profile: Profile, repo: RepoState) -> list[Drift]:
    found: list[Drift] = []
    labels = _node_labels(profile, repo)
    policies = repo.of_kind("CiliumBGPPeeringPolicy", "cilium.io")
    for policy in policies:
        spec, where, name = policy.obj.get("spec") or {}, str(policy.origin), _name(policy)
        asns: dict[Any, list[int]] = {}
        for index, router in enumerate(spec.get("virtualRouters") or []):
            asns.setdefault((router or {}).get("localASN"), []).append(index)
        for asn, indexes in asns.items():
            if len(indexes) > 1:
                found.append(Drift(R.BGP, f"bgp[{name}].virtualRouters (localASN)", "one virtual router per local ASN",
                                   f"localASN {asn} in virtualRouters {', '.join(map(str, indexes))}: Cilium rejects "
                                   "the whole policy (\"encountered duplicate local ASNs\"), nothing of it is applied",
                                   where, f"CiliumBGPPeeringPolicy {name} localASN {asn}"))
        left = _unselected(spec.get("nodeSelector"), labels)
        if left:
            found.append(Drift(R.BGP, f"bgp[{name}].nodeSelector", "selects every node",
                               f"{_selector_text(spec.get('nodeSelector'))}: not {', '.join(left)} (by the labels "
                               "the repo gives them)", where, f"CiliumBGPPeeringPolicy {name}"))
    for node, have in labels.items():
        selecting = [p for p in policies if matches((p.obj.get("spec") or {}).get("nodeSelector"), have)]
        if len(selecting) > 1:
            files = ", ".join(sorted({p.origin.file for p in selecting}))
            found.append(Drift(R.BGP, "bgp[CiliumBGPPeeringPolicy].nodeSelector", "one CiliumBGPPeeringPolicy per node",
                               f"{node} is selected by {', '.join(_name(p) for p in selecting)}: Cilium applies none "
                               "of them there (ErrMultiplePolicies)", files, f"node {node}"))
    return found


# -- nothing outside the LB ranges -------------------------------------------------------------------
def _lb(profile: Profile, family: Family) -> IPNetwork | None:
    return profile.networks.load_balancer.get(family)


def outside(profile: Profile, repo: RepoState) -> list[Drift]:
    found: list[Drift] = []
    for family in FAMILIES:
        if _lb(profile, family) is None:
            continue
        found += _exported_outside(profile, repo, family)
        if repo.router is not None:
            found += _accepted_outside(profile, repo, family)
    return found


def _pod_networks(repo: RepoState, profile: Profile, family: Family) -> str:
    values = repo.cilium_values()
    nets = values.value.pod_cidrs(family) if values is not None else ()
    want = profile.networks.pods.get(family)
    return ", ".join(str(n) for n in nets) or (str(want) if want is not None else "the pod network")


def _exported_outside(profile: Profile, repo: RepoState, family: Family) -> list[Drift]:
    found = []
    field = f"{OUTSIDE}.{family}"
    want = f"only LoadBalancer addresses within {_lb(profile, family)}"
    for policy in repo.of_kind("CiliumBGPPeeringPolicy", "cilium.io"):
        for index, router in enumerate((policy.obj.get("spec") or {}).get("virtualRouters") or []):
            router = router or {}
            subject = f"CiliumBGPPeeringPolicy {_name(policy)} virtualRouters[{index}]"
            if router.get("exportPodCIDR") is True:
                found.append(Drift(R.outside(family),
                                   field, want, f"{subject} exportPodCIDR: true announces each node's pod CIDR "
                                   f"({_pod_networks(repo, profile, family)})", str(policy.origin),
                                   f"{subject} exportPodCIDR"))
            extra = [a for a in router.get("serviceAdvertisements") or () if a in SERVICE_OUTSIDE]
            if extra:
                found.append(Drift(R.outside(family),
                                   field, want, f"{subject} serviceAdvertisements {extra} announces service "
                                   "addresses outside the LB ranges", str(policy.origin), f"{subject} services"))
    selectors = [f.advertisements for cfg in repo.of_kind("CiliumBGPPeerConfig", "cilium.io")
                 for f in _peer_families(cfg) if f.afi == family and f.advertisements is not None]
    seen: set[str] = set()
    for selector in selectors:
        for advert in _adverts_selected(repo, selector):
            for item in _items(advert):
                kind = str(item.get("advertisementType", ""))
                raw = item.get("service")
                service: dict[str, Any] = raw if isinstance(raw, dict) else {}
                extra = [a for a in service.get("addresses") or () if a in SERVICE_OUTSIDE] if kind == "Service" else []
                what = {"PodCIDR": f"each node's pod CIDR ({_pod_networks(repo, profile, family)})",
                        "CiliumPodIPPool": "pod IP pool prefixes"}.get(kind) or \
                    (f"service addresses {extra}" if extra else "")
                subject = f"CiliumBGPAdvertisement {_name(advert)} {kind}"
                if what and subject not in seen:
                    seen.add(subject)
                    found.append(Drift(R.outside(family),
                                       field, want, f"CiliumBGPAdvertisement {_name(advert)} ({kind}) announces "
                                       f"{what}", str(advert.origin), subject))
    return found


def _probes(profile: Profile, family: Family) -> list[tuple[str, IPNetwork]]:
    width = 32 if family == "ipv4" else 128
    probes: list[tuple[str, IPNetwork]] = []
    for label, net in (("the pod network", profile.networks.pods.get(family)),
                       ("the service network", profile.networks.services.get(family)),
                       ("the management network", profile.networks.management.get(family))):
        if net is not None:
            probes.append((label, net))
            mask = profile.networks.pod_mask_sizes.get(family) if label == "the pod network" else None
            if mask is not None and mask > net.prefixlen:
                probes.append((f"a node's pod CIDR (/{mask})", ipaddress.ip_network((net.network_address, mask))))
    probes.append(("a default route", ipaddress.ip_network("0.0.0.0/0" if family == "ipv4" else "::/0")))
    lb = _lb(profile, family)
    blocks = [b for p in profile.pools if p.advertised for b in p.blocks if b.family == family]
    edges = {int(lb.network_address) - 1, int(lb.broadcast_address) + 1} if lb is not None else set()
    for block in blocks:
        edges |= {int(block.first) - 1, int(block.last) + 1}
    for value in sorted(edges):
        if 0 <= value < 2 ** width:
            net = ipaddress.ip_network((value, width))
            if not any(_inside(net, b) for b in blocks) and not (lb is not None and net.subnet_of(lb)):  # type: ignore[arg-type]
                probes.append((f"{net.network_address}, next to an LB range", net))
    return probes


def _inside(net: IPNetwork, block: AddressBlock) -> bool:
    return int(block.first) <= int(net.network_address) <= int(block.last)


def _accepted_outside(profile: Profile, repo: RepoState, family: Family) -> list[Drift]:
    conf = repo.router
    assert conf is not None, "checked by the caller"
    found = []
    for label, probe in _probes(profile, family):
        accepting = []
        for node in profile.nodes:
            try:
                address = session_address(profile, node, family)
            except ConfigError:       # the profile has no session address for it: nothing to probe
                continue
            if address in conf.peer_addresses and conf.accepts_from(address, probe):
                accepting.append(f"{node.name} ({conf.explain(address, probe)[1]})")
        if accepting:
            found.append(Drift(R.outside(family),
                               f"{OUTSIDE}.{family}", "nothing outside the LB ranges accepted from the nodes",
                               f"{probe} ({label}) accepted from {', '.join(accepting)}", conf.source,
                               f"{conf.source} accepts {label}"))
    return found


CHECKS: tuple[Check, ...] = (bgp_v2, bgp_v1_rules, outside)
