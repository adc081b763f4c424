"""Preflight: is every endpoint and credential a live run needs usable? One line each, and the first fix.

    for line in preflight(Inputs(profile, target, authentik_credentials=None, env=os.environ)):
        print(line.render())           # "ok    router SSH root@172.29.51.1:22: ..." / "FAIL  ..." / "skip  ..."

Read-only: GETs, SSH commands that only show, DNS queries, one TLS handshake per family, and the
Authentik login (which creates a session, as a browser's login does). Checks, in order:

- Kubernetes: the API answers (``GET /version``); the identity it sees (the kubeconfig's client
  certificate subject, accepted by ``GET /api``; or SelfSubjectReview for token credentials); it can
  list what the features read (nodes, services, ingresses, Cilium LB pools, kube-system DaemonSets
  and Pods), tried with ``limit=1``.
- Talos: per node, the running version from the COSI resource ``Versions.runtime.talos.dev``
  (``runtime/version``, Talos >= v1.10) through apid, with the talosconfig's mTLS.
- the router: SSH as the run does it (OpenSSH, strict host keys) and FRR's version (``show version``).
- DNS: each profiled server answers A/AAAA for a protected host.
- TLS: the ingress certificate for that host verifies against ``--ca-bundle`` (or the system CAs).
- Authentik: the test account logs in through the flow executor (skipped, saying why, without one).

A broken input fails its own line (and the lines that need it are skipped, saying so); nothing
secret is printed: no key, token, password or certificate body, only names and subjects.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from cryptography import x509
from cryptography.x509.oid import NameOID

from harness.core.errors import ConfigError, DnsError, HarnessError, KubeApiError
from harness.core.netaddr import Family
from harness.model.profile import Profile
from harness.model.targets import SshEndpoint, Target, TargetKind
from harness.probes import authn
from harness.probes.dns import DnsProbe
from harness.probes.http import HttpProbe
from harness.probes.kube import DAEMONSETS, INGRESSES, NODES, PODS, SERVICES, KubeApi, Resource
from harness.probes.router import RouterProbe
from harness.probes.ssh import SshRunner
from harness.probes.talos import (
    RUNTIME,
    ResourceNotFound,
    TalosApiError,
    TalosClient,
    TalosConfigError,
    load_talosconfig,
)
from harness.rules.edge import certificate_problem

OK, FAIL, SKIP = "ok", "FAIL", "skip"
#: Talos's version resource (siderolabs/talos pkg/machinery/resources/runtime/version.go, since v1.10.0)
TALOS_VERSIONS = "Versions.runtime.talos.dev"
SELF_SUBJECT_REVIEW = "/apis/authentication.k8s.io/v1/selfsubjectreviews"


@dataclass(frozen=True)
class Line:
    status: str          # ok | FAIL | skip
    what: str            # the endpoint or credential checked
    detail: str          # what was seen
    fix: str = ""        # the first fix to make (FAIL), or how to enable the check (skip)

    def render(self) -> str:
        detail = " ".join(self.detail.split())
        fix = f"; fix: {self.fix}" if self.fix and self.status != OK and "fix:" not in detail else ""
        return f"{self.status:<4}  {self.what}: {detail}{fix}"


@dataclass(frozen=True)
class Inputs:
    profile: Profile
    target: Target                          # a live target (files not yet checked) or a lab's
    authentik_credentials: Path | None = None
    env: Mapping[str, str] | None = None

    @property
    def timeout(self) -> float:
        return self.profile.timeouts.request


def live_target(profile: Profile, *, kubeconfig: Path | None, context: str | None, talosconfig: Path | None,
                talos_context: str | None, router_key: Path | None, router_known_hosts: Path | None,
                ca_bundle: Path | None, env: Mapping[str, str]) -> Target:
    """The target a ``--target live`` run builds from the same options (files are checked by the lines)."""
    router = profile.bgp.router
    key = router_key or (Path(env[router.ssh.key_env]) if env.get(router.ssh.key_env) else None)
    host = router.addresses.get(Family.IPV4) or router.addresses.require(Family.IPV6, "router address")
    return Target(TargetKind.LIVE, kubeconfig, context, False, talosconfig=talosconfig, talos_context=talos_context,
                  ca_bundle=ca_bundle,
                  router_ssh=SshEndpoint(str(host), router.ssh.port, router.ssh.user, key, router_known_hosts))


def preflight(inputs: Inputs) -> Iterator[Line]:
    yield from _kubernetes(inputs)
    yield from _talos(inputs)
    yield from _router(inputs)
    yield from _dns(inputs)
    yield from _ingress_tls(inputs)
    yield from _authentik(inputs)


def failed(lines: list[Line]) -> bool:
    return any(line.status == FAIL for line in lines)


def summary(lines: list[Line]) -> str:
    count = {s: sum(1 for line in lines if line.status == s) for s in (FAIL, OK, SKIP)}
    return f"preflight: {count[FAIL]} FAIL, {count[OK]} ok, {count[SKIP]} skip"


# -- Kubernetes ---------------------------------------------------------------------------------------
READS: tuple[tuple[Resource, str | None], ...] = (
    (NODES, None), (SERVICES, None), (INGRESSES, None), (DAEMONSETS, "kube-system"), (PODS, "kube-system"))


def _kubernetes(inputs: Inputs) -> Iterator[Line]:
    target = inputs.target
    if target.kubeconfig is None:
        yield Line(SKIP, "Kubernetes API", "no kubeconfig given", "give --kubeconfig (and --context)")
        return
    what = f"Kubernetes API (kubeconfig {target.kubeconfig})"
    try:
        if not target.kubeconfig.is_file():
            raise ConfigError(f"--kubeconfig {target.kubeconfig}: no such file")
        api = KubeApi.from_kubeconfig(target.kubeconfig, target.context, inputs.timeout)
    except ConfigError as exc:
        yield Line(FAIL, what, str(exc), "give a readable kubeconfig with that context (talosctl kubeconfig "
                                         "writes one)")
        yield from _skipped(("Kubernetes identity", "Kubernetes read access"), "no usable kubeconfig")
        return
    try:
        try:
            version = api.server_version()
        except KubeApiError as exc:
            yield Line(FAIL, f"Kubernetes API {api.url}", str(exc), _kube_fix(str(exc), target.kubeconfig))
            yield from _skipped(("Kubernetes identity", "Kubernetes read access"), "the API is not reachable")
            return
        yield Line(OK, f"Kubernetes API {api.url}", f"reachable, {version.get('gitVersion', 'version unknown')} "
                                                     "(GET /version)")
        identity = _identity(api, target.kubeconfig, target.context)
        yield identity
        if identity.status == FAIL:
            yield from _skipped(("Kubernetes read access",), "the API refuses the credential")
            return
        yield _reads(api)
    finally:
        api.close()


def _kube_fix(message: str, kubeconfig: Path) -> str:
    if "CERTIFICATE_VERIFY_FAILED" in message or "certificate verify failed" in message:
        return (f"the certificate-authority-data in {kubeconfig} does not sign the API server's certificate: "
                "put the cluster's CA there (talosctl kubeconfig writes it)")
    if " 401 " in message:
        return f"the API refuses the credential in {kubeconfig}: renew it (talosctl kubeconfig)"
    return f"check the server address in {kubeconfig} (the control-plane VIP) and that this machine reaches it"


def _identity(api: KubeApi, kubeconfig: Path, context: str | None) -> Line:
    what = "Kubernetes identity"
    try:
        api.request("GET", "/api")                     # needs an authenticated identity (system:discovery)
    except KubeApiError as exc:
        return Line(FAIL, what, str(exc), _kube_fix(str(exc), kubeconfig))
    subject = client_certificate_subject(kubeconfig, context)
    if subject is not None:
        return Line(OK, what, f"{subject} (client certificate of the kubeconfig's context), accepted by the API")
    try:
        review = api.request("POST", SELF_SUBJECT_REVIEW, body={
            "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"})
    except KubeApiError as exc:
        if exc.status == 404:
            return Line(OK, what, "accepted by the API (it serves no SelfSubjectReview to name it)")
        return Line(FAIL, what, str(exc), _kube_fix(str(exc), kubeconfig))
    user = (review.get("status") or {}).get("userInfo") or {}
    groups = ", ".join(user.get("groups") or []) or "none"
    return Line(OK, what, f"{user.get('username', '?')} (groups {groups}; SelfSubjectReview)")


def client_certificate_subject(kubeconfig: Path, context: str | None) -> str | None:
    """``CN=..., O=...`` of the context's client certificate (data or file), None when it uses none."""
    try:
        doc = yaml.safe_load(kubeconfig.read_text(encoding="utf-8")) or {}
        name = context or doc.get("current-context")
        ctx = next(c.get("context") or {} for c in doc.get("contexts") or [] if c.get("name") == name)
        user = next(u.get("user") or {} for u in doc.get("users") or [] if u.get("name") == ctx.get("user"))
        if user.get("client-certificate-data"):
            pem = base64.b64decode(user["client-certificate-data"])
        elif user.get("client-certificate"):
            pem = (kubeconfig.parent / str(user["client-certificate"])).read_bytes()
        else:
            return None
        cert = x509.load_pem_x509_certificate(pem)
    except (OSError, ValueError, StopIteration, AttributeError, yaml.YAMLError):
        return None
    parts = [f"CN={a.value!s}" for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    parts += [f"O={a.value!s}" for a in cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    return ", ".join(parts) or cert.subject.rfc4514_string()


def _reads(api: KubeApi) -> Line:
    what = "Kubernetes read access"
    reads = list(READS)
    refused: list[str] = []
    try:
        reads.append((api.resource_for("cilium.io", "CiliumLoadBalancerIPPool"), None))
    except KubeApiError as exc:
        refused.append(f"discover CiliumLoadBalancerIPPool: {exc}")
    for res, namespace in reads:
        try:
            api.request("GET", res.path(namespace), query={"limit": "1"})
        except KubeApiError as exc:
            refused.append(f"list {res.plural}{f' in {namespace}' if namespace else ''}: {exc}")
    kinds = ", ".join(f"{r.plural}{f' ({n})' if n else ''}" for r, n in reads)
    if refused:
        return Line(FAIL, what, f"{len(refused)} of {len(reads)} refused: " + "; ".join(refused),
                    "grant the identity get/list/watch on those kinds (a read-only ClusterRole)")
    return Line(OK, what, f"can list {kinds}")


# -- Talos ----------------------------------------------------------------------------------------------
def _talos(inputs: Inputs) -> Iterator[Line]:
    target = inputs.target
    if target.talosconfig is None:
        yield Line(SKIP, "Talos API", "no talosconfig given", "give --talosconfig (and --talos-context)")
        return
    what = f"Talos API (talosconfig {target.talosconfig})"
    try:
        if not target.talosconfig.is_file():
            raise ConfigError(f"--talosconfig {target.talosconfig}: no such file")
        context = load_talosconfig(target.talosconfig).context(target.talos_context)
        client = TalosClient(context, timeout=inputs.timeout)
    except ConfigError as exc:
        yield Line(FAIL, what, str(exc), "give a talosconfig talosctl accepts (talhelper/talosctl gen config)")
        return
    nodes = [(n.name, str(n.addresses.get(Family.IPV4) or n.addresses.get(Family.IPV6))) for n in inputs.profile.nodes]
    try:
        for index, (name, address) in enumerate(nodes):
            line = f"Talos on {name} ({address})"
            try:
                found = client.get(TALOS_VERSIONS, RUNTIME, "version", address)
                yield Line(OK, line, f"Talos {found.spec.get('version', '?')} via {client.endpoint} "
                                     f"({TALOS_VERSIONS})")
            except ResourceNotFound:
                yield Line(OK, line, f"the API answers via {client.endpoint}; no {TALOS_VERSIONS} "
                                     "(Talos before v1.10 has none: talosctl version shows it)")
            except TalosConfigError as exc:       # TLS: the CA, the client certificate, the key
                yield Line(FAIL, what, str(exc), f"the CA in {target.talosconfig} must sign apid's certificate "
                                                 "and apid must accept its client certificate (talosctl config "
                                                 "from the cluster's secrets)")
                yield from _skipped([f"Talos on {n} ({a})" for n, a in nodes[index + 1:]], "TLS to apid failed")
                return
            except TalosApiError as exc:
                if index == 0 and "failed to connect to all addresses" in str(exc):
                    yield Line(FAIL, what, str(exc), f"check the endpoints in {target.talosconfig}: apid "
                                                     "listens on port 50000 of the nodes")
                    yield from _skipped([f"Talos on {n} ({a})" for n, a in nodes[1:]], "apid is not reachable")
                    return
                yield Line(FAIL, line, str(exc), "check the node's address in the profile and that apid "
                                                 "reaches it (talosctl -n ADDRESS version)")
    finally:
        client.close()


# -- the router -------------------------------------------------------------------------------------------
def _router(inputs: Inputs) -> Iterator[Line]:
    ssh, router = inputs.target.router_ssh, inputs.profile.bgp.router
    if ssh is None:
        yield Line(SKIP, "router SSH", "the target names no router", "give --router-key (live runs)")
        return
    key = f"key {ssh.key_path}" if ssh.key_path else "no key given (ssh offers the agent's and default keys)"
    runner = SshRunner(host=ssh.host, port=ssh.port, user=ssh.user, key_path=ssh.key_path,
                       known_hosts=ssh.known_hosts, timeout=inputs.timeout)
    what = f"router {router.name} SSH {runner.where}"
    try:
        version = RouterProbe(runner.run, router.name, ssh.host).version()
        yield Line(OK, what, f"FRRouting {version} (vtysh -c 'show version'); {key}, host key checked against "
                             f"{runner.known_hosts_name}")
    except ConfigError as exc:
        yield Line(FAIL, what, str(exc), f"give the router's key with --router-key or ${router.ssh.key_env}, and "
                                         "its known_hosts with --router-known-hosts")
    except HarnessError as exc:
        yield Line(FAIL, what, str(exc), f"check {key} and that this machine reaches {ssh.host}:{ssh.port}")
    finally:
        runner.close()


# -- DNS and the ingress certificate ------------------------------------------------------------------------
def _probe_host(profile: Profile) -> str:
    return profile.identity.hosts[0] if profile.identity.hosts else profile.identity.authentik_host


def _dns(inputs: Inputs) -> Iterator[Line]:
    profile = inputs.profile
    host = _probe_host(profile)
    for family, server in profile.identity.dns_servers.values:
        probe = DnsProbe({family: str(server)}, timeout=round(inputs.timeout / 3, 1))
        rrtype = "A" if family == "ipv4" else "AAAA"
        what = f"DNS {server} ({family})"
        try:
            answer = probe.addresses(host, family)
        except DnsError as exc:
            yield Line(FAIL, what, str(exc), f"check the DNS server address in the profile "
                                             f"(identity.dns_servers.{family}) and that this machine reaches it")
            continue
        if answer.rcode != "NOERROR" or answer.is_empty:
            yield Line(FAIL, what, answer.describe(), f"the server must answer {rrtype} for {host} (the protected "
                                                      f"domain {profile.identity.protected_domain}; external-dns)")
        else:
            yield Line(OK, what, f"answers {answer.describe()}")


def _ingress_tls(inputs: Inputs) -> Iterator[Line]:
    profile, target = inputs.profile, inputs.target
    host = _probe_host(profile)
    ca = target.ca_bundle
    trust = f"CA bundle {ca}" if ca else "the system's CAs (no --ca-bundle)"
    if ca is not None and not Path(ca).is_file():
        yield Line(FAIL, f"ingress certificate for {host}", f"--ca-bundle {ca}: no such file",
                   "give the CA that signs the ingress certificates")
        return
    ingress = {str(f): str(a) for f, a in profile.ingress.addresses.values}
    http = HttpProbe(lambda h, f: [ingress[f]], Path(ca) if ca else None, timeout=inputs.timeout / 2)
    unreachable = []
    for family in profile.ingress.addresses.families:   # the certificate is the same over either family:
        what = f"ingress certificate for {host} at {ingress[family]} ({family})"   # judged over the first
        chain = http.fetch_chain(f"https://{host}/", family, max_hops=1)          # that connects
        problem = certificate_problem(chain, host)
        error = chain.hops[0].error or ""
        if problem is not None and "SSL" not in error and "certificate" not in error.lower():
            unreachable.append(problem)       # no TLS handshake at all: routing is the bgp feature's to judge
            continue
        if problem is None:
            yield Line(OK, what, f"verifies against {trust} and names {host}")
        else:
            yield Line(FAIL, what, problem, f"give the CA that signs the ingress certificates with --ca-bundle "
                                            f"(now: {trust}), or fix the certificate cert-manager issued")
        return
    yield Line(FAIL, f"ingress certificate for {host}", "; ".join(unreachable),
               "check that this machine reaches the ingress addresses (the router must route the LB range)")


# -- Authentik ---------------------------------------------------------------------------------------------
def _authentik(inputs: Inputs) -> Iterator[Line]:
    profile, target = inputs.profile, inputs.target
    what = "Authentik test account"
    try:
        source = authn.find_source(inputs.authentik_credentials, target.authentik_login,
                                   inputs.env if inputs.env is not None else os.environ)
    except ConfigError as exc:
        yield Line(FAIL, what, str(exc), f"give {authn.CREDENTIALS_OPTION} FILE or ${authn.USER_ENV} with "
                                         f"${authn.PASSWORD_ENV}")
        return
    if source is None or source.credentials is None:
        why = authn.NO_ACCOUNT if source is None else f"only outpost cookies (${authn.SESSION_ENV}), no account"
        yield Line(SKIP, what, f"skipped: {why}")
        return
    host = _probe_host(profile)
    family = profile.ingress.addresses.families[0]
    http = HttpProbe(_resolver(inputs), _ca(target), timeout=inputs.timeout / 2)
    try:
        jar = authn.login(http, f"https://{host}/", family, source.credentials)
    except HarnessError as exc:
        yield Line(FAIL, f"{what} {source.credentials.username}", str(exc),
                   "check the account's username and password (or app password) in Authentik")
        return
    yield Line(OK, f"{what} {source.credentials.username}",
               f"logged in through {profile.identity.authentik_host} and reached {host} "
               f"(outpost cookies {', '.join(jar.names(host)) or 'none'}; {source.credentials.source})")


def _ca(target: Target) -> Path | None:
    return target.ca_bundle


def _resolver(inputs: Inputs) -> Any:
    profile = inputs.profile
    servers = {str(f): str(a) for f, a in profile.identity.dns_servers.values}
    dns = DnsProbe(servers, timeout=inputs.timeout / 3)
    ingress = {f: str(a) for f, a in profile.ingress.addresses.values}

    def resolve(host: str, family: Family) -> list[str]:
        try:
            found = list(dns.addresses(host, family).addresses)
        except DnsError:
            found = []
        return found or ([ingress[family]] if host.endswith(profile.identity.protected_domain) else [])
    return resolve


def _skipped(whats: Any, why: str) -> Iterator[Line]:
    for what in whats:
        yield Line(SKIP, what, f"skipped: {why}")
