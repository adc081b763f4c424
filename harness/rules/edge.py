"""Checks at the ingress edge: DNS answers, redirect chains to Authentik, certificates, Ingress claims.

    authorize_problem(chain, host, authentik_host)     # None when the chain reaches Authentik's authorize
    claim_problems(cluster.ingresses(), domain, outpost_ref, where, authentik_host)
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qs, urlsplit

from harness.model.objects import IngressObject
from harness.probes.http import Chain, Hop

AUTHORIZE_PATH = "/application/o/authorize/"


def _hop_ref(chain: Chain, index: int) -> str:
    """``hop 2 (GET https://host/path via [addr]:443)`` for ``chain.hops[index]`` (-1: the last): the
    address says which family and which ingress answered (or did not), the part a dual-stack failure
    turns on. By position, not by value: a redirect loop repeats equal hops."""
    index = index % len(chain.hops)
    hop = chain.hops[index]
    via = f" via {hop.peer}" if hop.peer else ""
    return f"hop {index + 1} ({hop.method} {hop.url}{via})"


def _is_authorize(hop: Hop, authentik_host: str) -> bool:
    return hop.host == authentik_host and urlsplit(hop.url).path == AUTHORIZE_PATH


def authorize_problem(chain: Chain, host: str, authentik_host: str) -> str | None:
    """The unauthenticated chain must reach Authentik's authorize endpoint with a redirect_uri on ``host``.

    Judged are the hops up to and including the authorize request: the outpost's own redirects
    (``/outpost.goauthentik.io/start``) before it are accepted, and whatever Authentik does after it
    (``/flows/-/default/authentication/``, the flow interface ``/if/flow/<slug>/``, a hop there failing)
    is not the outpost's doing. Authorize itself must answer (not 4xx/5xx: Authentik refused the request).
    """
    at = next((i for i, h in enumerate(chain.hops) if _is_authorize(h, authentik_host)), None)
    judged = chain.hops if at is None else chain.hops[:at + 1]
    first_error = next((i for i, h in enumerate(judged) if h.error), None)
    if first_error is not None:
        return f"{host}: {_hop_ref(chain, first_error)} failed: {chain.hops[first_error].error}"
    final = chain.final
    if at is None and final.host == host and final.status is not None and final.status < 300:
        return (f"{host}: served {final.status} without authentication at {_hop_ref(chain, -1)}; "
                f"expected a redirect into Authentik ({authentik_host})")
    if at is None:
        return (f"{host}: the redirect chain never reached https://{authentik_host}{AUTHORIZE_PATH}; "
                f"it ended at {_hop_ref(chain, -1)} with {final.status}")
    hop = chain.hops[at]
    query = parse_qs(urlsplit(hop.url).query)
    missing = [k for k in ("client_id", "redirect_uri", "state") if not query.get(k)]
    if missing:
        return f"{host}: {_hop_ref(chain, at)} lacks {', '.join(missing)}"
    back = urlsplit(query["redirect_uri"][0])
    if back.hostname != host or back.scheme != "https":
        return (f"{host}: {_hop_ref(chain, at)} has redirect_uri {query['redirect_uri'][0]!r}, "
                f"expected https://{host}/...")
    if hop.status is not None and hop.status >= 400:
        return f"{host}: Authentik refused the authorize request at {_hop_ref(chain, at)} with {hop.status}"
    return None


def https_redirect_problem(chain: Chain, host: str) -> str | None:
    first = chain.hops[0]
    if first.error:
        return f"{host}: plain HTTP {_hop_ref(chain, 0)} failed: {first.error}"
    target = urlsplit(first.location or "")
    if not first.is_redirect or target.scheme != "https" or (target.hostname or host) != host:
        return (f"{host}: plain HTTP answered {first.status} with Location {first.location!r}; "
                f"expected a redirect to https://{host}/")
    return None


def certificate_problem(chain: Chain, host: str) -> str | None:
    first = chain.hops[0]
    if first.error:
        return f"{host}: TLS at {first.peer or 'the ingress'} failed: {first.error}"
    if not any(name_matches(san, host) for san in first.tls_sans):
        return (f"{host}: certificate at {first.peer} is for {', '.join(first.tls_sans) or first.tls_subject}, "
                f"not {host}")
    return None


def name_matches(san: str, host: str) -> bool:
    """A DNS name of a certificate covers ``host`` (case-insensitive; a wildcard only as the whole
    left-most label, covering exactly one label, as RFC 6125 section 6.4.3 and browsers have it).

    >>> name_matches("*.k8s.home.geoffdavis.com", "longhorn.k8s.home.geoffdavis.com")
    True
    >>> name_matches("*.k8s.home.geoffdavis.com", "a.longhorn.k8s.home.geoffdavis.com")
    False
    """
    san, host = san.lower().rstrip("."), host.lower().rstrip(".")
    if san == host:
        return True
    if not san.startswith("*.") or "*" in san[2:]:
        return False
    label, _, rest = host.partition(".")
    return bool(label) and rest == san[2:]


def app_problem(chain: Chain, host: str, authentik_host: str) -> str | None:
    """An authenticated request ends on ``host`` with content, never detouring through Authentik."""
    final = chain.final
    if final.error:
        return f"{host}: authenticated request failed at {_hop_ref(chain, -1)}: {final.error}"
    if any(h.host == authentik_host for h in chain.hops):
        return f"{host}: the session was not accepted: the chain went back to Authentik\n{chain.describe()}"
    if final.host != host or final.status != 200:
        return f"{host}: authenticated request ended at {_hop_ref(chain, -1)} with {final.status}, expected 200"
    return None


def unknown_host_problem(chain: Chain, host: str) -> str | None:
    final = chain.final
    if final.status is not None and final.status < 300:
        return f"{host} (no such service) got {final.status} with content at {_hop_ref(chain, -1)}"
    return None


def claim_problems(ingresses: Sequence[IngressObject], domain: str, outpost: str, where: str,
                   authentik_host: str | None = None) -> list[str]:
    """Only the outpost's Ingress may claim hosts under the protected domain; Authentik's own host
    (profile ``identity.authentik_host``) is exempt, as in the repo rule (``harness/rules/repo_apps.py``)."""
    problems = []
    for ing in ingresses:
        claimed = [h for h in ing.hosts + ing.tls_hosts
                   if (h == domain or h.endswith("." + domain)) and h != authentik_host]
        if claimed and ing.ref != outpost:
            problems.append(f"Ingress {ing.ref} at {where} claims {', '.join(sorted(set(claimed)))} under the "
                            f"protected domain {domain}; only {outpost} (the Authentik outpost) may")
    return problems
