"""Waivers: known failures accepted until a date, with a reason, so a gate run stays green.

    waivers = load_waivers(Path("waivers.yaml"))          # ConfigError naming file:line if malformed
    day = today(); verdict = judge(waivers.find(nodeid, name, day), failed=True, today=day)

The file is a YAML list of ``{scenario, reason, expires}``. ``scenario`` is a nodeid glob when it
contains ``*``, ``?`` or ``[`` (``fnmatch`` semantics), otherwise a substring of the nodeid or of
the scenario's name. A waiver applies up to and including its ``expires`` day:

=========  ==================  ===================================================================
waiver     scenario outcome    reported as
=========  ==================  ===================================================================
active     fails               xfailed: ``waived until DATE: reason``
active     passes              passed, noted ``waiver no longer needed``
expired    fails               failed, message prefixed ``waiver expired on DATE (reason): ``
expired    passes              passed, noted ``waiver expired on DATE; remove it``
=========  ==================  ===================================================================

"Today" is ``HOME_OPS_TODAY=YYYY-MM-DD`` when set (tests, replaying a night), else the local date.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from harness.core.errors import ConfigError
from harness.core.yamldoc import Node

TODAY_ENV = "HOME_OPS_TODAY"
FIELDS = {"scenario", "reason", "expires"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Waiver:
    scenario: str
    reason: str
    expires: dt.date
    where: str  # file:line, for notes that point back at the entry

    def matches(self, nodeid: str, name: str) -> bool:
        if any(c in self.scenario for c in "*?["):
            return fnmatch.fnmatchcase(nodeid, self.scenario)
        return self.scenario in nodeid or self.scenario in name

    def is_active(self, today: dt.date) -> bool:
        return today <= self.expires


@dataclass(frozen=True)
class Verdict:
    """What a waiver does to one scenario's result."""

    xfail_reason: str | None = None   # turn the failure into xfail with this reason
    message_prefix: str = ""          # put in front of the failure message
    note: str = ""                    # a remark shown next to the result


@dataclass(frozen=True)
class Waivers:
    entries: tuple[Waiver, ...] = ()

    def find(self, nodeid: str, name: str, on: dt.date) -> Waiver | None:
        """The first matching waiver, preferring one still active on day ``on``."""
        found = [w for w in self.entries if w.matches(nodeid, name)]
        active = [w for w in found if w.is_active(on)]
        chosen = active or found
        return chosen[0] if chosen else None


def judge(waiver: Waiver | None, *, failed: bool, today: dt.date) -> Verdict:
    if waiver is None:
        return Verdict()
    date = waiver.expires.isoformat()
    if waiver.is_active(today):
        if failed:
            return Verdict(xfail_reason=f"waived until {date}: {waiver.reason}")
        return Verdict(note=f"waiver no longer needed ({waiver.where}, until {date}: {waiver.reason})")
    if failed:
        return Verdict(message_prefix=f"waiver expired on {date} ({waiver.reason}): ")
    return Verdict(note=f"waiver expired on {date}; remove it ({waiver.where}: {waiver.reason})")


def today() -> dt.date:
    value = os.environ.get(TODAY_ENV)
    if not value:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"{TODAY_ENV}={value!r}: expected a date YYYY-MM-DD") from exc


def load_waivers(path: Path) -> Waivers:
    """Parse the waiver file; any problem is one ConfigError line naming file:line."""
    doc = Node.load(path)
    if doc.raw is None:
        return Waivers()
    return Waivers(tuple(_entry(node) for node in doc.items()))


def _entry(node: Node) -> Waiver:
    node.reject_unknown(FIELDS)
    return Waiver(scenario=node.at("scenario").text(), reason=node.at("reason").text(),
                  expires=_date(node.at("expires")), where=f"{node.file}:{node.line}")


def _date(node: Node) -> dt.date:
    """From the scalar's text: PyYAML's own timestamp parsing crashes on dates like 2025-13-01."""
    text = node.raw.value if isinstance(node.raw, yaml.ScalarNode) else None
    try:
        if not isinstance(text, str) or not _DATE.fullmatch(text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise node.fail(f"expected a date YYYY-MM-DD, got {text!r}") from exc
