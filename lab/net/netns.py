"""Named network namespaces: create, list, enter, find their processes, remove.

    run(["ip", "-n", "t1-udm", "addr"])        # raises NetnsError with stderr on failure
    enter("t1-client")                          # this thread now lives in that namespace

Namespaces are the ``ip netns`` kind (a bind mount under /run/netns), so operators can
inspect a running lab with ``ip netns exec``. ``setns(2)`` with CLONE_NEWNET only moves the
calling thread (https://man7.org/linux/man-pages/man2/setns.2.html).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

NETNS_DIR = Path("/run/netns")
CLONE_NEWNET = 0x40000000


class NetnsError(RuntimeError):
    """A namespace operation failed; the message names the command and what it said."""


def run(argv: Sequence[str], *, check: bool = True, timeout: float = 10.0) -> str:
    """Run a command, return stdout; on failure raise with the command and its stderr."""
    proc = subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise NetnsError(
            f"command failed (exit {proc.returncode}): {' '.join(argv)}\n"
            f"stderr: {proc.stderr.strip()}"
        )
    return proc.stdout


def in_ns(ns: str, argv: Sequence[str]) -> list[str]:
    """The argv that runs ``argv`` inside namespace ``ns``."""
    return ["ip", "netns", "exec", ns, *argv]


def exists(ns: str) -> bool:
    return (NETNS_DIR / ns).exists()


def create(ns: str) -> None:
    """Create ``ns`` with lo up and IPv6 DAD off for every interface made afterwards."""
    if not exists(ns):
        run(["ip", "netns", "add", ns])
    run(["ip", "-n", ns, "link", "set", "lo", "up"])
    sysctl(ns, {
        "net.ipv6.conf.all.accept_dad": "0",
        "net.ipv6.conf.default.accept_dad": "0",
    })


def sysctl(ns: str, values: dict[str, str]) -> None:
    """Set per-netns sysctls inside ``ns`` only (never the root namespace)."""
    args = [f"{key}={value}" for key, value in values.items()]
    run(in_ns(ns, ["sysctl", "-q", "-w", *args]))


def names(prefix: str) -> list[str]:
    """Existing namespaces whose name starts with ``<prefix>-``."""
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(f"{prefix}-"))


def pids(ns: str) -> list[int]:
    """Processes whose network namespace is ``ns`` (same inode as its /run/netns file)."""
    try:
        target = os.stat(NETNS_DIR / ns)
    except FileNotFoundError:
        return []
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            st = os.stat(entry / "ns" / "net")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == (target.st_dev, target.st_ino):
            found.append(int(entry.name))
    return sorted(found)


def kill_pids(found: Sequence[int], *, grace: float = 2.0) -> None:
    """SIGTERM each pid, wait up to ``grace`` seconds for it to go, then SIGKILL it."""
    for pid in found:
        _signal(pid, signal.SIGTERM)
    for pid in found:
        if not _await_exit(pid, grace):
            _signal(pid, signal.SIGKILL)
            _await_exit(pid, grace)


def delete(ns: str) -> None:
    """Kill what runs in ``ns`` (by pid) and remove it; interfaces inside go with it."""
    # newest first: children before the holders that would reap them
    kill_pids([p for p in reversed(pids(ns)) if p != os.getpid()])
    if exists(ns):
        run(["ip", "netns", "delete", ns])


def enter(ns: str) -> None:
    """Move the calling thread into network namespace ``ns`` (ctypes setns(2))."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(NETNS_DIR / ns, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise NetnsError(f"setns({NETNS_DIR / ns}, CLONE_NEWNET) failed: {os.strerror(err)}")
    finally:
        os.close(fd)


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _await_exit(pid: int, timeout: float) -> bool:
    """True once ``pid`` is gone (reaping it if it is our child); pidfd-based, no polling."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        ready, _, _ = select.select([fd], [], [], timeout)
        if ready:
            _reap(pid)
        return bool(ready)
    finally:
        os.close(fd)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def cleanup_stale(prefix: str) -> list[str]:
    """Remove every ``<prefix>-*`` namespace and kill its processes; return what went."""
    removed: list[str] = []
    # each namespace's processes die (by pid) before it is deleted; the udm's private
    # mounts go with its last process
    for ns in names(prefix):
        delete(ns)
        removed.append(ns)
    return removed


@contextlib.contextmanager
def inside(ns: str) -> Iterator[None]:
    """Run a block with the calling thread in ``ns``; sockets made there stay there afterwards."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY | os.O_CLOEXEC)
    try:
        enter(ns)
        try:
            yield
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise NetnsError(f"setns back to the original namespace failed: "
                                 f"{os.strerror(ctypes.get_errno())}")
    finally:
        os.close(home)
