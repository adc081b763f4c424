"""Errors raised by the Talos API adapter; every message is one line and carries no secret.

    try: client.list(DISKS, "runtime", node="172.29.51.11")
    except TalosError as exc: report(str(exc))

    TalosError (HarnessError)
    ├── TalosConfigError (also ConfigError)  talosconfig unreadable, context/endpoint missing, bad PEM,
    │                                        CA that does not verify the server
    ├── TalosApiError (also ProbeError)      a gRPC call failed (unreachable, deadline, unknown node, ...)
    │   └── ResourceNotFound                 Get of a resource that does not exist on that node
    └── ResourceSpecError (also ProbeError)  a resource's YAML spec is not of the expected shape
"""

from __future__ import annotations

from harness.core.errors import ConfigError, HarnessError, ProbeError


class TalosError(HarnessError):
    """Base of every error raised by ``harness.probes.talos``."""


class TalosConfigError(TalosError, ConfigError):
    """The talosconfig (or the trust it describes) cannot be used."""


class TalosApiError(TalosError, ProbeError):
    """A call to the Talos API failed; ``code`` is the gRPC status code name, e.g. ``UNAVAILABLE``."""

    def __init__(self, message: str, code: str = "UNKNOWN") -> None:
        super().__init__(message)
        self.code = code


class ResourceNotFound(TalosApiError):
    """The resource addressed by (namespace, type, id) does not exist on the node."""


class ResourceSpecError(TalosError, ProbeError):
    """A resource spec could not be parsed into its typed dataclass."""
