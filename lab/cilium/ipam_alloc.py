"""The two LB IPAM passes over Services: keep what is still valid, then satisfy the rest.

    alloc = Allocation(ranges, views, now=ts)
    kept = alloc.import_ingress(view)          # pass 1, every service (sticky addresses)
    ingress, conditions = alloc.satisfy(view, kept)   # pass 2, in creation order

Pass 1 is operator/pkg/lbipam/lbipam.go ``stripInvalidAllocations`` +
``stripOrImportIngresses``; pass 2 is ``satisfyService`` with its specific-IP and
generic (per family) branches. Messages and reasons are Cilium's.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from lab.cilium.conditions import Condition, find_condition, same_condition, set_condition
from lab.cilium.ipam_model import IPAddr, ServiceView
from lab.cilium.ipam_ranges import RangeState, SvcKey

SATISFIED = "cilium.io/IPAMRequestSatisfied"  # ciliumSvcRequestSatisfiedCondition
NO_POOL_MSG = "There are no enabled CiliumLoadBalancerIPPools that match this service"
OUT_OF_IPS_MSG = "All enabled CiliumLoadBalancerIPPools that match this service ran out of allocatable IPs"


class Allocation:
    def __init__(self, ranges: Sequence[RangeState], views: Mapping[SvcKey, ServiceView], *, now: str) -> None:
        self._ranges = list(ranges)
        self._views = dict(views)
        self._now = now

    # -- pass 1 ---------------------------------------------------------------
    def import_ingress(self, view: ServiceView) -> list[dict[str, Any]]:
        kept: list[dict[str, Any]] = []
        seen: set[IPAddr] = set()
        for entry in view.ingress:
            ip = _parse_ip(entry.get("ip"))
            if ip is None or ip in seen or not self._may_keep(view, ip):
                continue
            state = self._sticky_range(view, ip)
            if state is None or not self._take(state, ip, view):
                continue  # "deferring to regular allocation logic"
            seen.add(ip)
            kept.append(dict(entry))
        return kept

    def _may_keep(self, view: ServiceView, ip: IPAddr) -> bool:
        if view.requested:
            # Requested IPs stay regardless of family: in steady state the allocation is
            # already recorded, so stripInvalidAllocations only checks the request list.
            return ip in view.requested
        return view.wants_family(ip)

    def _sticky_range(self, view: ServiceView, ip: IPAddr) -> RangeState | None:
        # A pool that got disabled/conflicting keeps existing allocations (CRD doc of
        # spec.disabled: "Existing allocations will not be removed from services").
        matching = [r for r in self._ranges if r.contains(ip) and r.pool.selects(view.labels)]
        return next((r for r in matching if r.enabled), matching[0] if matching else None)

    def _take(self, state: RangeState, ip: IPAddr, view: ServiceView) -> bool:
        if not state.is_allocated(ip):
            state.alloc(ip, view.key)
            return True
        return bool(view.sharing_key) and self._join(state, ip, view) is None

    # -- pass 2 ---------------------------------------------------------------
    def satisfy(self, view: ServiceView, kept: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[Condition]]:
        ingress, conditions = list(kept), list(view.conditions)
        if _is_satisfied(view, ingress):
            return ingress, conditions
        failure = self._satisfy_specific(view, ingress) if view.requested else self._satisfy_generic(view, ingress)
        if failure is not None:
            conditions = self._condition(view, conditions, "False", *failure)
        if _is_satisfied(view, ingress):
            conditions = self._condition(view, conditions, "True", "satisfied", "")
        return ingress, conditions

    def _satisfy_specific(self, view: ServiceView, ingress: list[dict[str, Any]]) -> tuple[str, str] | None:
        """lbipam.go ``satisfySpecificIPRequests``; returns the last failure (reason, message)."""
        failure: tuple[str, str] | None = None
        have = {_parse_ip(e.get("ip")) for e in ingress}
        for ip in (r for r in view.requested if r not in have):
            problem = self._allocate_requested(view, ip)
            if problem is None:
                ingress.append({"ip": str(ip)})
            else:
                failure = problem
        return failure

    def _allocate_requested(self, view: ServiceView, ip: IPAddr) -> tuple[str, str] | None:
        holders_ranges = [r for r in self._ranges if r.enabled and r.contains(ip)]
        state = next((r for r in holders_ranges if r.pool.selects(view.labels)), None)
        if state is None and holders_ranges:
            return "pool_selector_mismatch", f"The pool with the CIDR containing '{ip}', doesn't select this service"
        if state is None:
            return "no_pool", f"No pool exists with a CIDR containing '{ip}'"
        if not state.is_allocated(ip):
            state.alloc(ip, view.key)
            return None
        if not view.sharing_key:
            return "already_allocated", f"The IP '{ip}' is already allocated to another service"
        reason = self._join(state, ip, view)
        if reason is None:
            return None
        return (
            "already_allocated_incompatible_service",
            f"The IP '{ip}' is already allocated to an incompatible service. Reason: {reason}",
        )

    def _satisfy_generic(self, view: ServiceView, ingress: list[dict[str, Any]]) -> tuple[str, str] | None:
        """lbipam.go ``satisfyGenericIPRequests``: one address per requested, missing family."""
        failure: tuple[str, str] | None = None
        have = {ip.version for ip in (_parse_ip(e.get("ip")) for e in ingress) if ip is not None}
        for version, wanted in ((4, view.wants_v4), (6, view.wants_v6)):
            if not wanted or version in have:
                continue
            ip = self._share_by_key(view, version) or self._allocate_any(view, version)
            if isinstance(ip, tuple):
                failure = ip
            else:
                ingress.append({"ip": str(ip)})
        return failure

    def _share_by_key(self, view: ServiceView, version: int) -> IPAddr | None:
        if not view.sharing_key:
            return None
        for state in self._ranges:
            for value, holders in list(state.holders.items()):
                ip = _addr(value, state)
                same_key = any(self._views[h].sharing_key == view.sharing_key for h in holders if h in self._views)
                if ip.version == version and holders and same_key and self._join(state, ip, view) is None:
                    return ip
        return None

    def _allocate_any(self, view: ServiceView, version: int) -> IPAddr | tuple[str, str]:
        full = False
        for state in self._ranges:
            if not state.enabled or state.rng.first.version != version or not state.pool.selects(view.labels):
                continue
            ip = state.alloc_any(view.key)
            if ip is not None:
                return ip
            full = True
        return ("out_of_ips", OUT_OF_IPS_MSG) if full else ("no_pool", NO_POOL_MSG)

    def _join(self, state: RangeState, ip: IPAddr, view: ServiceView) -> str | None:
        """Add ``view`` to the IP's sharing group; returns why not when incompatible."""
        for holder in state.holders[int(ip)]:
            other = self._views.get(holder)
            reason = incompatibility(other, view) if other is not None else None
            if reason is not None:
                return reason
        state.holders[int(ip)].append(view.key)
        return None

    def _condition(
        self, view: ServiceView, conditions: list[Condition], status: str, reason: str, message: str
    ) -> list[Condition]:
        new = {
            "type": SATISFIED,
            "status": status,
            "observedGeneration": view.generation,
            "reason": reason,
            "message": message,
        }
        if same_condition(find_condition(conditions, SATISFIED), new):
            return conditions
        return set_condition(conditions, new, now=self._now)


