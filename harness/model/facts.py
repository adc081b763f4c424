"""Facts about a cluster, as one source gives them, keyed by the profile field they speak to.

    >>> block_text(AddressBlock.parse_range("172.29.52.0", "172.29.52.255"))      # both spellings compare equal
    '172.29.52.0/24'
    >>> FieldSpec("disks.install_disk_model", "APPLE*", Compare.GLOB).agrees("APPLE SSD AP0256Q")
    True

    spec = field_specs(profile)            # every field the three-way table compares, with the profile's value
    repo = SourceFacts("repo", "talos-gitops", {"cilium.version": Fact("1.19.1", "infrastructure/cilium/...")})
    repo.facts["cilium.version"].value     # "1.19.1"
    repo.why_unread("disks.encryption.STATE")   # "" when read, else why the source cannot say

Both sources (harness.sources.repo: a GitOps checkout; harness.sources.live: the running cluster, its
router and Talos API) fill the same fields with canonical text (``blocks_text``, ``selector_text``,
``family_list``), so "the repo says X, the cluster runs Y" is one row whatever the source. A field a
source cannot evidence is never guessed: it is absent from ``facts`` and, when the source knows why,
named in ``unread``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Any

from harness.core.netaddr import AddressBlock, Family
from harness.core.selectors import describe, normalise
from harness.model.profile import Profile

FAMILY_NAMES = {"ipv4": "IPv4", "ipv6": "IPv6"}


class Compare(StrEnum):
    """How a seen value is judged against the profile's."""

    EQUAL = "equal"          # the same canonical text
    GLOB = "glob"            # every value seen (", "-joined) matches the profile's shell pattern (disk models)


@dataclass(frozen=True)
class Fact:
    value: str               # canonical text
    where: str               # the file (with its Flux Kustomization) or the object at its URL


@dataclass(frozen=True)
class FieldSpec:
    field: str
    profile: str             # the required value, canonical text
    compare: Compare = Compare.EQUAL
    note: str = ""           # what the field means, for the table's readers

    def agrees(self, seen: str) -> bool:
        if self.compare is Compare.GLOB:
            values = [v.strip() for v in seen.split(",") if v.strip()]
            return bool(values) and all(fnmatchcase(v, self.profile) for v in values)
        return seen == self.profile


@dataclass(frozen=True)
class SourceFacts:
    name: str                                   # "repo" or "live"
    where: str                                  # the checkout, or the cluster's URL
    facts: Mapping[str, Fact]
    unread: Mapping[str, str] = field(default_factory=dict)   # field, or prefix ending in ".", -> why

    def why_unread(self, name: str) -> str:
        if name in self.facts:
            return ""
        return unread_reason(name, self.unread) or f"{self.name} does not say"


def unread_reason(name: str, unread: Mapping[str, str]) -> str | None:
    """Why ``name`` was not read: its own entry, or that of a prefix (a key ending in "." or "[")."""
    for key, why in unread.items():
        if name == key or (key.endswith((".", "[")) and name.startswith(key)):
            return why
    return None


def fill_unread(source: str, facts: Mapping[str, Fact], unread: dict[str, str], profile: Profile,
                why: str) -> None:
    """Every field the profile asks about that ``facts`` lacks and no entry explains gets ``why``."""
    for spec in field_specs(profile):
        if spec.field not in facts and unread_reason(spec.field, unread) is None:
            unread[spec.field] = why


# -- canonical text -------------------------------------------------------------------------------
def block_text(block: AddressBlock) -> str:
    """A block as one CIDR when it is exactly one, else ``first-last`` (so both spellings compare equal)."""
    nets = list(ipaddress.summarize_address_range(block.first, block.last))
    return str(nets[0]) if len(nets) == 1 else f"{block.first}-{block.last}"


def blocks_text(blocks: Iterable[AddressBlock]) -> str:
    ordered = sorted(blocks, key=lambda b: (b.first.version, int(b.first), int(b.last)))
    return ", ".join(block_text(b) for b in ordered) or "no blocks"


def selector_text(selector: Mapping[str, Any] | None) -> str:
    return describe(normalise(dict(selector) if selector is not None else None))


