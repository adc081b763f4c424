"""Apply the profile's required state phase by phase, the way the owner's bootstrap runs.

    plan = bootstrap_plan(profile)                    # [Phase("cilium-crds", ...), Phase("lb-pools", ...), ...]
    for line in run_bootstrap(api, profile, only=None, dry_run=True): print(line)

Every write is a server-side apply (idempotent; re-running resumes where a run stopped).
Phase order follows the owner's sequence: Cilium (CRDs) → LB pools → BGP → ingress → identity (the outpost's Ingress).
Cilium's kinds are written in the version the server's discovery prefers for them, never a fixed one:
a Cilium 1.17 cluster (the owner's recorded discovery) serves the BGP kinds as cilium.io/v2alpha1 only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from harness.core.errors import ConfigError, KubeApiError, ProvisioningError
from harness.core.wait import wait_until
from harness.model.profile import Profile
from harness.probes.kube import CRDS, INGRESSES, NAMESPACES, SERVICES, KubeApi, Obj, Resource
from provisioning.manifests import Served, desired_bgp_policy, desired_pools, identity_objects, ingress_objects

FIELD_MANAGER = "home-ops-conformance"
REQUIRED_CRDS = ("ciliumloadbalancerippools.cilium.io", "ciliumbgpclusterconfigs.cilium.io",
                 "ciliumbgppeerconfigs.cilium.io", "ciliumbgpadvertisements.cilium.io")


@dataclass(frozen=True)
class Phase:
    name: str
    purpose: str
    objects: Callable[[Profile, Served], list[Obj]]


PHASES = (
    Phase("cilium-crds", "Cilium's CRDs are established (installed with Cilium)", lambda p, s: []),
    Phase("lb-pools", "LoadBalancer IP pools", desired_pools),
    Phase("bgp", "BGP peering with the router and LB address advertisement", desired_bgp_policy),
    Phase("ingress", "ingress controller namespace and LoadBalancer service", lambda p, s: ingress_objects(p)),
    Phase("identity", "the Authentik external outpost: its Service and the Ingress for every protected host",
          lambda p, s: identity_objects(p)),
)


def phase_names() -> list[str]:
    return [p.name for p in PHASES]


def select_phases(only: str | None = None, start: str | None = None) -> list[Phase]:
    names = phase_names()
    for given in (only, start):
        if given is not None and given not in names:
            raise ConfigError(f"unknown bootstrap phase {given!r}; phases: {', '.join(names)}")
    if only:
        return [p for p in PHASES if p.name == only]
    first = names.index(start) if start else 0
    return list(PHASES[first:])


def describe(obj: Obj) -> str:
    meta = obj["metadata"]
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj['kind']} {where}{meta['name']}"


def run_bootstrap(api: KubeApi, profile: Profile, *, only: str | None = None, start: str | None = None,
                  dry_run: bool = False, timeout: float = 30.0) -> Iterator[str]:
    """Apply each phase, yielding one line per object: created / configured / unchanged / would apply."""
    for phase in select_phases(only, start):
        yield f"phase {phase.name}: {phase.purpose}"
        if phase.name == "cilium-crds":
            yield from _await_crds(api, dry_run, timeout)
            continue
        for obj in phase.objects(profile, lambda group, kind: _served(api, group, kind)):
            yield f"  {apply_object(api, obj, dry_run)} {describe(obj)}"


def _await_crds(api: KubeApi, dry_run: bool, timeout: float) -> Iterator[str]:
    for name in REQUIRED_CRDS:
        if dry_run:
            yield f"  would wait for CustomResourceDefinition {name} to be Established"
            continue

        def established(crd_name: str = name) -> str | None:
            crd = api.get(CRDS, crd_name)
            if crd is None:
                return f"CustomResourceDefinition {crd_name} not found at {api.url} (is Cilium installed?)"
            conds = {c.get("type"): c.get("status") for c in (crd.get("status") or {}).get("conditions") or []}
            return None if conds.get("Established") == "True" else f"{crd_name} not Established yet: {conds}"

        wait_until(established, timeout=timeout, what=f"CRD {name}")
        yield f"  established CustomResourceDefinition {name}"


def _served(api: KubeApi, group: str, kind: str) -> str:
    """The version discovery says ``kind`` is served as; a kind the server lacks is a one-line error."""
    try:
        return api.api_version_of(group, kind)
    except KubeApiError as exc:
        raise ProvisioningError(f"{kind}.{group} is not served by {api.url}: is Cilium installed, and is it a "
                                f"release that has it? ({exc})") from exc


def resource_of(api: KubeApi, obj: Obj) -> Resource:
    kind, api_version = obj["kind"], obj["apiVersion"]
    builtin = {("v1", "Namespace"): NAMESPACES, ("v1", "Service"): SERVICES,
               ("networking.k8s.io/v1", "Ingress"): INGRESSES}
    if (api_version, kind) in builtin:
        return builtin[(api_version, kind)]
    group, version = api_version.split("/", 1)
    found = api.resource_for(group, kind)
    return Resource(group, version, found.plural, kind, found.namespaced)


def apply_object(api: KubeApi, obj: Obj, dry_run: bool) -> str:
    meta = obj["metadata"]
    try:
        res = resource_of(api, obj)
        before = api.get(res, meta["name"], meta.get("namespace"))
        if dry_run and before is None and meta.get("namespace") and not api.get(NAMESPACES, meta["namespace"]):
            return "would create"  # its namespace comes earlier in this plan; the server cannot dry-run it
        after = api.apply(res, obj, field_manager=FIELD_MANAGER, dry_run=dry_run)
    except KubeApiError as exc:
        raise ProvisioningError(f"applying {describe(obj)} to {api.url} failed: {exc}") from exc
    if dry_run:
        return "would create" if before is None else "would apply"
    if before is None:
        return "created"
    same = before["metadata"].get("resourceVersion") == after["metadata"].get("resourceVersion")
    return "unchanged" if same else "configured"
