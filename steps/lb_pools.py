"""Steps for features/lb_pools.feature (pools and addresses; service creation lives in steps.services)."""

from __future__ import annotations

from pytest_bdd import then

from harness.model.profile import Profile
from harness.rules import lb, require
from harness.rules.requirements import Requirement as R
from steps.fixtures import Evidence


@then("every LB pool in the profile exists on the cluster with the same blocks and service selector")
def pools_as_profiled(profile: Profile, evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.POOLS))
    require(lb.pool_differences(profile.pools, evidence.cluster.lb_pools(), where=evidence.cluster.url))


@then("no two LB pools on the cluster share an address and none reports a conflict")
def pools_do_not_overlap(evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.OVERLAP))
    require(lb.overlaps(evidence.cluster.lb_pools(), where=evidence.cluster.url))


@then("the ingress controller's service holds the profile's ingress address in every family")
def ingress_addresses(profile: Profile, evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.INGRESS))
    cluster, ing = evidence.cluster, profile.ingress
    require(lb.ingress_address_problems(ing, cluster.service(ing.namespace, ing.service), cluster.services(),
                                        cluster.url))
