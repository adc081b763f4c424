"""Drift checks for addressing and routing: LB pools, pod/service networks, kube-proxy, BGP, the router,
and the Cilium release the repo installs.

    for check in CHECKS: drifts += check(profile, repo)

Pool comparison reuses harness.rules.lb (the live checks' rules); selector logic is harness.core.selectors.
What the repo's Cilium objects do depends on the release its HelmRelease installs
(harness/model/cilium_versions.py): from 1.19 a CiliumBGPPeeringPolicy is ignored, before 1.16 the BGPv2
kinds are, and an object written in a version the release does not serve is never applied.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable

from harness.core.errors import ConfigError, UnknownCiliumVersion
from harness.core.netaddr import AddressBlock, Family, IPNetwork, family_of
from harness.core.selectors import describe, labels_selecting, matches, normalise
from harness.model.cilium_versions import (
    KINDS,
    PEERING_POLICY,
    CiliumVersion,
    api_versions,
    bgp_v2_missing,
    peering_policy_ignored,
)
from harness.model.facts import session_addresses
from harness.model.profile import ByFamily, Profile
from harness.repo.cilium import InstalledCilium
from harness.repo.frr import RouterConfig
from harness.repo.state import RepoState
from harness.repo.talos import Declared
from harness.rules.bgp import session_address
from harness.rules.findings import Drift
from harness.rules.lb import overlaps
from harness.rules.requirements import Requirement as R

Check = Callable[[Profile, RepoState], list[Drift]]


def _nets(values: Iterable[IPNetwork]) -> str:
    return ", ".join(str(v) for v in values) or "none"


def _spans(blocks: Iterable[AddressBlock]) -> list[tuple[int, int]]:
    return sorted((int(b.first), int(b.last)) for b in blocks)


def pools(profile: Profile, repo: RepoState) -> list[Drift]:
    seen = {p.value.name: p for p in repo.lb_pools()}
    files = ", ".join(sorted({str(p.origin) for p in seen.values()})) or "no applied CiliumLoadBalancerIPPool"
    found = []
    for want in profile.pools:
        have = seen.get(want.name)
        if have is None:
            found.append(Drift(R.POOLS, f"lb_pools[{want.name}]", want.describe_blocks(), "absent", files))
            continue
        if _spans(want.blocks) != _spans(have.value.blocks):
            found.append(Drift(R.POOLS, f"lb_pools[{want.name}].blocks", want.describe_blocks(),
                               have.value.describe_blocks(), str(have.origin)))
        if normalise(want.selector) != normalise(have.value.selector):
            found.append(Drift(R.POOLS, f"lb_pools[{want.name}].service_selector", describe(want.selector),
                               describe(have.value.selector), str(have.origin)))
        if have.value.disabled:
            found.append(Drift(R.POOLS, f"lb_pools[{want.name}].disabled", "false", "true", str(have.origin)))
    found += [Drift(R.OVERLAP, "lb_pools (overlap)", "pools do not overlap", text, files)
              for text in overlaps([p.value for p in seen.values()], "the repo")]
    return found


def lb_networks(profile: Profile, repo: RepoState) -> list[Drift]:
    found = []
    for pool in repo.lb_pools():
        for block in pool.value.blocks:
            net = profile.networks.load_balancer.get(block.family)
            if net is not None and not block.within(net):
                found.append(Drift(R.POOLS, f"networks.load_balancer.{block.family}", f"{pool.value.name} within {net}",
                                   str(block), str(pool.origin)))
    for family in profile.networks.load_balancer.families:
        if not any(b.family == family for p in repo.lb_pools() for b in p.value.blocks):
            found.append(Drift(R.POOLS,
                               f"networks.load_balancer.{family}", str(profile.networks.load_balancer.get(family)),
                               f"no {family} LoadBalancer pool", "CiliumLoadBalancerIPPools of the repo"))
    return found


def _declared_networks(requirement: Callable[[Family], R], field: str, want: ByFamily[IPNetwork],
                       decls: tuple[Declared[tuple[IPNetwork, ...]], ...], file: str) -> list[Drift]:
    """Per family: the talconfig's networks of that family against the profile's (one finding per family,
    so a changed IPv4 pod network fails the IPv4 scenario only)."""
    found = []
    for family, expected in want.values:
        req = requirement(family)
        if not decls:
            found.append(Drift(req, f"{field}.{family}", str(expected), "not declared", file))
            continue
        for d in decls:
            have = [n for n in d.value if family_of(n) == family]
            if [str(n) for n in have] != [str(expected)]:
                found.append(Drift(req, f"{field}.{family}", str(expected), _nets(have),
                                   d.source + ("" if d.applied else " (not referenced by talconfig.yaml)"),
                                   applied=d.applied))
    return found


def networks(profile: Profile, repo: RepoState) -> list[Drift]:
    """The talconfig's pod and service networks (no talconfig: the scenarios skip, saying so)."""
    talos = repo.talos
    if talos is None:
        return []
    return (_declared_networks(R.pods, "networks.pods", profile.networks.pods, talos.pod_subnets, "talconfig.yaml")
            + _declared_networks(lambda _: R.SERVICE_NETWORKS, "networks.services", profile.networks.services,
                                 talos.service_subnets, "talconfig.yaml"))


