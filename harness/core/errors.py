"""The harness's own exceptions: every failure an operator sees is one of these.

    try: profile = load_profile(path)
    except ConfigError as exc: sys.exit(f"error: {exc}")   # one line, no traceback

Hierarchy::

    HarnessError
    ├── ConfigError            bad input: profile, options, kubeconfig, talosconfig, waivers, repo files
    │   └── ProfileError       a profile value, with file, line and field path
    ├── ProbeError             a probe could not get an answer (unreachable, refused, timed out)
    │   ├── KubeApiError       the Kubernetes API answered with an error or not at all
    │   └── RouterError        the router (SSH / vtysh) could not be read
    │       └── RouterWarning  FRR refused the command ({"warning": ...}, exit 0): no evidence, not "empty"
    ├── ProvisioningError      creating or removing a test object failed
    └── CheckFailed            (also an AssertionError) the cluster is not in the required state
        └── WaitTimeout        a deadline-bounded wait ended with the last mismatch seen
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