def incompatibility(a: ServiceView, b: ServiceView) -> str | None:
    """operator/pkg/lbipam/service_store.go ``isCompatible`` (reason texts are the lab's)."""
    if a.sharing_key != b.sharing_key:
        return "sharing key differs"
    if a.namespace != b.namespace:
        return "services are in different namespaces"
    if a.ports & b.ports:
        return f"ports overlap: {sorted(a.ports & b.ports)}"
    if a.external_traffic_policy != b.external_traffic_policy:
        return "externalTrafficPolicy differs"
    if a.external_traffic_policy == "Local" and (not a.pod_selector or a.pod_selector != b.pod_selector):
        return "externalTrafficPolicy Local services must select the same pods"
    return None


def _is_satisfied(view: ServiceView, ingress: Sequence[Mapping[str, Any]]) -> bool:
    """service_store.go ``isSatisfied``."""
    ips = {ip for ip in (_parse_ip(e.get("ip")) for e in ingress) if ip is not None}
    if view.requested:
        return all(r in ips for r in view.requested)
    versions = {ip.version for ip in ips}
    return (not view.wants_v4 or 4 in versions) and (not view.wants_v6 or 6 in versions)


def _parse_ip(text: Any) -> IPAddr | None:
    try:
        return ipaddress.ip_address(str(text)) if text else None
    except ValueError:
        return None


def _addr(value: int, state: RangeState) -> IPAddr:
    return ipaddress.IPv6Address(value) if state.rng.is_v6 else ipaddress.IPv4Address(value)