def cilium(profile: Profile, repo: RepoState) -> list[Drift]:
    """Every source of Cilium's values (RepoState.cilium_sources) against the profile; none: [] (the
    scenarios that need Cilium's values skip, saying so)."""
    found = []
    for source in repo.cilium_sources():
        if source.values is None:
            continue
        intent, where, subject = source.values, source.where, source.where
        for family, want in profile.networks.pods.values:
            have = intent.pod_cidrs(family)
            if [str(want)] != [str(h) for h in have]:
                found.append(Drift(R.pods(family),
                                   f"networks.pods.{family} (Cilium cluster-pool)", str(want), _nets(have), where,
                                   subject))
            if not intent.family_enabled(family):
                found.append(Drift(R.pods(family),
                                   f"cilium {family}.enabled", "true (dual-stack)", "false", where, subject))
            mask = profile.networks.pod_mask_sizes.get(family)
            if mask is not None and mask != intent.mask_size(family):
                found.append(Drift(R.pods(family),
                                   f"networks.pod_mask_sizes.{family}", str(mask), str(intent.mask_size(family)),
                                   where, subject))
            capacity = intent.node_capacity(family)
            if capacity < len(profile.nodes):
                found.append(Drift(R.pods(family),
                                   f"cilium {family} pod CIDR capacity", f">= {len(profile.nodes)} nodes",
                                   f"{capacity} node(s): {_nets(have)} cut into /{intent.mask_size(family)}", where,
                                   subject))
        if not intent.bgp_control_plane:
            found.append(Drift(R.BGP, "cilium bgpControlPlane.enabled", "true", "false", where, subject))
    return found


def kube_proxy(profile: Profile, repo: RepoState) -> list[Drift]:
    want = profile.kube_proxy_replaced
    found = []
    decls = repo.talos.proxy_disabled if repo.talos else ()
    talos_off = any(d.applied and d.value for d in decls)
    for source in repo.cilium_sources():
        values = source.values
        if values is not None and values.replaces_kube_proxy != want:
            note = " while Talos disables kube-proxy: nothing serves ClusterIPs" if talos_off and not \
                values.replaces_kube_proxy else ""
            found.append(Drift(R.KUBE_PROXY, "cluster.kube_proxy (Cilium kubeProxyReplacement)", str(want).lower(),
                               values.kube_proxy_replacement + note, source.where, source.where))
    if want and not talos_off and repo.talos is not None:
        found.append(Drift(R.KUBE_PROXY, "cluster.kube_proxy (Talos cluster.proxy.disabled)", "true", "false or absent",
                           "talconfig.yaml and the patches it references"))
    found += [Drift(R.KUBE_PROXY,
                    "cluster.kube_proxy (Talos cluster.proxy.disabled)", str(want).lower(), str(d.value).lower(),
                    d.source, applied=d.applied) for d in decls if d.value != want]
    return found


