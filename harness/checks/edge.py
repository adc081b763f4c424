"""Checks at the ingress edge: DNS answers, redirect chains to Authentik, certificates, Ingress claims.

    authorize_problem(chain, host, authentik_host)     # None when the chain ends at Authentik's authorize
    claim_problems(cluster.ingresses(), domain, outpost_ref)
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from harness.http import Chain, Hop
from harness.model import IngressObject

AUTHORIZE_PATH = "/application/o/authorize/"


def _hop_ref(chain: Chain, hop: Hop) -> str:
    return f"hop {chain.hops.index(hop) + 1} ({hop.method} {hop.url})"


def authorize_problem(chain: Chain, host: str, authentik_host: str) -> str | None:
    """The unauthenticated chain must end at Authentik's authorize endpoint, sent back to ``host``."""
    first_error = next((h for h in chain.hops if h.error), None)
    if first_error is not None:
        return f"{host}: {_hop_ref(chain, first_error)} failed: {first_error.error}"
    final = chain.final
    if final.host == host and final.status is not None and final.status < 300:
        return (f"{host}: served {final.status} without authentication at {_hop_ref(chain, final)}; "
                f"expected a redirect into Authentik ({authentik_host})")
    at_authorize = [h for h in chain.hops if h.host == authentik_host and urlsplit(h.url).path == AUTHORIZE_PATH]
    if not at_authorize:
        return (f"{host}: the redirect chain never reached https://{authentik_host}{AUTHORIZE_PATH}; "
                f"it ended at {_hop_ref(chain, final)} with {final.status}")
    hop = at_authorize[0]
    query = parse_qs(urlsplit(hop.url).query)
    missing = [k for k in ("client_id", "redirect_uri", "state") if not query.get(k)]
    if missing:
        return f"{host}: {_hop_ref(chain, hop)} lacks {', '.join(missing)}"
    back = urlsplit(query["redirect_uri"][0])
    if back.hostname != host or back.scheme != "https":
        return (f"{host}: {_hop_ref(chain, hop)} has redirect_uri {query['redirect_uri'][0]!r}, "
                f"expected https://{host}/...")
    return None


def https_redirect_problem(chain: Chain, host: str) -> str | None:
    first = chain.hops[0]
    if first.error:
        return f"{host}: plain HTTP {_hop_ref(chain, first)} failed: {first.error}"
    target = urlsplit(first.location or "")
    if not first.is_redirect or target.scheme != "https" or (target.hostname or host) != host:
        return (f"{host}: plain HTTP answered {first.status} with Location {first.location!r}; "
                f"expected a redirect to https://{host}/")
    return None


def certificate_problem(chain: Chain, host: str) -> str | None:
    first = chain.hops[0]
    if first.error:
        return f"{host}: TLS at {first.peer or 'the ingress'} failed: {first.error}"
    if host not in first.tls_sans:
        return (f"{host}: certificate at {first.peer} is for {', '.join(first.tls_sans) or first.tls_subject}, "
                f"not {host}")
    return None


def app_problem(chain: Chain, host: str, authentik_host: str) -> str | None:
    """An authenticated request ends on ``host`` with content, never detouring through Authentik."""
    final = chain.final
    if final.error:
        return f"{host}: authenticated request failed at {_hop_ref(chain, final)}: {final.error}"
    if any(h.host == authentik_host for h in chain.hops):
        return f"{host}: the session was not accepted: the chain went back to Authentik\n{chain.describe()}"
    if final.host != host or final.status != 200:
        return f"{host}: authenticated request ended at {_hop_ref(chain, final)} with {final.status}, expected 200"
    return None


def unknown_host_problem(chain: Chain, host: str) -> str | None:
    final = chain.final
    if final.status is not None and final.status < 300:
        return f"{host} (no such service) got {final.status} with content at {_hop_ref(chain, final)}"
    return None


def claim_problems(ingresses: Sequence[IngressObject], domain: str, outpost: str, where: str) -> list[str]:
    """Only the outpost's Ingress may claim hosts under the protected domain."""
    problems = []
    for ing in ingresses:
        claimed = [h for h in ing.hosts + ing.tls_hosts if h == domain or h.endswith("." + domain)]
        if claimed and ing.ref != outpost:
            problems.append(f"Ingress {ing.ref} at {where} claims {', '.join(sorted(set(claimed)))} under the "
                            f"protected domain {domain}; only {outpost} (the Authentik outpost) may")
    return problems
