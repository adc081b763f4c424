"""Steps for features/dual_stack.feature."""

from __future__ import annotations

from contextlib import ExitStack

from pytest_bdd import parsers, then, when

from harness.core.errors import CheckFailed
from harness.core.netaddr import Family
from harness.core.selectors import labels_selecting
from harness.core.wait import wait_until
from harness.model.profile import Profile
from harness.probes.cluster import Cluster
from harness.probes.dns import DnsProbe
from harness.probes.packets import ping
from harness.rules import dual_stack as ds
from harness.rules import require
from harness.rules.requirements import Requirement as R
from provisioning.manifests import cluster_ip_service
from provisioning.run import RunContext
from steps import FAMILY
from steps.fixtures import Evidence

KUBE_PROXY = "k8s-app=kube-proxy"


@then(parsers.parse("every node reports an {family} InternalIP equal to its profiled address, inside the "
                    "management network"), converters=FAMILY)
def node_addresses(profile: Profile, cluster: Cluster, family: Family) -> None:
    require(ds.node_address_problems(profile, cluster.nodes(), family, cluster.url))


@then(parsers.parse("every node has exactly one {family} pod CIDR inside the pod network, overlapping no other "
                    "node's"), converters=FAMILY)
def pod_cidrs(profile: Profile, evidence: Evidence, family: Family) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.pods(family)))
    require(ds.pod_cidr_problems(profile, evidence.cluster.nodes(), family, evidence.cluster.url))


@then("every ClusterIP of every Service lies inside the profiled service network of its family")
def service_networks(profile: Profile, evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.SERVICE_NETWORKS))
    cluster = evidence.cluster
    require(ds.service_network_problems(profile, cluster.services(), cluster.url))


@when("a RequireDualStack ClusterIP service is created", target_fixture="created_service")
def dual_stack_cluster_ip(run: RunContext, scenario_stack: ExitStack, profile: Profile, namespace: str) -> str:
    families = profile.networks.services.families
    scenario_stack.enter_context(run.service(cluster_ip_service(namespace, "dual-stack-probe",
                                                                policy="RequireDualStack", families=families)))
    return f"{namespace}/dual-stack-probe"


@then("the service has a ClusterIP inside each profiled service network")
def cluster_ips(profile: Profile, cluster: Cluster, created_service: str) -> None:
    ns, name = created_service.split("/")
    require(ds.cluster_ip_problems(profile, cluster.service(ns, name, fresh=True), created_service))


@when(parsers.parse('a dual-stack LoadBalancer service labelled for pool "{pool}" is created'),
      target_fixture="created_service")
def dual_stack_lb(run: RunContext, scenario_stack: ExitStack, profile: Profile, namespace: str, pool: str) -> str:
    labels = labels_selecting(profile.pool(pool).selector)
    families = profile.networks.load_balancer.families
    scenario_stack.enter_context(run.lb_service(namespace, "dual-stack-lb", labels=labels, families=families))
    return f"{namespace}/dual-stack-lb"


@then("the service gets an address in each family from the pools selecting its labels")
def dual_stack_addresses(profile: Profile, cluster: Cluster, created_service: str) -> None:
    ns, name = created_service.split("/")
    wait_until(lambda: ds.dual_stack_lb_problem(profile, cluster.service(ns, name, fresh=True), created_service),
               timeout=profile.timeouts.assert_, what=f"dual-stack addresses for {created_service}")


@then("kube-proxy is absent from the cluster if the profile says Cilium replaces it, present otherwise")
def kube_proxy(profile: Profile, evidence: Evidence) -> None:
    if evidence.repo:
        return require(evidence.repo.problems(R.KUBE_PROXY))
    cluster = evidence.cluster
    found = cluster.workload_names("kube-system", KUBE_PROXY)
    if profile.kube_proxy_replaced and found:
        raise CheckFailed(f"kube-proxy runs at {cluster.url} ({', '.join(found)} in kube-system, {KUBE_PROXY}) "
                          f"although the profile says Cilium replaces it")
    if not profile.kube_proxy_replaced and not found:
        raise CheckFailed(f"no kube-proxy at {cluster.url} (kube-system, {KUBE_PROXY}); the profile expects it")


@then(parsers.parse("every node answers an {family} echo request on its profiled address"), converters=FAMILY)
def nodes_answer_echo(profile: Profile, family: Family) -> None:
    problems = []
    for node in profile.nodes:
        address = str(node.addresses.require(family, f"{node.name} address"))
        answer = ping(address, timeout=profile.timeouts.request / 5)
        if not answer.replied:
            problems.append(f"node {node.name} did not answer an {family} echo request on {address}: "
                            f"{answer.kind}{' from ' + answer.responder if answer.responder else ''}")
    require(problems)


@then(parsers.parse("every protected host resolves in {family} to the profile's ingress address"), converters=FAMILY)
def hosts_resolve(profile: Profile, dns_probe: DnsProbe, family: Family) -> None:
    want = str(profile.ingress.addresses.require(family, "ingress address"))
    problems = []
    for host in profile.identity.hosts:
        answer = dns_probe.addresses(host, family)
        if answer.addresses != (want,):
            problems.append(f"{answer.describe()}; expected exactly {want}")
    require(problems)