def installed_cilium(repo: RepoState) -> InstalledCilium | None:
    """The release the repo installs: the chart version of its applied cilium HelmRelease, else of the
    Taskfile's bootstrap ``helm install`` of the cilium chart (None: the repo has neither)."""
    releases = repo.releases_of_chart("cilium")
    if releases:
        return InstalledCilium.of(releases[0].version, str(releases[0].origin))
    installs = repo.bootstrap_installs
    return InstalledCilium.of(installs[0].version, installs[0].where) if installs else None


def cilium_release(profile: Profile, repo: RepoState) -> list[Drift]:
    """The release the repo installs against the profile's, and
    a Taskfile bootstrap install of another release than the HelmRelease Flux then keeps."""
    installed = installed_cilium(repo)
    if installed is None:
        return []
    want, found = str(profile.cilium.version), []
    if installed.version != profile.cilium.version:
        found.append(Drift(R.CILIUM_RELEASE, "cilium.version", want, installed.describe(), installed.where))
    if repo.releases_of_chart("cilium"):
        for install in repo.bootstrap_installs:
            pinned = InstalledCilium.of(install.version, install.where)
            if pinned.version != installed.version:
                found.append(Drift(R.CILIUM_RELEASE, "cilium.version (bootstrap helm install)", want,
                                   f"{pinned.describe()} (while {installed.where} installs {installed.describe()})",
                                   install.where))
    return found


def _nothing_installs(repo: RepoState) -> str:
    unapplied = [f"{r.origin.file} pins chart {r.version or '(no version)'} but no Flux Kustomization applies it"
                 for r in repo.unapplied_releases() if r.chart == "cilium"]
    known = f"; {'; '.join(unapplied)}" if unapplied else ""
    return ("that no known Cilium release can be said to act on: nothing in the repo installs Cilium (no applied "
            f"HelmRelease of chart cilium, no bootstrap helm install){known}")


def _release_rule(repo: RepoState, installed: InstalledCilium | None,
                  ignores: Callable[[CiliumVersion], str | None]) -> str | None:
    """Why the installed release ignores the objects (``ignores`` names its reason, None: it acts on them);
    a release the harness cannot judge, or none at all, is a verdict too (never pass without evidence)."""
    if installed is None:
        return _nothing_installs(repo)
    if installed.version is None:
        return (f"that no known Cilium release can be said to act on: {installed.describe()} ({installed.where}) "
                f"names no single Cilium release")
    try:
        reason = ignores(installed.version)
    except UnknownCiliumVersion as exc:
        return f"that no known Cilium release can be said to act on: {exc} ({installed.where})"
    return None if reason is None else f"that Cilium ignores: {reason}; {installed.describe()} per {installed.where}"


def api_versions_served(profile: Profile, repo: RepoState) -> list[Drift]:
    """Cilium objects written in a version the installed release does not serve are never applied
    (Flux's dry run fails: no such kind in that version)."""
    installed = installed_cilium(repo)
    if installed is None or installed.version is None:
        return []
    try:
        installed.version.check_known()
    except UnknownCiliumVersion:
        return []
    found = []
    for kind in KINDS:
        served = api_versions(installed.version, kind)
        if not served:
            continue  # a kind the release lacks: the BGP rules below say what that means
        for obj in repo.of_kind(kind, "cilium.io"):
            if obj.api_version not in served:
                name = str((obj.obj.get("metadata") or {}).get("name", ""))
                req, field = (R.POOLS, f"lb_pools[{name}].apiVersion") if kind == "CiliumLoadBalancerIPPool" \
                    else (R.BGP, f"bgp[{name}] ({kind}).apiVersion")
                found.append(Drift(req, field, f"one {installed.describe()} serves: {', '.join(served)}",
                                   f"{obj.api_version} ({installed.describe()} per {installed.where})",
                                   str(obj.origin)))
    return found


