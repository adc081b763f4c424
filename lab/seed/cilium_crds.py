"""The Cilium CustomResourceDefinitions a given Cilium release registers, described here and built at load time.

    for crd in cilium_crds(CiliumVersion.parse("1.17.6")): api.register_crd(crd)   # apiextensions.k8s.io/v1

The lab's API server enforces what a real one would from these schemas: types, formats, enums,
patterns, ranges, required fields, defaults and pruning (``lab/kube/schema.py``). The field facts
(names, types, limits, enums, defaults) follow Cilium's own definitions, cited per kind in
``lab/seed/SOURCE.md``; the descriptions and the way they are written are ours. CEL rules
(``x-kubernetes-validations``) are carried so the served schema shows them; the lab does not evaluate CEL.

Which versions of each kind a release serves (served / storage / deprecated) come from the table in
``harness/model/cilium_versions.py``, never from here: a kind the release lacks is not registered at all
(1.15 has no BGPv2 kinds, 1.19 no CiliumBGPPeeringPolicy). All kinds are cluster-scoped, group
``cilium.io``; each version keeps its own schema (v2 and v2alpha1 of the BGPv2 kinds differ).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from harness.model.cilium_versions import BGP_V2_KINDS, PEERING_POLICY, POOL, CiliumVersion, Served, served

Obj = dict[str, Any]

GROUP = "cilium.io"
UINT32_MAX = 2**32 - 1
INT32_MAX = 2**31 - 1


# -- building blocks ----------------------------------------------------------------------------

def _put(schema: Obj, **facts: Any) -> Obj:
    """Add OpenAPI keywords given under short names; None means "not set"."""
    names = {"fmt": "format", "lo": "minimum", "hi": "maximum", "min_len": "minLength", "max_len": "maxLength",
             "min_items": "minItems", "max_items": "maxItems", "enum": "enum", "default": "default",
             "pattern": "pattern"}
    for key, value in facts.items():
        if value is not None:
            schema[names[key]] = list(value) if key == "enum" else value
    return schema


def string(**facts: Any) -> Obj:
    return _put({"type": "string"}, **facts)


def integer(fmt: str | None = None, lo: int | None = None, hi: int | None = None, default: int | None = None) -> Obj:
    return _put({"type": "integer"}, fmt=fmt, lo=lo, hi=hi, default=default)


def boolean(default: bool | None = None) -> Obj:
    return _put({"type": "boolean"}, default=default)


def obj(props: dict[str, Obj], required: Iterable[str] = (), atomic: bool = False,
        rules: Iterable[tuple[str, str]] = (), about: str | None = None) -> Obj:
    """An object with ``props``; ``rules`` are (CEL expression, message) pairs."""
    out: Obj = {"type": "object", "properties": props}
    if about:
        out["description"] = about
    if required:
        out["required"] = list(required)
    if atomic:
        out["x-kubernetes-map-type"] = "atomic"
    if rules:
        out["x-kubernetes-validations"] = [{"rule": r, "message": m} for r, m in rules]
    return out


def array(items: Obj, list_type: str | None = None, keys: Iterable[str] = (), **facts: Any) -> Obj:
    out = _put({"type": "array", "items": items}, **facts)
    if list_type:
        out["x-kubernetes-list-type"] = list_type
    if keys:
        out["x-kubernetes-list-map-keys"] = list(keys)
    return out


def string_map(values: Obj) -> Obj:
    return {"type": "object", "additionalProperties": values}


def u32(**facts: Any) -> Obj:
    """A 32-bit unsigned number kept in an int64 (ASNs, local preference)."""
    facts.setdefault("lo", 0)
    return integer("int64", hi=UINT32_MAX, **facts)


def i32(lo: int, hi: int, default: int | None = None) -> Obj:
    return integer("int32", lo=lo, hi=hi, default=default)


# -- regular expressions, built from their definitions --------------------------------------------

def _decimal_upto(limit: int) -> str:
    """A regex group matching the decimal numbers 0..limit written without leading zeros."""
    top = str(limit)
    if len(top) == 1:
        return f"[0-{limit}]"

    def tail(n: int) -> str:
        return "" if n == 0 else "[0-9]" if n == 1 else f"[0-9]{{{n}}}"

    alts = ["[0-9]"] + [f"[1-9]{tail(width - 1)}" for width in range(2, len(top))]
    for i, digit in enumerate(int(c) for c in top):
        low = 1 if i == 0 else 0
        if digit > low:
            span = str(low) if digit - 1 == low else f"[{low}-{digit - 1}]"
            alts.append(top[:i] + span + tail(len(top) - i - 1))
    alts.append(top)
    return "(?:" + "|".join(alts) + ")"


U32_DEC, U16_DEC, OCTET = _decimal_upto(UINT32_MAX), _decimal_upto(65535), _decimal_upto(255)
# RFC 1997 community: one 32-bit number or two 16-bit numbers; RFC 8092 large community: three 32-bit numbers.
STANDARD_COMMUNITY = f"^{U32_DEC}$|^{U16_DEC}:{U16_DEC}$"
LARGE_COMMUNITY = f"^{U32_DEC}:{U32_DEC}:{U32_DEC}$"


def _ipv6() -> str:
    """IPv6address of RFC 3986 section 3.2.2, every '::' placement spelled out."""
    h16 = "[0-9A-Fa-f]{1,4}"
    ls32 = f"(?:{h16}:{h16}|{OCTET}(?:\\.{OCTET}){{3}})"
    forms = [f"(?:{h16}:){{6}}{ls32}", f"::(?:{h16}:){{5}}{ls32}"]
    for before in range(7):
        left = f"(?:(?:{h16}:){{0,{before}}}{h16})?" if before else f"(?:{h16})?"
        right = {5: h16, 6: ""}.get(before, f"(?:{h16}:){{{4 - before}}}{ls32}" if before < 4 else ls32)
        forms.append(f"{left}::{right}")
    return "(?:" + "|".join(forms) + ")"


IPV4_ADDRESS = f"{OCTET}(?:\\.{OCTET}){{3}}"
# An IPv4 address, or an IPv6 one with an optional zone; surrounding blanks allowed.
PEER_ADDRESS = f"^\\s*{IPV4_ADDRESS}\\s*$|^\\s*{_ipv6()}(?:%.+)?\\s*$"
# Kubernetes label value; metav1.Condition type (optional DNS-subdomain prefix) and reason.
LABEL_VALUE = "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$"
DNS_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
CONDITION_TYPE = f"^({DNS_LABEL}(\\.{DNS_LABEL})*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$"
CONDITION_REASON = "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$"

OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist")
AFI = ("ipv4", "ipv6", "l2vpn", "ls", "opaque")
SAFI = ("unicast", "multicast", "mpls_label", "encapsulation", "vpls", "evpn", "ls", "sr_policy", "mup", "mpls_vpn",
        "mpls_vpn_multicast", "route_target_constraints", "flowspec_unicast", "flowspec_vpn", "key_value")
WELL_KNOWN_COMMUNITIES = (
    "internet", "planned-shut", "accept-own", "route-filter-translated-v4", "route-filter-v4",
    "route-filter-translated-v6", "route-filter-v6", "llgr-stale", "no-llgr", "blackhole", "no-export",
    "no-advertise", "no-export-subconfed", "no-peer")
SERVICE_ADDRESSES = ("LoadBalancerIP", "ClusterIP", "ExternalIP")


# -- shared pieces --------------------------------------------------------------------------------

def selector(atomic: bool = True) -> Obj:
    """A label selector (matchLabels / matchExpressions); newer generators mark it atomic."""
    kind = "atomic" if atomic else None
    requirement = obj({"key": string(), "operator": string(enum=OPERATORS),
                       "values": array(string(), list_type=kind)}, required=("key", "operator"))
    return obj({"matchExpressions": array(requirement, list_type=kind),
                "matchLabels": string_map(string(max_len=63, pattern=LABEL_VALUE))}, atomic=atomic)


def conditions() -> Obj:
    """``status`` holding metav1.Condition entries keyed by type."""
    condition = obj({
        "lastTransitionTime": string(fmt="date-time"),
        "message": string(max_len=32768),
        "observedGeneration": integer("int64", lo=0),
        "reason": string(min_len=1, max_len=1024, pattern=CONDITION_REASON),
        "status": string(enum=("True", "False", "Unknown")),
        "type": string(max_len=316, pattern=CONDITION_TYPE),
    }, required=("lastTransitionTime", "message", "reason", "status", "type"))
    return obj({"conditions": array(condition, list_type="map", keys=("type",))})


def families(atomic: bool) -> Obj:
    return array(obj({"advertisements": selector(atomic), "afi": string(enum=AFI), "safi": string(enum=SAFI)},
                     required=("afi", "safi")))


def graceful_restart() -> Obj:
    return obj({"enabled": boolean(), "restartTimeSeconds": i32(1, 4095, default=120)}, required=("enabled",))


def communities(well_known: bool) -> Obj:
    props = {"large": array(string(pattern=LARGE_COMMUNITY)), "standard": array(string(pattern=STANDARD_COMMUNITY))}
    if well_known:
        props["wellKnown"] = array(string(enum=WELL_KNOWN_COMMUNITIES))
    return obj(props)


# -- CiliumLoadBalancerIPPool ---------------------------------------------------------------------

def lb_pool_spec() -> Obj:
    block = obj({"cidr": string(fmt="cidr"), "start": string(), "stop": string()})
    return obj({
        "allowFirstLastIPs": string(enum=("Yes", "No")),
        "blocks": array(block),
        "disabled": boolean(default=False),
        "serviceSelector": selector(),
    }, about="Address blocks handed out to LoadBalancer services that the selector picks.")


# -- CiliumBGPPeeringPolicy (BGP control plane v1) ------------------------------------------------

def peering_policy_spec() -> Obj:
    path_attributes = obj({
        "communities": communities(well_known=False),
        "localPreference": u32(),
        "selector": selector(atomic=False),
        "selectorType": string(enum=("PodCIDR", "CiliumLoadBalancerIPPool")),
    }, required=("selectorType",))
    neighbor = obj({
        "advertisedPathAttributes": array(path_attributes),
        "authSecretRef": string(),
        "connectRetryTimeSeconds": i32(1, INT32_MAX, default=120),
        "eBGPMultihopTTL": i32(1, 255, default=1),
        "families": families(atomic=False),
        "gracefulRestart": graceful_restart(),
        "holdTimeSeconds": i32(3, 65535, default=90),
        "keepAliveTimeSeconds": i32(1, 65535, default=30),
        "peerASN": u32(),
        "peerAddress": string(fmt="cidr"),
        "peerPort": i32(1, 65535, default=179),
    }, required=("peerASN", "peerAddress"))
    router = obj({
        "exportPodCIDR": boolean(default=False),
        "localASN": u32(),
        "neighbors": array(neighbor, min_items=1),
        "podIPPoolSelector": selector(atomic=False),
        "serviceSelector": selector(atomic=False),
    }, required=("localASN", "neighbors"))
    return obj({"nodeSelector": selector(atomic=False), "virtualRouters": array(router, min_items=1)},
               required=("virtualRouters",), about="Virtual BGP routers for the nodes the selector picks.")


# -- CiliumBGPClusterConfig -----------------------------------------------------------------------

def cluster_config_spec(version: str) -> Obj:
    name = string(min_len=1, max_len=255)
    peer_props: dict[str, Obj] = {
        "name": name,
        "peerASN": u32(default=0),
        "peerAddress": string(pattern=PEER_ADDRESS),
    }
    peer_rules: list[tuple[str, str]] = []
    if version == "v2":
        peer_props["peerConfigRef"] = obj({"name": string()}, required=("name",))
        peer_props["peerInterface"] = string(min_len=1, max_len=255)
        peer_props["autoDiscovery"] = obj({
            "defaultGateway": obj({"addressFamily": string(enum=("ipv4", "ipv6"))}, required=("addressFamily",)),
            "mode": string(enum=("DefaultGateway", "Unnumbered")),
            "unnumbered": obj({"interface": string(min_len=1, max_len=255)}, required=("interface",)),
        }, required=("mode",), rules=(
            ("self.mode != 'DefaultGateway' || has(self.defaultGateway)",
             "mode DefaultGateway needs defaultGateway"),
            ("self.mode != 'Unnumbered' || (has(self.unnumbered) != has(self.defaultGateway))",
             "mode Unnumbered needs exactly one of unnumbered and defaultGateway"),
        ))
        peer_rules = [
            ("!has(self.peerInterface) || !has(self.peerAddress) || self.peerAddress.startsWith('fe80:')"
             " || self.peerAddress.startsWith('FE80:')",
             "with peerInterface, peerAddress must be IPv6 link-local (fe80::/10)"),
            ("has(self.peerAddress) || has(self.autoDiscovery)", "set peerAddress or autoDiscovery"),
        ]
    else:
        peer_props["peerConfigRef"] = obj({
            "group": string(default=GROUP), "kind": string(default="CiliumBGPPeerConfig"), "name": string(),
        }, required=("name",))
    peer = obj(peer_props, required=("name",), rules=peer_rules)
    instance = obj({
        "localASN": u32(lo=1),
        "localPort": i32(1, 65535),
        "name": name,
        "peers": array(peer, list_type="map", keys=("name",)),
    }, required=("name",))
    return obj({
        "bgpInstances": array(instance, list_type="map", keys=("name",), min_items=1, max_items=16),
        "nodeSelector": selector(),
    }, required=("bgpInstances",), about="BGP instances and their peers for the nodes the selector picks.")


# -- CiliumBGPPeerConfig --------------------------------------------------------------------------

def peer_config_spec(version: str) -> Obj:
    transport = {"peerPort": i32(1, 65535, default=179)}
    if version == "v2":
        transport["sourceInterface"] = string()
    else:
        transport["localPort"] = i32(1, 65535)
    timers = obj({
        "connectRetryTimeSeconds": i32(1, INT32_MAX, default=120),
        "holdTimeSeconds": i32(3, 65535, default=90),
        "keepAliveTimeSeconds": i32(1, 65535, default=30),
    }, rules=(("self.keepAliveTimeSeconds <= self.holdTimeSeconds",
               "keepAliveTimeSeconds must not exceed holdTimeSeconds"),))
    return obj({
        "authSecretRef": string(),
        "ebgpMultihop": i32(1, 255, default=1),
        "families": families(atomic=True),
        "gracefulRestart": graceful_restart(),
        "timers": timers,
        "transport": obj(dict(sorted(transport.items()))),
    }, about="Session settings shared by the peers that reference this config.")


# -- CiliumBGPAdvertisement -----------------------------------------------------------------------

def advertisement_spec(version: str) -> Obj:
    types = ["PodCIDR", "CiliumPodIPPool", "Service"] + (["Interface"] if version == "v2" else [])
    props: dict[str, Obj] = {
        "advertisementType": string(enum=types),
        "attributes": obj({"communities": communities(well_known=True), "localPreference": integer("int64")}),
        "selector": selector(),
        "service": obj({
            "addresses": array(string(enum=SERVICE_ADDRESSES), min_items=1),
            "aggregationLengthIPv4": integer(lo=0, hi=31),
            "aggregationLengthIPv6": integer(lo=0, hi=127),
        }, required=("addresses",)),
    }
    rules = [("self.advertisementType != 'Service' || has(self.service)", "type Service needs service")]
    if version == "v2":
        props["interface"] = obj({"name": string()}, required=("name",))
        rules += [
            ("self.advertisementType == 'Service' || !has(self.service)", "service is only for type Service"),
            ("self.advertisementType != 'Interface' || has(self.interface)", "type Interface needs interface"),
            ("self.advertisementType == 'Interface' || !has(self.interface)", "interface is only for type Interface"),
        ]
    rules.append(("self.advertisementType != 'PodCIDR' || !has(self.selector)", "type PodCIDR takes no selector"))
    item = obj(dict(sorted(props.items())), required=("advertisementType",), rules=rules)
    return obj({"advertisements": array(item)}, required=("advertisements",),
               about="What to announce to the peers whose families select this advertisement.")


# -- CustomResourceDefinition objects -------------------------------------------------------------

AGE = {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}
POOL_COLUMNS = [
    {"name": "Disabled", "type": "boolean", "jsonPath": ".spec.disabled"},
    {"name": "Conflicting", "type": "string",
     "jsonPath": '.status.conditions[?(@.type=="cilium.io/PoolConflict")].status'},
    {"name": "IPs Available", "type": "string",
     "jsonPath": '.status.conditions[?(@.type=="cilium.io/IPsAvailable")].message'},
    AGE,
]


def _version(served_as: Served, spec: Obj, *, status: bool, columns: list[Obj], spec_required: bool = True) -> Obj:
    props = {"apiVersion": string(), "kind": string(), "metadata": {"type": "object"}, "spec": spec}
    if status:
        props["status"] = conditions()
    root = obj(props, required=("metadata", "spec") if spec_required else ("metadata",))
    out: Obj = {"name": served_as.name, "served": True, "storage": served_as.storage,
                "schema": {"openAPIV3Schema": root}, "additionalPrinterColumns": copy.deepcopy(columns)}
    if served_as.deprecated:
        out["deprecated"] = True
    if status:
        out["subresources"] = {"status": {}}
    return out


def _crd(kind: str, short_names: Iterable[str], categories: Iterable[str], versions: list[Obj]) -> Obj:
    plural = kind.lower()[:-1] + "ies" if kind.endswith("y") else kind.lower() + "s"
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{GROUP}",
                     "annotations": {"conformance.home-ops/source": "lab/seed/SOURCE.md"}},
        "spec": {
            "group": GROUP,
            "scope": "Cluster",
            "names": {"kind": kind, "listKind": f"{kind}List", "plural": plural, "singular": kind.lower(),
                      "shortNames": list(short_names), "categories": list(categories)},
            "versions": versions,
        },
    }


BGP = ("cilium", "ciliumbgp")


@dataclass(frozen=True)
class _Kind:
    """How to build one kind: short names, categories, schema per version name, status, columns."""

    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    spec: Callable[[str], Obj]
    status: bool
    columns: tuple[Obj, ...] = (AGE,)
    spec_required: bool = True


KINDS: dict[str, _Kind] = {
    POOL: _Kind(("ippools", "ippool", "lbippool", "lbippools"), ("cilium",), lambda _: lb_pool_spec(), True,
                tuple(POOL_COLUMNS)),
    PEERING_POLICY: _Kind(("bgpp",), BGP, lambda _: peering_policy_spec(), False, spec_required=False),
    "CiliumBGPClusterConfig": _Kind(("cbgpcluster",), BGP, cluster_config_spec, True),
    "CiliumBGPPeerConfig": _Kind(("cbgppeer",), BGP, peer_config_spec, True),
    "CiliumBGPAdvertisement": _Kind(("cbgpadvert",), BGP, advertisement_spec, False),
}
# Not modelled by the lab (the BGP stand-in computes per-node state itself): CiliumBGPNodeConfig and
# CiliumBGPNodeConfigOverride, which the table lists with the other BGPv2 kinds.
NOT_SERVED_BY_THE_LAB = tuple(k for k in BGP_V2_KINDS if k not in KINDS)


def crd_for(kind: str, versions: Iterable[Served]) -> Obj | None:
    """The CRD of ``kind`` serving exactly ``versions`` (None when there are none: not registered)."""
    how = KINDS[kind]
    built = [_version(v, how.spec(v.name), status=how.status, columns=list(how.columns),
                      spec_required=how.spec_required) for v in versions]
    return _crd(kind, how.short_names, how.categories, built) if built else None


def cilium_crds(version: CiliumVersion) -> list[Obj]:
    """The CRDs cilium-operator of ``version`` registers for the kinds the lab models, freshly built
    (callers may keep and change them); each serves exactly the versions that release serves."""
    return [crd for kind in KINDS if (crd := crd_for(kind, served(version, kind))) is not None]
