"""HTTP(S) probes that follow redirects by hand and keep every hop as evidence: the only httpx user.

    probe = HttpProbe(resolve=lambda host, fam: dns.addresses(host, fam).addresses, ca_cert=ca, timeout=5)
    chain = probe.fetch_chain("https://longhorn.k8s.home.geoffdavis.com/", "ipv6"); print(chain.describe())

Each hop connects to an address ``resolve(host, family)`` returned, while TLS uses the URL's
host for SNI and certificate verification (httpcore's ``sni_hostname`` request extension,
https://www.encode.io/httpcore/extensions/#request-extensions) and the Host header names it
too. One connection per hop, so no TLS session ever serves two names. Cookies set along the
chain are kept per host (host-only, like a browser) and sent back on later hops; evidence
and descriptions carry cookie *names* only, never values.

Connection and TLS failures end the chain with a hop whose ``error`` says what happened;
for a certificate failure the hop also names the certificate the server presented.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
from cryptography import x509

from harness.core.errors import HttpProbeError
from harness.core.evidence import attach
from harness.core.netaddr import Family

Resolve = Callable[[str, str], "list[str] | tuple[str, ...]"]
REDIRECTS = {301, 302, 303, 307, 308}
BODY_LIMIT = 65536


class CookieJar:
    """Host-only cookies gathered along chains; ``repr`` and ``names`` never show values."""

    def __init__(self, initial: Mapping[tuple[str, str], str] | None = None) -> None:
        self._values: dict[tuple[str, str], str] = dict(initial or {})

    @classmethod
    def for_host(cls, host: str, cookies: Mapping[str, str]) -> CookieJar:
        return cls({(host, name): value for name, value in cookies.items()})

    def header(self, host: str) -> str | None:
        pairs = [f"{n}={v}" for (h, n), v in self._values.items() if h == host]
        return "; ".join(pairs) or None

    def store(self, host: str, set_cookie_headers: list[str]) -> tuple[str, ...]:
        names = []
        for header in set_cookie_headers:
            name, _, rest = header.partition("=")
            self._values[(host, name.strip())] = rest.split(";", 1)[0].strip()
            names.append(name.strip())
        return tuple(names)

    def names(self, host: str | None = None) -> list[str]:
        return sorted(n for h, n in self._values if host is None or h == host)

    def value(self, host: str, name: str) -> str | None:
        """One cookie's value (e.g. a CSRF token to echo in a header); never shown by ``repr``."""
        return self._values.get((host, name))

    def only(self, host: str) -> CookieJar:
        """A jar with this host's cookies alone."""
        return CookieJar({key: v for key, v in self._values.items() if key[0] == host})

    def copy(self) -> CookieJar:
        return CookieJar(self._values)

    def __repr__(self) -> str:
        return f"CookieJar({', '.join(f'{h}:{n}' for h, n in sorted(self._values))})"


@dataclass(frozen=True)
class Hop:
    method: str
    url: str
    status: int | None = None
    location: str | None = None
    set_cookies: tuple[str, ...] = ()           # names only
    peer: str | None = None                     # "address:port" actually connected to
    tls_subject: str | None = None
    tls_sans: tuple[str, ...] = ()
    error: str | None = None
    text: str = field(default="", repr=False, compare=False)

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def is_redirect(self) -> bool:
        return self.status in REDIRECTS and self.location is not None

    def describe(self) -> str:
        outcome = f"error: {self.error}" if self.error else str(self.status)
        parts = [f"{self.method} {self.url} -> {outcome}"]
        if self.location:
            parts.append(f"Location {self.location}")
        extras = [f"peer {self.peer}"] if self.peer else []
        if self.tls_subject or self.tls_sans:
            extras.append(f"cert {self.tls_subject} SANs {','.join(self.tls_sans) or '-'}")
        if self.set_cookies:
            extras.append(f"set-cookie {','.join(self.set_cookies)}")
        return " ".join(parts) + (f" [{'; '.join(extras)}]" if extras else "")


@dataclass(frozen=True)
class Chain:
    start: str
    family: Family
    hops: tuple[Hop, ...]
    truncated: bool = False                      # stopped at max_hops while still redirecting
    jar: CookieJar = field(default_factory=CookieJar, repr=False, compare=False)

    @property
    def final(self) -> Hop:
        return self.hops[-1]

    def describe(self) -> str:
        lines = [f"{len(self.hops)} hop(s) from {self.start} over {self.family}:"]
        lines += [f"  {i + 1}. {hop.describe()}" for i, hop in enumerate(self.hops)]
        if self.truncated:
            lines.append("  (stopped: hop limit reached while still redirecting)")
        return "\n".join(lines)


