"""LoadBalancer pool and address checks.

    pool_differences(profile.pools, cluster.lb_pools(), where="https://...")   # [] when conforming
    address_problem(svc, pool, "ipv4")                                           # None or a description
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import combinations

from harness.core.errors import Unrecoverable
from harness.core.netaddr import Family, family_of
from harness.core.selectors import describe, normalise
from harness.model.objects import LbPoolObject, Service
from harness.model.profile import Ingress, LbPool

IPAM_CONDITION = "cilium.io/IPAMRequestSatisfied"


def pool_differences(expected: Sequence[LbPool], seen: Sequence[LbPoolObject], where: str) -> list[str]:
    by_name = {p.name: p for p in seen}
    problems = []
    for pool in expected:
        live = by_name.get(pool.name)
        if live is None:
            problems.append(f"pool {pool.name} missing at {where}: expected blocks {pool.describe_blocks()}; "
                            f"pools present: {', '.join(sorted(by_name)) or 'none'}")
            continue
        want = sorted((int(b.first), int(b.last)) for b in pool.blocks)
        have = sorted((int(b.first), int(b.last)) for b in live.blocks)
        if want != have:
            problems.append(f"pool {pool.name} at {where}: blocks differ: expected {pool.describe_blocks()}, "
                            f"seen {live.describe_blocks()}")
        if normalise(pool.selector) != normalise(live.selector):
            problems.append(f"pool {pool.name} at {where}: serviceSelector differs: expected "
                            f"{describe(pool.selector)}, seen {describe(live.selector)}")
        if live.disabled:
            problems.append(f"pool {pool.name} at {where}: disabled (spec.disabled: true)")
    return problems


def overlaps(pools: Iterable[LbPoolObject], where: str) -> list[str]:
    pools = sorted(pools, key=lambda p: p.name)      # read once: a one-shot iterable is judged whole
    problems = []
    for a, b in combinations(pools, 2):
        for ba in a.blocks:
            for bb in b.blocks:
                if ba.overlaps(bb):
                    low = max(int(ba.first), int(bb.first))
                    high = min(int(ba.last), int(bb.last))
                    problems.append(f"pools {a.name} ({ba}) and {b.name} ({bb}) overlap at {where}: "
                                    f"{high - low + 1} shared address(es) from {type(ba.first)(low)}")
    for pool in pools:
        for cond in pool.conditions:
            if cond.type == "cilium.io/PoolConflict" and cond.status == "True":
                problems.append(f"pool {pool.name} at {where} reports a conflict: {cond.message or cond.reason}")
    return problems


def address_problem(svc: Service | None, pool: LbPool, family: Family, ref: str) -> str | None:
    """None once the service holds an address of ``family`` inside ``pool``."""
    if svc is None:
        return f"service {ref} not found"
    mine = [ip for ip in svc.lb_addresses if family_of(ip) == family]
    if not mine:
        problem = (f"service {ref} (labels {svc.labels}) has no {family} LoadBalancer address; "
                   f"expected one from pool {pool.name} ({pool.describe_blocks()}); {svc.describe_conditions()}")
        if pending_reason(svc):
            raise Unrecoverable(problem)  # Cilium has decided; waiting will not change its mind
        return problem
    outside = [str(ip) for ip in mine if not pool.contains(ip)]
    if outside:
        return (f"service {ref} got {', '.join(outside)}, outside pool {pool.name} "
                f"({pool.describe_blocks()})")
    return None


def pending_problem(svc: Service | None, ref: str, pools: Sequence[LbPoolObject]) -> str | None:
    """None while the service is pending with Cilium saying why; a description otherwise."""
    if svc is None:
        return f"service {ref} not found"
    if svc.lb_addresses:
        owners = [f"{ip} (pool {next((p.name for p in pools if any(b.contains(ip) for b in p.blocks)), '?')})"
                  for ip in svc.lb_addresses]
        return f"service {ref} was given {', '.join(owners)}; expected it to stay pending"
    return None


def pending_reason(svc: Service | None) -> str | None:
    """Cilium's stated reason for not allocating, when it has written one."""
    if svc is None:
        return None
    cond = svc.condition(IPAM_CONDITION)
    return None if cond is None or cond.status != "False" else f"{cond.reason}: {cond.message}"


def holder_of(address: str, services: Iterable[Service], exclude: str) -> list[str]:
    return [s.ref for s in services if s.ref != exclude and any(str(ip) == address for ip in s.lb_addresses)]


def ingress_address_problems(ingress: Ingress, svc: Service | None, services: Iterable[Service],
                             where: str) -> list[str]:
    """The ingress controller's Service must hold the profiled address of every family."""
    ref = f"{ingress.namespace}/{ingress.service}"
    problems = []
    for family in ingress.addresses.families:
        want = str(ingress.addresses.get(family))
        if svc is not None and want in {str(ip) for ip in svc.lb_addresses}:
            continue
        holders = holder_of(want, services, exclude=ref)
        seen = (", ".join(str(ip) for ip in svc.lb_addresses) or "none") if svc else "service not found"
        problems.append(f"ingress service {ref} at {where}: expected {family} address {want}, seen {seen}"
                        + (f"; {want} is held by {', '.join(holders)}" if holders else "")
                        + (f"; {svc.describe_conditions()}" if svc else ""))
    return problems
