"""Sockets that live in a lab network namespace, made without moving the calling thread.

    sock = socket_in("t1-udm", socket.AF_INET, socket.SOCK_STREAM)   # created inside t1-udm
    sock.connect(("172.29.51.1", 53))                                 # routed by t1-udm's tables

A socket keeps the network namespace it was created in for its whole life, whichever
thread uses it later (https://man7.org/linux/man-pages/man7/network_namespaces.7.html).
So a short-lived helper thread ``setns()``-es into the namespace, creates the socket and
ends; the caller's thread never leaves its own namespace.
"""

from __future__ import annotations

import socket
import threading

from lab.net import netns


def socket_in(ns: str, family: int, kind: int) -> socket.socket:
    """A new socket created inside namespace ``ns`` (full name, e.g. ``t1-udm``)."""
    made: list[socket.socket] = []
    failed: list[BaseException] = []

    def create() -> None:
        try:
            netns.enter(ns)
            made.append(socket.socket(family, kind))
        except BaseException as exc:  # handed to the caller's thread below
            failed.append(exc)

    worker = threading.Thread(target=create, name=f"socket-in-{ns}", daemon=True)
    worker.start()
    worker.join()
    if failed:
        raise failed[0]
    return made[0]


def family_of(ip: str) -> int:
    return socket.AF_INET6 if ":" in ip else socket.AF_INET
