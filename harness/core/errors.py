"""The harness's own exceptions: every failure an operator sees is one of these.

    try: profile = load_profile(path)
    except ConfigError as exc: sys.exit(f"error: {exc}")   # one line, no traceback

The whole tree lives here (modules raise these, they define none of their own)::

    HarnessError
    ├── ConfigError              bad input: profile, options, kubeconfig, talosconfig, waivers, repo files
    │   ├── ProfileError         a profile value, with file, line and field path
    │   ├── AddressError         (also ValueError) an address or block that cannot be parsed
    │   ├── SelectorError        (also ValueError) a label selector that cannot be used
    │   ├── PatchError           (also ValueError) a kustomize patch that cannot be applied
    │   ├── SetError             (also ValueError) a helm --set argument helm would refuse
    │   ├── KeyMaterialError     (also ValueError) unusable PEM (never quoted: no key material)
    │   └── TalosConfigError     (also TalosError) talosconfig unusable, CA that does not verify
    ├── UnknownCiliumVersion     (also ValueError) not a Cilium release, or one outside the release table
    ├── ProbeError               a probe could not get an answer (unreachable, refused, timed out)
    │   ├── KubeApiError         the Kubernetes API answered with an error or not at all (``status``)
    │   ├── RouterError          the router (SSH / vtysh) could not be read
    │   │   └── RouterWarning    FRR refused the command ({"warning": ...}, exit 0): no evidence, not "empty"
    │   ├── HttpProbeError       an HTTP hop could not start (bad URL, no address for the host)
    │   ├── DnsError             no usable DNS answer (timeout, unreachable, malformed)
    │   ├── TalosApiError        (also TalosError) a gRPC call failed (``code``)
    │   │   └── ResourceNotFound a Talos resource that does not exist on that node
    │   └── ResourceSpecError    (also TalosError) a Talos resource's spec is not of the expected shape
    ├── TalosError               base of the Talos adapter's errors (above)
    ├── ProvisioningError        creating or removing a test object failed
    │   ├── LockHeld             another run holds the cluster (a busy shared resource, not bad input)
    │   └── LockLost             the run lock was taken over or could not be renewed
    ├── Unrecoverable            a check saw a state waiting cannot fix: the wait fails at once
    └── CheckFailed              (also an AssertionError) the cluster is not in the required state
        └── WaitTimeout          a deadline-bounded wait ended with the last mismatch seen

Adapters map their libraries' errors into this tree with ``raise ... from exc`` (the cause is kept)
and put the culprit (host, command, URL, object) in the message.
"""

from __future__ import annotations


class HarnessError(Exception):
    """Base of every error raised on purpose by the harness."""


class ConfigError(HarnessError):
    """Input given to the harness is unusable; the message names the input and what is wrong."""


class ProfileError(ConfigError):
    """A profile value is missing or malformed."""

    def __init__(self, file: str, line: int | None, path: str, problem: str) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {path or '<root>'}: {problem}")
        self.file, self.line, self.path, self.problem = file, line, path, problem


class ProbeError(HarnessError):
    """A probe could not obtain evidence (network error, refused, timed out)."""

    @property
    def is_transient(self) -> bool:
        """Whether asking again may give another answer (waits retry these until their deadline)."""
        return True


# The API's answers that asking again cannot change: bad request, unauthenticated, forbidden, method
# not allowed, invalid. A wait fails at once on them instead of spending its whole budget.
PERMANENT_API_STATUSES = frozenset({400, 401, 403, 405, 422})


class KubeApiError(ProbeError):
    """The Kubernetes API failed; ``status`` is the HTTP code when there was one."""

    def __init__(self, message: str, status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.status, self.reason = status, reason

    @property
    def is_transient(self) -> bool:
        return self.status not in PERMANENT_API_STATUSES


class RouterError(ProbeError):
    """The router could not be reached or its answer could not be read."""


class RouterWarning(RouterError):
    """The router answered a command with a refusal instead of data: FRR's ``{"warning": ...}``
    (exit status 0) for an unknown neighbour, a family not active, soft reconfiguration off, ...
    It is never an empty answer; the message names the router, the command and FRR's text."""

    def __init__(self, router: str, command: str, answer: str, key: str = "warning") -> None:
        super().__init__(f"{router}: {command!r} answered FRR {key} {answer!r} instead of data "
                         f"(exit status 0: no evidence, not an empty answer)")
        self.router, self.command, self.answer, self.key = router, command, answer, key


class ProvisioningError(HarnessError):
    """Creating, waiting for or removing a test object failed."""


class CheckFailed(HarnessError, AssertionError):
    """The cluster differs from the required state; the message says what, where, expected, seen."""


class WaitTimeout(CheckFailed):
    """A wait ran out of time; the message is the last mismatch the check described."""


class AddressError(ConfigError, ValueError):
    """An address, network or block that cannot be parsed (names the text)."""


class SelectorError(ConfigError, ValueError):
    """A label selector that cannot be evaluated or satisfied."""


class PatchError(ConfigError, ValueError):
    """A patch that cannot be applied; the message says which operation and path."""


class SetError(ConfigError, ValueError):
    """A ``--set`` argument helm would refuse."""


class KeyMaterialError(ConfigError, ValueError):
    """The PEM material is unusable; the message says why and never contains key material."""


class UnknownCiliumVersion(HarnessError, ValueError):
    """A version string that is not a Cilium release, or a release outside the table."""


class HttpProbeError(ProbeError):
    """The probe could not start a hop (bad URL, no address for the host)."""


class DnsError(ProbeError):
    """A DNS server gave no usable answer (timeout, unreachable, malformed reply)."""


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


class LockHeld(ProvisioningError):
    """Another run holds the cluster: not bad input (ConfigError) but a busy shared resource."""


class LockLost(ProvisioningError):
    """The run lock was taken over (or could not be renewed) while this run held it."""


class Unrecoverable(HarnessError):
    """Raised by a check for a known-bad state that waiting cannot fix."""
