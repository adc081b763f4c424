"""Per-range allocation state and pool-conflict settling for the LB IPAM model.

    states = build_ranges(pools, conflicting)            # one RangeState per pool block
    ip = states[0].alloc_any(("ns", "svc"))              # Cilium's choice of the next free IP

Allocation order mirrors pkg/ipalloc/ipalloc.go ``HashAllocator.AllocAny``: free IPs are
kept as maximal contiguous blocks in a min-heap by size, and the first address of the
*smallest* block is taken (ties: lowest address here; Go's heap order is unspecified).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from lab.cilium.conditions import find_condition
from lab.cilium.ipam_model import IPAddr, IpRange, Pool

POOL_CONFLICT = "cilium.io/PoolConflict"
SvcKey = tuple[str, str]


@dataclass
class RangeState:
    pool: Pool
    rng: IpRange
    enabled: bool
    #: allocated IP (as int) -> services sharing it; [] marks a reserved first/last IP.
    holders: dict[int, list[SvcKey]] = field(default_factory=dict)

    def contains(self, ip: IPAddr) -> bool:
        return self.rng.contains(ip)

    def is_allocated(self, ip: IPAddr) -> bool:
        return int(ip) in self.holders

    def alloc(self, ip: IPAddr, key: SvcKey) -> None:
        self.holders.setdefault(int(ip), []).append(key)

    def alloc_any(self, key: SvcKey) -> IPAddr | None:
        blocks = self._free_blocks()
        if not blocks:
            return None
        start, _ = min(blocks, key=lambda b: (b[1] - b[0], b[0]))
        ip: IPAddr = ipaddress.IPv6Address(start) if self.rng.is_v6 else ipaddress.IPv4Address(start)
        self.holders[start] = [key]
        return ip

    def _free_blocks(self) -> list[tuple[int, int]]:
        blocks, cursor, last = [], int(self.rng.first), int(self.rng.last)
        for used in sorted(self.holders):
            if used > cursor:
                blocks.append((cursor, used - 1))
            cursor = max(cursor, used + 1)
        if cursor <= last:
            blocks.append((cursor, last))
        return blocks

    @property
    def used(self) -> int:
        return len(self.holders)


def build_ranges(pools: Sequence[Pool], conflicting: set[str]) -> list[RangeState]:
    """Ranges in rangesStore order: pools oldest first, blocks in spec order."""
    states: list[RangeState] = []
    for pool in sort_pools(pools):
        enabled = not pool.disabled and pool.name not in conflicting
        for rng in pool.ranges:
            state = RangeState(pool, rng, enabled)
            # lbipam.go handleNewPool: reserve first+last only for CIDRs larger than 2 IPs.
            if rng.from_cidr and pool.reserve_first_last and rng.size > 2:
                state.holders[int(rng.first)] = []
                state.holders[int(rng.last)] = []
            states.append(state)
    return states


def sort_pools(pools: Sequence[Pool]) -> list[Pool]:
    return sorted(pools, key=lambda p: (p.created, p.name))


def settle_conflicts(pools: Sequence[Pool]) -> dict[str, str]:
    """Pools that end up marked ``cilium.io/PoolConflict`` -> their condition message.

    lbipam.go ``settleConflicts``: a pool already marked stays marked while it still
    overlaps anything; among two unmarked overlapping pools the *newer* one (by
    creationTimestamp) is marked; a pool whose own blocks overlap is marked too.
    """
    ordered = sort_pools(pools)
    marked = {p.name: msg for p in ordered if (msg := _prior_message(p)) is not None}
    for outer in ordered:
        if outer.name in marked:
            continue
        internal = _internal_overlap(outer)
        if internal is not None:
            marked[outer.name] = _message(internal[0], internal[1], outer.name)
            continue
        _mark_first_overlap(outer, ordered, marked)
    for pool in ordered:
        if pool.name in marked and not _still_conflicting(pool, ordered):
            del marked[pool.name]
    return marked


def _mark_first_overlap(outer: Pool, ordered: list[Pool], marked: dict[str, str]) -> None:
    for inner in ordered:
        if inner.name == outer.name or inner.name in marked:
            continue
        pair = _overlap(outer, inner)
        if pair is None:
            continue
        # "If two pools are conflicting, disable/mark the newest pool".
        if (outer.created, outer.name) < (inner.created, inner.name):
            marked[inner.name] = _message(pair[1], pair[0], outer.name)
        else:
            marked[outer.name] = _message(pair[0], pair[1], inner.name)
        return


def _still_conflicting(pool: Pool, ordered: list[Pool]) -> bool:
    if _internal_overlap(pool) is not None:
        return True
    return any(other.name != pool.name and _overlap(pool, other) for other in ordered)


def _overlap(a: Pool, b: Pool) -> tuple[IpRange, IpRange] | None:
    return next(((ra, rb) for ra in a.ranges for rb in b.ranges if ra.overlaps(rb)), None)


def _internal_overlap(pool: Pool) -> tuple[IpRange, IpRange] | None:
    pairs = ((a, b) for i, a in enumerate(pool.ranges) for j, b in enumerate(pool.ranges) if i != j)
    return next(((a, b) for a, b in pairs if a.overlaps(b)), None)


def _message(target: IpRange, collision: IpRange, other_pool: str) -> str:
    # lbipam.go markPoolConflicting conflictMessage.
    return f"Pool conflicts since range '{target.label}' overlaps range '{collision.label}' from IP Pool '{other_pool}'"


def _prior_message(pool: Pool) -> str | None:
    cond = find_condition(pool.conditions, POOL_CONFLICT)
    if cond is None or cond.get("status") != "True":
        return None
    return str(cond.get("message", ""))
