"""The rule set: comparisons of required state (profile) with evidence (cluster, router, repo).

    problems = lb.pool_differences(profile.pools, cluster.lb_pools(), where=cluster.url)
    if problems: raise CheckFailed("\n".join(problems))

Each function returns descriptions of what differs (what, where, expected, seen); empty means conforming.
Live rules: lb, bgp, dual_stack, disks, edge, flux, cluster_config. Repo rules (typed findings, each
naming its Requirement and so the one scenario that fails on it): repo_network, repo_bgp, repo_apps,
repo_architecture, gathered by drift and judged per scenario by judge.RepoJudge; history walks commits.
"""

from collections.abc import Iterable

from harness.core.errors import CheckFailed


def require(problems: Iterable[str | None]) -> None:
    """Fail with every problem found (one per line); pass when there are none."""
    __tracebackhide__ = True
    found = [p for p in problems if p]
    if found:
        raise CheckFailed("\n".join(found))