def bgp(profile: Profile, repo: RepoState) -> list[Drift]:
    policies, instances = repo.bgp_policies(), repo.bgp_instances()
    if not policies and not instances:
        return [Drift(R.BGP, "bgp", "a CiliumBGPPeeringPolicy or CiliumBGPClusterConfig", "absent", "repo")]
    found: list[Drift] = []
    routers = {str(ip) for _, ip in profile.bgp.router.addresses.values}
    advertised = [p for p in profile.pools if p.advertised]
    installed = installed_cilium(repo)
    v1_ignored = _release_rule(repo, installed, peering_policy_ignored) if policies else None
    v2_ignored = _release_rule(repo, installed, bgp_v2_missing) if instances else None
    for policy in policies:
        if v1_ignored is not None:
            found.append(Drift(R.BGP, f"bgp[{policy.value.name}] ({PEERING_POLICY})",
                               "BGP objects the installed Cilium acts on",
                               f"a {PEERING_POLICY} {v1_ignored}", str(policy.origin)))
            continue
        for index, vr in enumerate(policy.value.virtual_routers):
            field, where = f"bgp[{policy.value.name}].virtualRouters[{index}]", str(policy.origin)
            if vr.local_asn != profile.bgp.cluster_asn:
                found.append(Drift(R.BGP, f"{field}.localASN", str(profile.bgp.cluster_asn), str(vr.local_asn), where))
            peers = [n for n in vr.neighbors if n.address in routers]
            for family in profile.networks.load_balancer.families:
                carrier = profile.bgp.session_family(family)
                router_at = profile.bgp.router.addresses.get(carrier)
                if router_at is not None and not any(n.address == str(router_at) for n in vr.neighbors):
                    found.append(Drift(R.BGP, f"{field}.neighbors ({family})",
                                       f"a peer at {router_at} (the router's {carrier} session carries {family}, "
                                       f"bgp.sessions: {profile.bgp.sessions})",
                                       ", ".join(n.peer_address for n in vr.neighbors) or "none", where))
            found += [Drift(R.BGP, f"{field}.neighbors[{n.peer_address}].peerASN", str(profile.bgp.router.asn),
                            str(n.peer_asn), where) for n in peers if n.peer_asn != profile.bgp.router.asn]
            if "LoadBalancerIP" not in vr.service_advertisements:
                found.append(Drift(R.BGP, f"{field}.serviceAdvertisements", "includes LoadBalancerIP",
                                   f"[{', '.join(vr.service_advertisements)}]", where))
            found += [Drift(R.BGP,
                            f"{field}.serviceSelector", f"selects services of pool {p.name} ({describe(p.selector)})",
                            describe(vr.service_selector) if vr.service_selector is not None
                            else "absent (no service is announced)", where)
                      for p in advertised if vr.service_selector is None
                      or not matches(vr.service_selector, labels_selecting(p.selector))]
    for config in dict.fromkeys(i.value.config for i in instances) if v2_ignored is not None else ():
        origin = next(str(i.origin) for i in instances if i.value.config == config)
        found.append(Drift(R.BGP, f"bgp[{config}] (CiliumBGPClusterConfig)", "BGP objects the installed Cilium acts on",
                           f"a CiliumBGPClusterConfig {v2_ignored}", origin))
    for inst in instances:
        if inst.value.local_asn != profile.bgp.cluster_asn:
            found.append(Drift(R.BGP,
                               f"bgp[{inst.value.config}/{inst.value.name}].localASN", str(profile.bgp.cluster_asn),
                               str(inst.value.local_asn), str(inst.origin)))
    return found


