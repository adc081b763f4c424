"""Fixtures for the lab network tests: one shared lab per module, probes from the client.

    def test_x(labnet: LabNetwork, client_connect): client_connect("172.29.52.9", 80)

These tests need root and the Debian packages frr, gobgpd, openssh-server and iproute2;
without them they are skipped with the reason. Each lab uses a unique namespace prefix.
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from lab.net import LabNetwork, NetworkSpec
from tests.labmark import require_lab

NEEDED = ("ip", "gobgpd", "gobgp", "vtysh", "/usr/lib/frr/bgpd", "/usr/sbin/sshd", "nsenter")


# Module scope, not session: the `lab` marker gate reads the requesting node's markers, and a
# session-scoped request's node is the session (which carries none), so every test would fail there.
@pytest.fixture(scope="module")
def require_root_and_tools(request: pytest.FixtureRequest) -> None:
    require_lab(request, "lab network tests need root (network namespaces)", NEEDED)


def unique_prefix() -> str:
    return "t" + uuid.uuid4().hex[:6]


@pytest.fixture
def fresh_prefix() -> str:
    """A namespace prefix no other lab uses."""
    return unique_prefix()


@pytest.fixture(scope="module")
def labnet(tmp_path_factory: pytest.TempPathFactory,
           require_root_and_tools: None) -> Iterator[LabNetwork]:
    """The owner's topology: one IPv4 session per node carrying both families."""
    net = LabNetwork(NetworkSpec.home_ops(unique_prefix()),
                     tmp_path_factory.mktemp("labnet") / "state")
    net.up()
    yield net
    net.down()


@pytest.fixture(scope="module")
def labnet_per_family(tmp_path_factory: pytest.TempPathFactory,
                      require_root_and_tools: None) -> Iterator[LabNetwork]:
    """The other topology: an IPv4 and a separate IPv6 session per node."""
    net = LabNetwork(NetworkSpec.home_ops(unique_prefix(), sessions="per-family"),
                     tmp_path_factory.mktemp("labnet-pf") / "state")
    net.up()
    yield net
    net.down()


@pytest.fixture(params=["ipv4-carries-both", "per-family"])
def any_labnet(request: pytest.FixtureRequest) -> LabNetwork:
    """Each topology in turn."""
    net: LabNetwork = request.getfixturevalue("labnet" if request.param == "ipv4-carries-both"
                                              else "labnet_per_family")
    return net


@dataclass(frozen=True)
class ConnectOutcome:
    error: str          # errno name, or "connected"
    seconds: float


ClientConnect = Callable[[str, int], ConnectOutcome]


@pytest.fixture
def client_connect(labnet: LabNetwork) -> ClientConnect:
    """TCP connect from a thread that has setns()'d into the client namespace."""
    return connector(labnet)


def connector(labnet: LabNetwork) -> ClientConnect:
    """TCP connect from a thread that has setns()'d into ``labnet``'s client namespace."""
    def connect(host: str, port: int) -> ConnectOutcome:
        result: list[ConnectOutcome] = []

        def probe() -> None:
            labnet.enter("client")
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as sock:
                sock.settimeout(3.0)
                start = time.monotonic()
                try:
                    sock.connect((host, port))
                    error = "connected"
                except OSError as exc:
                    error = "timeout" if isinstance(exc, TimeoutError) else str(
                        exc.errno and os.strerror(exc.errno))
                result.append(ConnectOutcome(error, time.monotonic() - start))

        worker = threading.Thread(target=probe, name=f"probe-{host}")
        worker.start()
        worker.join(timeout=10)
        assert result, f"probe thread for {host}:{port} returned nothing"
        return result[0]

    return connect


def wait_until(check: Callable[[], str | None], timeout: float, what: str) -> None:
    """Poll ``check`` (None = satisfied) until ``timeout``; fail with its last description."""
    __tracebackhide__ = True
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while (outcome := check()) is not None:
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: still not satisfied after {timeout}s: {outcome}")
        pause.wait(0.1)


@pytest.fixture
def eventually() -> Callable[[Callable[[], str | None], float, str], None]:
    return wait_until