def family_list(families: Iterable[str]) -> str:
    """``IPv4, IPv6`` from ipv4/ipv6 or IPv4/IPv6 spellings, in that order."""
    names = {FAMILY_NAMES.get(f, f) for f in families}
    return ", ".join(n for n in ("IPv4", "IPv6") if n in names) + "".join(
        f", {n}" for n in sorted(names - {"IPv4", "IPv6"}))


def joined(values: Iterable[object]) -> str:
    return ", ".join(sorted({str(v) for v in values})) or "none"


def flag(value: bool) -> str:
    return "true" if value else "false"


# -- the fields and what the profile requires -----------------------------------------------------
def field_specs(profile: Profile) -> tuple[FieldSpec, ...]:
    """Every field the three-way table compares, in reading order, with the profile's value."""
    specs: list[FieldSpec] = []
    for pool in profile.pools:
        specs.append(FieldSpec(f"lb_pools[{pool.name}].blocks", blocks_text(pool.blocks)))
        specs.append(FieldSpec(f"lb_pools[{pool.name}].service_selector", selector_text(pool.selector)))
    ingress = profile.ingress
    specs.append(FieldSpec("ingress.ip_families", family_list(ingress.addresses.families),
                           note=f"Service {ingress.namespace}/{ingress.service}"))
    for family, address in ingress.addresses.values:
        specs.append(FieldSpec(f"ingress.addresses.{family}", str(address),
                               note="repo: the address the Service requests; live: the address it holds"))
    bgp = profile.bgp
    specs.append(FieldSpec("bgp.cluster_asn", str(bgp.cluster_asn), note="Cilium's local ASN"))
    specs.append(FieldSpec("bgp.peer_asn", str(bgp.router.asn), note="the ASN Cilium peers with"))
    specs.append(FieldSpec("bgp.router.asn", str(bgp.router.asn), note="the router's own ASN (its FRR config)"))
    for family in profile.networks.load_balancer.families:
        sessions = session_addresses(profile, family)
        specs.append(FieldSpec(f"bgp.router.neighbors.{family}", joined(sessions),
                               note=f"router neighbors with {family} unicast activated (bgp.sessions: {bgp.sessions})"))
        specs.append(FieldSpec(f"bgp.router.accepts.{family}", "accepted",
                               note=f"every advertised {family} pool accepted from every session carrying {family}"))
    cilium = profile.cilium
    specs.append(FieldSpec("cilium.version", str(cilium.version)))
    specs.append(FieldSpec("cilium.kube_proxy_replacement", flag(profile.kube_proxy_replaced)))
    specs.append(FieldSpec("cilium.bgp_control_plane", flag(cilium.bgp_control_plane)))
    specs.append(FieldSpec("cilium.lb_acceleration", cilium.lb_acceleration))
    for family, net in profile.networks.pods.values:
        specs.append(FieldSpec(f"networks.pods.{family}", str(net), note="Cilium's cluster-pool"))
        mask = profile.networks.pod_mask_sizes.get(family)
        if mask is not None:
            specs.append(FieldSpec(f"networks.pod_mask_sizes.{family}", str(mask)))
    for family, net in profile.networks.services.values:
        specs.append(FieldSpec(f"networks.services.{family}", str(net)))
    specs.append(FieldSpec("cluster.control_plane_schedulable", "true",
                           note="every profiled node a control-plane node that takes workloads"))
    disks = profile.disks
    specs.append(FieldSpec("disks.install_disk_model", disks.install_model, Compare.GLOB))
    specs.append(FieldSpec(f"disks.user_volume[{disks.user_volume}].filesystem", disks.user_volume_filesystem))
    for volume, provider in disks.encrypted:
        specs.append(FieldSpec(f"disks.encryption.{volume}", provider))
    ident = profile.identity
    specs.append(FieldSpec("identity.outpost_hosts", joined(ident.hosts),
                           note=f"Ingress {ident.outpost_namespace}/{ident.outpost_ingress}"))
    return tuple(specs)


def session_addresses(profile: Profile, family: Family) -> list[str]:
    """The nodes' addresses whose BGP sessions carry ``family`` (bgp.sessions)."""
    carrier = profile.bgp.session_family(family)
    return [str(a) for n in profile.nodes if (a := n.addresses.get(carrier)) is not None]
