"""The router's configuration, and the router as a testinfra Host for owners' own steps.

    def test_frr_is_running(router_host):                 # a step or test of your own
        assert router_host.process.filter(comm="bgpd"), "no bgpd running on the router"

``router_host`` is the testinfra Host (pytest-testinfra, ``ssh`` backend: OpenSSH with the run's key
and known_hosts, strict host-key checking) on the router the run reads; it shares the ``router``
probe's connection.

The repo-judgeable BGP scenario ("the cluster's BGP configuration advertises every advertised pool,
and the router accepts its addresses from every node") has its live twin here: on a cluster the
router's running configuration (``show running-config`` through vtysh over the same SSH) is judged
by the FRR evaluator that judges the repo's router file (harness/repo/frr.py: prefix-lists with
``le``/``ge``, implicit deny, route-maps, ``ebgp-requires-policy``); the advertising half is judged
end to end by the route scenarios. This definition takes the step over from the one in
steps/bgp.py (registered after it in the root conftest; tests/harness/test_ssh_testinfra.py checks
that this one is the one used) and judges a repo exactly as that one does.
"""

from __future__ import annotations

import shlex
from typing import Any

import pytest
from pytest_bdd import then

from harness.core.errors import RouterError
from harness.core.netaddr import FAMILIES, AddressBlock
from harness.model.profile import Profile
from harness.probes.router import RouterProbe
from harness.probes.ssh import SshRunner
from harness.repo.frr import policy_problems
from harness.repo.frr_parse import parse_running_config
from harness.rules import require
from harness.rules.requirements import Requirement as R
from steps.fixtures import Evidence

RUNNING_CONFIG = "show running-config"
ADVERTISED_AND_ACCEPTED = ("the cluster's BGP configuration advertises every advertised pool, and the router "
                           "accepts its addresses from every node")


@pytest.fixture(scope="session")
def router_host(router_ssh: SshRunner) -> Any:
    """The router as a testinfra Host (``host.run``, ``host.file``, ``host.process`` ...), over the run's SSH."""
    return router_ssh.host


def running_config_problems(profile: Profile, router_ssh: SshRunner, where: str) -> list[str]:
    """The router's running configuration judged against the profile: every advertised pool and the
    router's accepted prefixes accepted from every node's session carrying the family."""
    command = f"vtysh -c {shlex.quote(RUNNING_CONFIG)}"
    text = router_ssh.run(command)
    try:
        conf = parse_running_config(text, f"{where} running-config")
    except ValueError as exc:
        raise RouterError(f"{where}: {command!r}: {exc}") from exc
    bgp = profile.bgp
    peers = {family: {str(address): node.name for node in profile.nodes
                      if (address := node.addresses.get(bgp.session_family(family))) is not None}
             for family in FAMILIES}
    ranges = [(f"bgp.router.accepted_prefixes.{family}", AddressBlock.parse_cidr(str(net)))
              for family, net in bgp.router.accepted.values]
    ranges += [(f"lb_pools[{pool.name}]", block) for pool in profile.pools if pool.advertised for block in pool.blocks]
    return policy_problems(conf, router_asn=bgp.router.asn, cluster_asn=bgp.cluster_asn, peers=peers, ranges=ranges)


@then(ADVERTISED_AND_ACCEPTED)
def advertised_and_accepted(evidence: Evidence, profile: Profile, request: pytest.FixtureRequest) -> None:
    if evidence.repo is not None:
        return require(evidence.repo.problems(R.BGP))
    router: RouterProbe = request.getfixturevalue("router")          # skips, saying why, without a router
    require(running_config_problems(profile, request.getfixturevalue("router_ssh"), router.where))
