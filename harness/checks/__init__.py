"""Comparisons of required state (profile) with evidence (cluster, router, repo).

    problems = lb.pool_differences(profile.pools, cluster.lb_pools(), where=cluster.url)
    if problems: raise CheckFailed("\n".join(problems))

Each function returns descriptions of what differs (what, where, expected, seen); empty means conforming.
"""