class HttpProbe:
    def __init__(self, resolve: Resolve, ca_cert: Path | None, timeout: float = 5.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.resolve, self.timeout, self._transport = resolve, timeout, transport
        self._ssl = ssl.create_default_context(cafile=str(ca_cert) if ca_cert else None)

    def fetch_chain(self, url: str, family: Family, max_hops: int = 10,
                    cookies: Mapping[str, str] | CookieJar | None = None,
                    form: Mapping[str, str] | None = None, *, json: object = None,
                    headers: Mapping[str, str] | None = None) -> Chain:
        """Request ``url`` and follow redirects, at most ``max_hops`` requests.

        ``form`` or ``json`` (not both) make the first request a POST with that body; ``headers``
        are sent on every hop to the first hop's host (never to another host)."""
        host = urlsplit(url).hostname or ""
        jar = cookies.copy() if isinstance(cookies, CookieJar) else CookieJar.for_host(host, cookies or {})
        hops: list[Hop] = []
        body = _Body(dict(form) if form is not None else None, json)
        method = "POST" if form is not None or json is not None else "GET"
        while len(hops) < max_hops:
            extra = dict(headers or {}) if urlsplit(url).hostname == host else {}
            hop = self._hop(method, url, family, jar, body, extra)
            hops.append(hop)
            if not hop.is_redirect or hop.location is None:
                return Chain(hops[0].url, family, tuple(hops), False, jar)
            url = urljoin(hop.url, hop.location)
            if hop.status not in (307, 308):
                method, body = "GET", _Body(None, None)
        return Chain(hops[0].url, family, tuple(hops), True, jar)

    def _hop(self, method: str, url: str, family: Family, jar: CookieJar, body: _Body,
             extra: dict[str, str]) -> Hop:
        parts = urlsplit(url)
        host = parts.hostname
        if parts.scheme not in ("http", "https") or not host:
            raise HttpProbeError(f"cannot fetch {url!r}: only absolute http(s) URLs are probed")
        addresses = list(self.resolve(host, family))
        if not addresses:
            raise HttpProbeError(f"no {family} address for {host} (while fetching {url})")
        ip = addresses[0]
        port = parts.port or (443 if parts.scheme == "https" else 80)
        literal = f"[{ip}]" if ":" in ip else ip
        target = f"{parts.scheme}://{literal}:{port}{parts.path or '/'}" + (f"?{parts.query}" if parts.query else "")
        headers = {**extra, "Host": parts.netloc}
        if (cookie := jar.header(host)) is not None:
            headers["Cookie"] = cookie
        request = httpx.Request(method, target, headers=headers, data=body.form, json=body.json,
                                extensions={"sni_hostname": host, "timeout": self._timeouts()})
        return self._send(request, method, url, jar, (ip, port, host))

    def _timeouts(self) -> dict[str, float]:
        return {k: self.timeout for k in ("connect", "read", "write", "pool")}

    def _send(self, request: httpx.Request, method: str, url: str, jar: CookieJar,
              where: tuple[str, int, str]) -> Hop:
        ip, port, host = where
        try:
            with httpx.Client(verify=self._ssl, trust_env=False, transport=self._transport,
                              follow_redirects=False) as client:
                response = client.send(request, stream=True)   # evidence while the socket is open
                try:
                    evidence = _evidence(response)
                    text = response.read()[:BODY_LIMIT].decode(response.encoding or "utf-8", "replace")
                finally:
                    response.close()
        except httpx.TimeoutException:
            return Hop(method, url, peer=_peer(ip, port), error=f"timed out after {self.timeout:g}s")
        except httpx.HTTPError as exc:
            return self._failed_hop(method, url, (ip, port, host), exc)
        names = jar.store(host, response.headers.get_list("set-cookie"))
        return Hop(method, url, response.status_code, response.headers.get("location"), names,
                   evidence[0] or _peer(ip, port), evidence[1], evidence[2], None, text)

    def _failed_hop(self, method: str, url: str, where: tuple[str, int, str], exc: Exception) -> Hop:
        ip, port, host = where
        message = f"{type(exc).__name__}: {exc}"
        subject: str | None = None
        sans: tuple[str, ...] = ()
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or isinstance(exc.__context__, ssl.SSLError):
            subject, sans = _presented_certificate(ip, port, host, self.timeout)
        return Hop(method, url, peer=_peer(ip, port), tls_subject=subject, tls_sans=sans, error=message)


@dataclass(frozen=True)
class _Body:
    form: dict[str, str] | None
    json: object


def _peer(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def _evidence(response: httpx.Response) -> tuple[str | None, str | None, tuple[str, ...]]:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None, None, ()
    try:
        addr = stream.get_extra_info("server_addr")
        ssl_object = stream.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(True) if ssl_object is not None else None
    except OSError:        # the server already closed the connection: no evidence, not a failure
        return None, None, ()
    peer = _peer(str(addr[0]), int(addr[1])) if addr else None
    return (peer, *_names(x509.load_der_x509_certificate(der))) if der else (peer, None, ())


def _names(cert: x509.Certificate) -> tuple[str, tuple[str, ...]]:
    try:
        sans = tuple(cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        sans = ()
    return cert.subject.rfc4514_string(), sans


def _presented_certificate(ip: str, port: int, host: str, timeout: float) -> tuple[str | None, tuple[str, ...]]:
    """What the server presents for SNI ``host``, read without verification (evidence only)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with socket.create_connection((ip, port), timeout=timeout) as raw, \
                context.wrap_socket(raw, server_hostname=host) as tls:
            der = tls.getpeercert(binary_form=True)
    except OSError:
        return None, ()
    return _names(x509.load_der_x509_certificate(der)) if der else (None, ())


class RecordingHttpProbe(HttpProbe):
    """An HttpProbe whose every redirect chain is attached to the scenario's evidence (hop by hop)."""

    def fetch_chain(self, url: str, family: Family, max_hops: int = 10,
                    cookies: Mapping[str, str] | CookieJar | None = None,
                    form: Mapping[str, str] | None = None, *, json: object = None,
                    headers: Mapping[str, str] | None = None) -> Chain:
        chain = super().fetch_chain(url, family, max_hops, cookies, form, json=json, headers=headers)
        attach("http", f"{url} over {family}", chain.describe())
        return chain
