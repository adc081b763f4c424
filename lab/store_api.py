"""The in-process view of the lab API server's object store that lab controllers use.

    store.subscribe(lambda event, obj: ...)          # every committed change, in order
    store.update_status("v1", "Service", "ns", "name", {"loadBalancer": {...}})

Controllers in the lab (Cilium LB IPAM, BGP, DNS) act like real controllers: they read
objects, react to changes and write ``status``. They do it in-process for speed; every
write still bumps resourceVersion and is seen by HTTP watchers exactly like an API write.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

Obj = dict[str, Any]
#: (event type: "ADDED" | "MODIFIED" | "DELETED", the object as stored after the change)
Listener = Callable[[str, Obj], None]


class Store(Protocol):
    def list(self, api_version: str, kind: str, namespace: str | None = None) -> list[Obj]:
        """Objects of a kind (deep copies), all namespaces when ``namespace`` is None."""

    def get(self, api_version: str, kind: str, namespace: str | None, name: str) -> Obj | None:
        """One object (a deep copy) or None."""

    def update_status(
        self, api_version: str, kind: str, namespace: str | None, name: str, status: Obj
    ) -> Obj:
        """Replace ``.status`` like a PUT to the status subresource; returns the stored object."""

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener`` after every committed change; returns an unsubscribe function.

        Listeners run on the thread that committed the change, after the store lock is
        released, so they may read and write the store.
        """
