"""The repo's facts: what a GitOps checkout declares, field by field, with the file that declares it.

    facts = repo_facts(profile, RepoState.open(Path("talos-gitops")))
    facts.facts["lb_pools[bgp-default].blocks"]   # Fact("172.29.52.100-172.29.52.199", "infrastructure/...")

Only what Flux (or talhelper) applies counts, as for the gate; a field the checkout does not state is
left out with the reason (no talconfig.yaml, no source of Cilium's values, no router file).
"""

from __future__ import annotations

from harness.core.netaddr import FAMILIES
from harness.model.facts import (
    Fact,
    SourceFacts,
    blocks_text,
    family_list,
    fill_unread,
    flag,
    joined,
    selector_text,
    session_addresses,
)
from harness.model.profile import Profile
from harness.repo import RepoState
from harness.repo.frr import RouterConfig
from harness.rules.repo_architecture import scheduling_declarations
from harness.rules.repo_network import installed_cilium

TALOS_FILES = "talconfig.yaml and the patches it references"


def repo_facts(profile: Profile, repo: RepoState) -> SourceFacts:
    facts: dict[str, Fact] = {}
    unread: dict[str, str] = {}
    _pools(profile, repo, facts)
    _ingress(profile, repo, facts, unread)
    _bgp(repo, facts)
    _router(profile, repo.router, facts, unread, repo.router_absent)
    _cilium(profile, repo, facts, unread)
    _talos(profile, repo, facts, unread)
    _identity(profile, repo, facts)
    fill_unread("repo", facts, unread, profile, "the repo does not state it")
    return SourceFacts("repo", str(repo.root), facts, unread)


def _pools(profile: Profile, repo: RepoState, facts: dict[str, Fact]) -> None:
    for pool in repo.lb_pools():
        name, where = pool.value.name, str(pool.origin)
        facts[f"lb_pools[{name}].blocks"] = Fact(blocks_text(pool.value.blocks), where)
        facts[f"lb_pools[{name}].service_selector"] = Fact(selector_text(pool.value.selector), where)
    files = joined(str(p.origin) for p in repo.lb_pools())
    for want in profile.pools:
        if f"lb_pools[{want.name}].blocks" not in facts:
            facts[f"lb_pools[{want.name}].blocks"] = Fact("absent", files)
            facts[f"lb_pools[{want.name}].service_selector"] = Fact("absent", files)


def _ingress(profile: Profile, repo: RepoState, facts: dict[str, Fact], unread: dict[str, str]) -> None:
    ing = profile.ingress
    found = repo.ingress_controller_service(ing.namespace, ing.service)
    if found is None:
        where = joined(str(r.origin) for r in repo.releases_of_chart("ingress-nginx")) or "no ingress-nginx release"
        facts["ingress.ip_families"] = Fact("absent", where)
        return
    svc, where = found.value, str(found.origin)
    facts["ingress.ip_families"] = Fact(family_list(svc.ip_families), where)
    for family in ing.addresses.families:
        requested = [str(ip) for ip in svc.lb_addresses if (ip.version == 4) == (family == "ipv4")]
        if requested:
            facts[f"ingress.addresses.{family}"] = Fact(joined(requested), where)
        else:
            unread[f"ingress.addresses.{family}"] = (f"{where} requests no {family} address: Cilium picks one from "
                                                     "the pools selecting it (judged by the ingress scenario)")


def _bgp(repo: RepoState, facts: dict[str, Fact]) -> None:
    asns: set[int | None] = set()
    peer_asns: set[int | None] = set()
    wheres: set[str] = set()
    for policy in repo.bgp_policies():
        wheres.add(str(policy.origin))
        for vr in policy.value.virtual_routers:
            asns.add(vr.local_asn)
            peer_asns.update(n.peer_asn for n in vr.neighbors)
    for inst in repo.bgp_instances():
        wheres.add(str(inst.origin))
        asns.add(inst.value.local_asn)
        peer_asns.update(asn for _, asn, _ in inst.value.peers if asn is not None)
    if wheres:
        facts["bgp.cluster_asn"] = Fact(joined(asns), joined(wheres))
        facts["bgp.peer_asn"] = Fact(joined(peer_asns), joined(wheres))


def router_config_facts(profile: Profile, conf: RouterConfig, where: str) -> dict[str, Fact]:
    """The router's own facts from an FRR configuration (a repo file or the running config): the same
    function for both sources, so the FRR evaluator judges both alike."""
    facts = {"bgp.router.asn": Fact(str(conf.asn), where)}
    for family in profile.networks.load_balancer.families:
        active = [p for p in conf.peer_addresses if conf.is_active(p, family)]
        facts[f"bgp.router.neighbors.{family}"] = Fact(joined(active), where)
        sessions = [a for a in session_addresses(profile, family) if a in active]
        blocks = [b for p in profile.pools if p.advertised for b in p.blocks if b.family == family]
        if not sessions:
            facts[f"bgp.router.accepts.{family}"] = Fact(f"no session carries {family}", where)
            continue
        refused = conf.accepted_range_problems(blocks, sessions)
        facts[f"bgp.router.accepts.{family}"] = Fact(
            "accepted" if not refused else "refused: " + refused[0].split(": ", 1)[1]
            + (f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""), where)
    return facts


