"""Session and scenario fixtures shared by every step module.

    def test_x(cluster, run): ...      # a read view of the target cluster; this run's footprint
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from harness.core.evidence import diagnostic
from harness.core.netaddr import Family
from harness.core.wait import abort_when
from harness.model.profile import Profile
from harness.model.targets import Target
from harness.probes.cluster import Cluster
from harness.probes.diagnostics import cluster_state, router_state, talos_state
from harness.probes.kube import KubeApi
from harness.probes.labctl import lab_command
from harness.probes.router import RouterProbe
from harness.probes.ssh import SshRunner
from harness.probes.talos import TalosClient
from harness.repo import RepoState
from harness.reporting.plugin import RUN_ID
from harness.rules.disks import NodeDiskFacts
from harness.rules.judge import RepoJudge
from provisioning.bootstrap import run_bootstrap
from provisioning.lock import RunLock
from provisioning.run import RunContext
from provisioning.twin import run_twin_bootstrap


@pytest.fixture(scope="session")
def kube(target: Target, profile: Profile) -> Iterator[KubeApi]:
    if target.kubeconfig is None:
        pytest.skip(f"target {target.kind} has no Kubernetes API; this scenario needs live evidence")
    api = KubeApi.from_kubeconfig(target.kubeconfig, target.context, profile.timeouts.request)
    if target.fresh_lab and target.lab is not None:
        if target.lab.twin_repo is not None:          # the twin: the repo's objects, in Flux's order
            repo = RepoState.open(target.lab.twin_repo, cluster=profile.cluster_name,
                                  router_config=profile.bgp.router.config_file)
            for _ in run_twin_bootstrap(api, profile, repo, timeout=profile.timeouts.apply):
                pass
        else:
            for _ in run_bootstrap(api, profile, timeout=profile.timeouts.apply):
                pass
        lab_command("settle", target.lab_dir, profile.source)  # like Flux health checks: wait for convergence
    yield api
    api.close()


@pytest.fixture(scope="session")
def cluster(kube: KubeApi, profile: Profile) -> Iterator[Cluster]:
    view = Cluster(kube, profile.timeouts)
    with diagnostic("cluster objects", lambda: cluster_state(Cluster(kube, profile.timeouts))):
        yield view


@pytest.fixture(scope="session")
def run_lock(kube: KubeApi, profile: Profile, cluster: Cluster,
             pytestconfig: pytest.Config) -> Iterator[tuple[RunLock, RunContext]]:
    """The run lock (a Lease) and this run's footprint, taken by the first mutating scenario."""
    run_id = pytestconfig.stash[RUN_ID]
    with RunLock(kube, run_id, wait=profile.timeouts.lock_wait, duration=profile.timeouts.lock_lease) as lock, \
            RunContext.new(kube, profile.timeouts, run_id, guard=lock.ensure_held) as ctx:
        yield lock, ctx
    cluster.invalidate()


@pytest.fixture
def run(run_lock: tuple[RunLock, RunContext]) -> Iterator[RunContext]:
    """This run's footprint. Taken only by scenarios that change the cluster, so a read-only run
    makes no mutating request at all. Once the run lock is lost, this scenario's waits and every
    later mutating scenario fail at once ("run lock lost to ..."); teardown still removes all."""
    lock, ctx = run_lock
    with abort_when(lock.ensure_held):
        yield ctx


@pytest.fixture
def scenario_stack(cluster: Cluster) -> Iterator[ExitStack]:
    """Objects a scenario creates are entered here and removed when the scenario ends."""
    with ExitStack() as stack:
        yield stack
    cluster.invalidate()


@pytest.fixture(scope="session")
def router_ssh(target: Target, profile: Profile) -> Iterator[SshRunner]:
    """The router over OpenSSH (testinfra's ``ssh`` backend): one connection for the run, host key checked."""
    ssh = target.router_ssh
    if ssh is None:
        pytest.skip(f"target {target.kind} has no router to read; this scenario needs live evidence")
    with SshRunner(host=ssh.host, port=ssh.port, user=ssh.user, key_path=ssh.key_path,
                   known_hosts=ssh.known_hosts, timeout=profile.timeouts.request) as runner:
        yield runner


@pytest.fixture(scope="session")
def router(router_ssh: SshRunner, profile: Profile) -> Iterator[RouterProbe]:
    address = profile.bgp.router.addresses.get(Family.IPV4) or profile.bgp.router.addresses.get(Family.IPV6)
    probe = RouterProbe(router_ssh.run, profile.bgp.router.name, str(address))
    with diagnostic("router BGP state",
                    lambda: router_state(RouterProbe(router_ssh.run, probe.name, probe.address))):
        yield probe


@pytest.fixture(scope="session")
def talos(target: Target, profile: Profile) -> Iterator[TalosClient]:
    if target.talosconfig is None:
        pytest.skip(f"target {target.kind} has no Talos API (--talosconfig); this scenario needs live evidence")
    client = TalosClient.from_talosconfig(target.talosconfig, target.talos_context,
                                          timeout=profile.timeouts.request)
    with diagnostic("Talos disks and volumes", lambda: talos_state(client, profile)):
        yield client
    client.close()


class Evidence:
    """Where a scenario's evidence comes from: a GitOps repo (``repo``) or the running cluster.

    Live fixtures are fetched lazily, so a repo run never needs a cluster, router or Talos API.
    """

    def __init__(self, request: pytest.FixtureRequest, repo: RepoJudge | None) -> None:
        self._request, self.repo = request, repo

    @property
    def cluster(self) -> Cluster:
        return self._request.getfixturevalue("cluster")  # type: ignore[no-any-return]

    @property
    def router(self) -> RouterProbe:
        return self._request.getfixturevalue("router")  # type: ignore[no-any-return]

    @property
    def node_disks(self) -> tuple[NodeDiskFacts, ...]:
        return self._request.getfixturevalue("node_disks")  # type: ignore[no-any-return]


@pytest.fixture
def evidence(request: pytest.FixtureRequest, repo_judge: RepoJudge | None) -> Evidence:
    return Evidence(request, repo_judge)
