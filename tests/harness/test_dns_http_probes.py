"""Offline tests of harness.probes.dns (a tiny DNS server on 127.0.0.1) and harness.probes.http (MockTransport)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import dns.message
import dns.rrset
import httpx
import pytest

from harness.core.errors import ConfigError, DnsError, HttpProbeError, ProbeError
from harness.probes.dns import DnsProbe
from harness.probes.http import CookieJar, HttpProbe

ZONE = {("app.example.test.", "A"): ["192.0.2.10", "192.0.2.11"],
        ("app.example.test.", "AAAA"): ["2001:db8::10"]}


@pytest.fixture(scope="module")
def dns_server() -> Iterator[int]:
    """A UDP DNS server on 127.0.0.1 answering from ZONE (NXDOMAIN otherwise); yields its port."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        sock.settimeout(0.2)
        while not stop.is_set():
            try:
                data, peer = sock.recvfrom(4096)
            except TimeoutError:
                continue
            query = dns.message.from_wire(data)
            question = query.question[0]
            reply = dns.message.make_response(query)
            key = (question.name.to_text(), dns.rdatatype.to_text(question.rdtype))
            if key in ZONE:
                reply.answer.append(dns.rrset.from_text_list(question.name, 120, "IN", key[1], ZONE[key]))
            elif not any(name == key[0] for name, _ in ZONE):
                reply.set_rcode(dns.rcode.NXDOMAIN)
            sock.sendto(reply.to_wire(), peer)

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    yield sock.getsockname()[1]
    stop.set()
    worker.join()
    sock.close()


def test_dns_answers_by_family(dns_server: int) -> None:
    probe = DnsProbe({"ipv4": "127.0.0.1"}, timeout=1)
    a = probe.addresses("app.example.test", "ipv4", port=dns_server)
    assert (a.rrtype, a.addresses, a.rcode, a.ttl, a.server) == (
        "A", ("192.0.2.10", "192.0.2.11"), "NOERROR", 120, "127.0.0.1")
    aaaa = probe.addresses("app.example.test", "ipv6", via="ipv4", port=dns_server)
    assert aaaa.addresses == ("2001:db8::10",) and aaaa.rrtype == "AAAA"


def test_dns_nxdomain_is_an_answer(dns_server: int) -> None:
    answer = DnsProbe({"ipv4": "127.0.0.1"}).addresses("gone.example.test", "ipv4", port=dns_server)
    assert answer.rcode == "NXDOMAIN" and answer.is_empty and answer.ttl is None
    assert "gone.example.test at 127.0.0.1: NXDOMAIN" in answer.describe()


def test_dns_timeout_names_server_and_host() -> None:
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    with silent, pytest.raises(DnsError) as err:
        DnsProbe({"ipv4": "127.0.0.1"}, timeout=0.3).addresses(
            "app.example.test", "ipv4", port=silent.getsockname()[1])
    assert "app.example.test" in str(err.value) and "127.0.0.1" in str(err.value)
    assert isinstance(err.value, ProbeError) and "\n" not in str(err.value)


def test_dns_missing_server_family_is_reported() -> None:
    with pytest.raises(DnsError, match="no DNS server for ipv6"):
        DnsProbe({"ipv4": "127.0.0.1"}).addresses("app.example.test", "ipv6")
    with pytest.raises(ConfigError, match=r"DnsProbe servers must be keyed by \['ipv4', 'ipv6'\]; got \{'v4'"):
        DnsProbe({"v4": "127.0.0.1"})


def _probe(handler: object, addresses: dict[str, list[str]] | None = None) -> HttpProbe:
    table = addresses or {"app.example.test": ["192.0.2.10"], "idp.example.test": ["192.0.2.20"]}
    return HttpProbe(lambda host, family: table.get(host, []), ca_cert=None, timeout=1,
                     transport=httpx.MockTransport(handler))  # type: ignore[arg-type]


def test_connects_to_resolved_address_with_sni_and_host_of_the_name() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="ok")

    chain = _probe(handler).fetch_chain("https://app.example.test/x?y=1", "ipv4")
    assert str(seen[0].url) == "https://192.0.2.10/x?y=1"
    assert seen[0].headers["host"] == "app.example.test"
    assert seen[0].extensions["sni_hostname"] == "app.example.test"
    assert chain.final.status == 200 and chain.final.url == "https://app.example.test/x?y=1"


def test_redirect_chain_keeps_cookie_names_only_and_scopes_them_to_the_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        host, cookie = request.headers["host"], request.headers.get("cookie", "")
        if host == "app.example.test" and request.url.path == "/":
            return httpx.Response(302, headers={"location": "https://idp.example.test/login",
                                                "set-cookie": "sess_1=SECRETVALUE; Path=/; HttpOnly"})
        if host == "idp.example.test":
            assert "SECRETVALUE" not in cookie, "cookie leaked to another host"
            return httpx.Response(302, headers={"location": "https://app.example.test/back"})
        return httpx.Response(200 if "sess_1=SECRETVALUE" in cookie else 401, text="app")

    chain = _probe(handler).fetch_chain("https://app.example.test/", "ipv4")
    assert [h.status for h in chain.hops] == [302, 302, 200], chain.describe()
    assert chain.hops[0].set_cookies == ("sess_1",)
    assert "SECRETVALUE" not in chain.describe() + repr(chain) + repr(chain.jar)
    assert chain.jar.names("app.example.test") == ["sess_1"]


def test_hop_limit_marks_the_chain_truncated() -> None:
    def loop(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"location": "/again"})

    chain = _probe(loop).fetch_chain("http://app.example.test/", "ipv4", max_hops=3)
    assert len(chain.hops) == 3 and chain.truncated and "hop limit" in chain.describe()


def test_form_post_then_303_becomes_get_with_given_cookies() -> None:
    methods: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        methods.append((request.method, request.content.decode()))
        if request.method == "POST":
            assert request.headers.get("cookie") == "k=v"
            return httpx.Response(303, headers={"location": "/done"})
        return httpx.Response(200)

    jar = CookieJar.for_host("app.example.test", {"k": "v"})
    chain = _probe(handler).fetch_chain("https://app.example.test/login", "ipv4", cookies=jar,
                                        form={"user": "u", "password": "p"})
    assert methods == [("POST", "user=u&password=p"), ("GET", "")]
    assert chain.final.url == "https://app.example.test/done"


def test_connection_errors_become_error_hops_and_unresolvable_hosts_raise() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    chain = _probe(refuse).fetch_chain("http://app.example.test/", "ipv6")
    assert chain.final.status is None and "refused" in (chain.final.error or "")
    assert "error: ConnectError" in chain.describe()
    with pytest.raises(HttpProbeError, match="no ipv4 address for nowhere.example.test"):
        _probe(refuse).fetch_chain("http://nowhere.example.test/", "ipv4")