def router(profile: Profile, repo: RepoState) -> list[Drift]:
    conf = repo.router
    if conf is None:
        return []        # no router config: its scenarios skip, saying why (RepoState.router_absent)
    found = [Drift(R.BGP, "bgp.router (config line)", "accepted by FRR", line.split(": ", 1)[1], line.split(": ", 1)[0])
             for line in conf.rejected_lines]
    if conf.asn != profile.bgp.router.asn:
        found.append(Drift(R.BGP, "bgp.router.asn", str(profile.bgp.router.asn), str(conf.asn), conf.source))
    for node in profile.nodes:
        for family in profile.networks.load_balancer.families:
            try:
                peer = session_address(profile, node, family)
            except ConfigError:
                continue             # the profile gives the node no address to carry this family
            carrier = profile.bgp.session_family(family)
            what = f"{node.name}'s {carrier} session carries {family} (bgp.sessions: {profile.bgp.sessions})"
            if peer not in conf.peer_addresses:
                found.append(Drift(R.BGP,
                                   f"bgp.router.neighbors[{node.name}] ({family})", f"a neighbor at {peer}: {what}",
                                   "not a neighbor", conf.source, f"{conf.source}: neighbor {peer}"))
            elif not conf.is_active(peer, family):
                found.append(Drift(R.BGP,
                                   f"bgp.router.neighbors[{peer}] ({family})", f"{family} unicast activated: {what}",
                                   f"{family} unicast not activated", conf.source, f"{conf.source}: neighbor {peer}"))
            elif conf.remote_as(peer) != profile.bgp.cluster_asn:
                found.append(Drift(R.BGP, f"bgp.router.neighbors[{peer}].remote-as", str(profile.bgp.cluster_asn),
                                   str(conf.remote_as(peer)), conf.source))
    ranges = [(f"bgp.router.accepted_prefixes.{f}", AddressBlock.parse_cidr(str(n)))
              for f, n in profile.bgp.router.accepted.values]
    ranges += [(f"lb_pools[{p.name}] accepted by the router", b) for p in profile.pools if p.advertised
               for b in p.blocks]
    for field, block in ranges:
        sessions = [a for a in session_addresses(profile, block.family) if a in conf.peer_addresses]
        if not sessions:
            continue                 # no session carries the family: a finding of the neighbors above
        problems = conf.accepted_range_problems([block], sessions)
        if problems:
            more = f" (and {len(problems) - 1} more neighbor(s))" if len(problems) > 1 else ""
            found.append(Drift(R.BGP, field, f"{block} accepted from every neighbor",
                               problems[0].split(": ", 1)[1] + more + _declared_prefixes(conf, block),
                               conf.source))
    return found


def _declared_prefixes(conf: RouterConfig, block: AddressBlock) -> str:
    lists = [f"{pl.name}: {', '.join(str(e) for e in pl.entries)}" for (fam, _), pl in conf.prefix_lists.items()
             if fam == block.family]
    text = f"; {block.family} prefix-lists: {'; '.join(lists)}" if lists else f"; no {block.family} prefix-list"
    inbound = {conf.inbound_route_map(peer, block.family) for peer in conf.peer_addresses}
    referenced = {p for m in inbound if m for e in conf.route_maps.get(m, ()) for f, p in e.prefix_lists
                  if f == block.family}
    for (fam, name), meant in conf.misfiled.items():
        if fam == block.family and name in referenced:
            covered = all(meant.permits(ipaddress.ip_network((a, 128 if fam == "ipv6" else 32)))
                          for a in (block.first, block.last))
            text += (f"; {name} as written ({', '.join(str(e) for e in meant.entries)}) "
                     f"{'would cover' if covered else 'would not cover'} {block} even as an {fam} prefix-list")
    return text


CHECKS: tuple[Check, ...] = (pools, lb_networks, networks, cilium, cilium_release, api_versions_served, kube_proxy,
                             bgp, router)