def _router(profile: Profile, conf: RouterConfig | None, facts: dict[str, Fact], unread: dict[str, str],
            absent: str) -> None:
    if conf is None:
        unread["bgp.router."] = f"no router configuration in the repo ({absent})" if absent else \
            "no router configuration in the repo"
        return
    facts.update(router_config_facts(profile, conf, conf.source))


def _cilium(profile: Profile, repo: RepoState, facts: dict[str, Fact], unread: dict[str, str]) -> None:
    installed = installed_cilium(repo)
    if installed is not None:
        facts["cilium.version"] = Fact(str(installed.version) if installed.version else installed.describe(),
                                       installed.where)
    sourced = repo.cilium_values()
    if sourced is None:
        why = ("no readable source of Cilium's values (an applied HelmRelease of chart cilium, or a Taskfile "
               "helm install)")
        unread.update({"cilium.kube_proxy_replacement": why, "cilium.bgp_control_plane": why,
                       "cilium.lb_acceleration": why, "networks.pods.": why, "networks.pod_mask_sizes.": why})
        return
    values, where = sourced.value, str(sourced.origin)
    facts["cilium.kube_proxy_replacement"] = Fact(flag(values.replaces_kube_proxy), where)
    facts["cilium.bgp_control_plane"] = Fact(flag(values.bgp_control_plane), where)
    facts["cilium.lb_acceleration"] = Fact(values.lb_acceleration, where)
    for family in FAMILIES:
        if values.family_enabled(family):
            facts[f"networks.pods.{family}"] = Fact(joined(values.pod_cidrs(family)), where)
            facts[f"networks.pod_mask_sizes.{family}"] = Fact(str(values.mask_size(family)), where)
        else:
            facts[f"networks.pods.{family}"] = Fact(f"{family} disabled", where)


def _talos(profile: Profile, repo: RepoState, facts: dict[str, Fact], unread: dict[str, str]) -> None:
    talos = repo.talos
    if talos is None:
        why = "the repo has no talconfig.yaml"
        unread.update({"networks.services.": why, "cluster.control_plane_schedulable": why, "disks.": why})
        return
    for decl in (d for d in talos.service_subnets if d.applied):
        for family in FAMILIES:
            nets = [n for n in decl.value if (n.version == 4) == (family == "ipv4")]
            facts[f"networks.services.{family}"] = Fact(joined(nets), decl.source)
    nodes = {n.hostname: n for n in talos.nodes}
    not_cp = [n.name for n in profile.nodes if n.name not in nodes or not nodes[n.name].control_plane]
    decls = scheduling_declarations(repo)
    allowed = any(value for value, _ in decls) and not any(not value for value, _ in decls)
    where = joined(w for _, w in decls) if decls else "talconfig.yaml"
    reasons = ([f"not control plane: {', '.join(not_cp)}"] if not_cp else []) + \
        ([] if allowed else ["allowSchedulingOnControlPlanes not true"])
    facts["cluster.control_plane_schedulable"] = Fact("true" if not reasons else f"false ({'; '.join(reasons)})",
                                                      where)
    installs = [d for d in talos.install_disk_models if d.applied]
    if installs:
        facts["disks.install_disk_model"] = Fact(joined(d.value for d in installs), joined(d.source for d in installs))
    name = profile.disks.user_volume
    volumes = [d for d in talos.user_volumes if d.applied and d.value.name == name]
    facts[f"disks.user_volume[{name}].filesystem"] = Fact(joined(d.value.filesystem for d in volumes), joined(
        d.source for d in volumes)) if volumes else Fact("absent", TALOS_FILES)
    for volume, _ in profile.disks.encrypted:
        decls_v = [d for d in talos.encryption if d.applied and d.value[0] == volume]
        facts[f"disks.encryption.{volume}"] = Fact(joined(d.value[1] for d in decls_v), joined(
            d.source for d in decls_v)) if decls_v else Fact("not encrypted", TALOS_FILES)


def _identity(profile: Profile, repo: RepoState, facts: dict[str, Fact]) -> None:
    ident = profile.identity
    ref = f"{ident.outpost_namespace}/{ident.outpost_ingress}"
    mine = next((i for i in repo.ingresses() if i.value.ingress.ref == ref), None)
    facts["identity.outpost_hosts"] = Fact(joined(mine.value.ingress.hosts), str(mine.origin)) if mine else \
        Fact("absent", "the Ingresses Flux applies")
