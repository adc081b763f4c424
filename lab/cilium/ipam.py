"""Cilium LB IPAM as a pure function: pools + services in, statuses out.

    result = reconcile(pools, services)          # plain dicts as the API returns them
    result.services[("web", "nginx")].ingress    # [{"ip": "172.29.52.200"}]

Semantics follow operator/pkg/lbipam/lbipam.go (Cilium 1.17/1.18) and
https://docs.cilium.io/en/stable/network/lb-ipam/ :

* only ``type: LoadBalancer`` services with no class (``default-lb-service-ipam=lbipam``)
  or a class in :attr:`IpamConfig.lb_classes` are handled (``isResponsibleForSVC``);
  a service that stops being ours loses its ingress and our condition;
* a pool's ``serviceSelector`` matches the Service labels plus
  ``io.kubernetes.service.{name,namespace}``; a pool without selector matches all;
* ``spec.disabled`` and conflicting pools allocate nothing new but keep what they gave;
* with no pools at all LB IPAM is dormant and touches nothing ("The controller is awoken
  when the first IP Pool is added to the cluster").

Not modelled: ``lbipam.cilium.io/sharing-cross-namespace`` (sharing needs one namespace);
the exact ordering of Go map iteration (the lab processes pools and services oldest first).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lab.cilium.conditions import Condition, find_condition, remove_condition, same_condition, set_condition, utc_now
from lab.cilium.ipam_alloc import SATISFIED, Allocation
from lab.cilium.ipam_model import DEFAULT_CONFIG, IpamConfig, Pool, ServiceView, parse_pool, parse_service
from lab.cilium.ipam_ranges import POOL_CONFLICT, RangeState, build_ranges, settle_conflicts

IPS_TOTAL, IPS_AVAILABLE, IPS_USED = "cilium.io/IPsTotal", "cilium.io/IPsAvailable", "cilium.io/IPsUsed"

__all__ = ["IpamConfig", "IpamResult", "ServiceOutcome", "reconcile", "SATISFIED", "POOL_CONFLICT"]


@dataclass(frozen=True)
class ServiceOutcome:
    """What LB IPAM wants in ``status``: ``loadBalancer.ingress`` and ``conditions``."""

    ingress: list[dict[str, Any]]
    conditions: list[Condition]

    def status(self, current: Mapping[str, Any]) -> dict[str, Any]:
        """``current`` status with our two fields replaced (Cilium replaces /status whole)."""
        new = {k: v for k, v in current.items() if k not in ("loadBalancer", "conditions")}
        lb = {k: v for k, v in (current.get("loadBalancer") or {}).items() if k != "ingress"}
        if self.ingress:
            lb["ingress"] = self.ingress
        new["loadBalancer"] = lb
        if self.conditions:
            new["conditions"] = self.conditions
        return new


@dataclass(frozen=True)
class IpamResult:
    services: dict[tuple[str, str], ServiceOutcome] = field(default_factory=dict)
    pools: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


def reconcile(
    pools: Sequence[Mapping[str, Any]],
    services: Sequence[Mapping[str, Any]],
    *,
    config: IpamConfig = DEFAULT_CONFIG,
    now: str | None = None,
    dormant_if_no_pools: bool = True,
) -> IpamResult:
    """One full LB IPAM pass. ``dormant_if_no_pools=False`` models the pass Cilium runs
    when the *last* pool is deleted (allocations are stripped before going dormant)."""
    now = now or utc_now()
    parsed = _unique_pools(pools)
    if not parsed and dormant_if_no_pools:
        return IpamResult()
    conflicts = settle_conflicts(parsed)
    ranges = build_ranges(parsed, set(conflicts))
    views = sorted((parse_service(s, config) for s in services), key=lambda v: (v.created, v.namespace, v.name))
    outcomes = _service_outcomes(views, ranges, config, now)
    pool_status = {p.name: _pool_status(p, conflicts.get(p.name), ranges, now) for p in parsed}
    problems = tuple(msg for p in parsed for msg in p.problems)
    return IpamResult(outcomes, pool_status, problems)


def _unique_pools(pools: Sequence[Mapping[str, Any]]) -> list[Pool]:
    """The same pool may be listed under v2alpha1 and v2; keep one per name."""
    by_name: dict[str, Pool] = {}
    for raw in pools:
        pool = parse_pool(raw)
        if pool.name not in by_name or pool.api_version.endswith("/v2"):
            by_name[pool.name] = pool
    return list(by_name.values())


def is_responsible(view: ServiceView, config: IpamConfig) -> bool:
    """lbipam.go ``isResponsibleForSVC``."""
    if not view.is_load_balancer:
        return False
    if view.lb_class is None:
        return config.default_ipam
    return view.lb_class in config.lb_classes


def _service_outcomes(
    views: list[ServiceView], ranges: list[RangeState], config: IpamConfig, now: str
) -> dict[tuple[str, str], ServiceOutcome]:
    ours = [v for v in views if is_responsible(v, config)]
    outcomes = {v.key: _released(v) for v in views if v not in ours and find_condition(v.conditions, SATISFIED)}
    alloc = Allocation(ranges, {v.key: v for v in ours}, now=now)
    kept = {v.key: alloc.import_ingress(v) for v in ours}
    for view in ours:
        ingress, conditions = alloc.satisfy(view, kept[view.key])
        outcomes[view.key] = ServiceOutcome(ingress, conditions)
    return outcomes


def _released(view: ServiceView) -> ServiceOutcome:
    """lbipam.go handleUpsertService: "Remove all ingress IPs and conditions, cleaning up
    the service for reuse by another controller"."""
    return ServiceOutcome([], remove_condition(view.conditions, SATISFIED))


def _pool_status(pool: Pool, conflict: str | None, ranges: list[RangeState], now: str) -> dict[str, Any]:
    conditions = list(pool.conditions)
    already = find_condition(conditions, POOL_CONFLICT)
    if conflict is None:
        conditions = _set(conditions, pool, POOL_CONFLICT, "False", "resolved", "", now)
    elif not (already and already.get("status") == "True"):
        conditions = _set(conditions, pool, POOL_CONFLICT, "True", "cidr_overlap", conflict, now)
    mine = [r for r in ranges if r.pool.name == pool.name]
    total = sum(r.rng.size for r in mine)
    used = sum(r.used for r in mine)  # reserved first/last IPs count as used, as in ipalloc Stats
    for cond_type, count in ((IPS_TOTAL, total), (IPS_AVAILABLE, total - used), (IPS_USED, used)):
        conditions = _set(conditions, pool, cond_type, "Unknown", "noreason", str(count), now)
    return {"conditions": conditions}


def _set(
    conditions: list[Condition], pool: Pool, cond_type: str, status: str, reason: str, message: str, now: str
) -> list[Condition]:
    """lbipam.go ``setPoolCondition``: no change when status/generation/reason/message match."""
    new = {
        "type": cond_type,
        "status": status,
        "observedGeneration": pool.generation,
        "reason": reason,
        "message": message,
    }
    if same_condition(find_condition(conditions, cond_type), new):
        return conditions
    return set_condition(conditions, new, now=now)
