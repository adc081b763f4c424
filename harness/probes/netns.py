"""Move this process's probes into the lab's client namespace, from which nothing leaves the lab.

    with inside("hoc1a2b3-client"):      # every socket made in the block lives in that namespace
        dns_probe.addresses("longhorn.k8s.home.geoffdavis.com", Family.IPV6)

Only the lab target uses this; against a live cluster the harness runs where it is started.
setns(2) affects the calling thread; threads started inside inherit the namespace.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

from harness.core.errors import ConfigError

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


def _setns(fd: int, what: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise ConfigError(f"cannot enter network namespace {what}: {os.strerror(ctypes.get_errno())}")


@contextlib.contextmanager
def inside(name: str) -> Iterator[None]:
    try:
        target = os.open(os.path.join(NETNS_DIR, name), os.O_RDONLY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(f"lab network namespace {name} is not there: {exc.strerror}") from exc
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        _setns(target, name)
        try:
            yield
        finally:
            _setns(home, "of the harness (returning)")
    finally:
        os.close(target)
        os.close(home)
