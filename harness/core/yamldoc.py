"""YAML documents that remember where each value came from, for errors naming file and line.

    doc = Node.load(Path("fixtures/profiles/home-ops.yaml"))
    doc.at("lb_pools").items()[0].at("name").text()     # ProfileError names file:line and path

Only the profile uses this; manifests and router output are parsed elsewhere.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from harness.core.errors import ProfileError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Node:
    """A YAML node plus its file, line and dotted field path."""

    raw: yaml.Node | None
    file: str
    path: str
    line: int | None

    @classmethod
    def load(cls, path: Path) -> Node:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProfileError(str(path), None, "", f"cannot read: {exc.strerror or exc}") from exc
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            raise ProfileError(str(path), line, "", f"malformed YAML: {problem}") from exc
        return cls(root, str(path), "", 1 if root is None else root.start_mark.line + 1)

    def fail(self, problem: str) -> ProfileError:
        return ProfileError(self.file, self.line, self.path, problem)

    # -- structure -------------------------------------------------------------------------
    def _child(self, raw: yaml.Node | None, suffix: str) -> Node:
        line = raw.start_mark.line + 1 if raw is not None else self.line
        return Node(raw, self.file, f"{self.path}{suffix}" if self.path else suffix.lstrip("."), line)

    def _mapping(self) -> dict[str, yaml.Node]:
        if not isinstance(self.raw, yaml.MappingNode):
            raise self.fail(f"expected a mapping, got {self._kind()}")
        return {str(k.value): v for k, v in self.raw.value}

    def keys(self) -> list[str]:
        return list(self._mapping())

    def has(self, key: str) -> bool:
        return self.raw is not None and key in self._mapping()

    def at(self, key: str) -> Node:
        """A required key of a mapping."""
        mapping = self._mapping()
        if key not in mapping:
            raise self.fail(f"missing required field {key!r}")
        return self._child(mapping[key], f".{key}")

    def opt(self, key: str) -> Node | None:
        mapping = self._mapping()
        return self._child(mapping[key], f".{key}") if key in mapping else None

    def items(self) -> list[Node]:
        if not isinstance(self.raw, yaml.SequenceNode):
            raise self.fail(f"expected a list, got {self._kind()}")
        return [self._child(item, f"[{i}]") for i, item in enumerate(self.raw.value)]

    def entries(self) -> list[tuple[str, Node]]:
        return [(key, self._child(raw, f".{key}")) for key, raw in self._mapping().items()]

    def reject_unknown(self, allowed: set[str]) -> None:
        unknown = sorted(set(self.keys()) - allowed)
        if unknown:
            raise self.fail(f"unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")

    # -- scalars ---------------------------------------------------------------------------
    def value(self) -> Any:
        if not isinstance(self.raw, yaml.ScalarNode):
            raise self.fail(f"expected a single value, got {self._kind()}")
        return yaml.safe_load(yaml.serialize(self.raw))

    def text(self) -> str:
        value = self.value()
        if not isinstance(value, str) or not value:
            raise self.fail(f"expected a non-empty string, got {value!r}")
        return value

    def integer(self, low: int | None = None, high: int | None = None) -> int:
        value = self.value()
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(f"expected an integer, got {value!r}")
        if (low is not None and value < low) or (high is not None and value > high):
            raise self.fail(f"{value} is outside {low}..{high}")
        return value

    def number(self) -> float:
        value = self.value()
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise self.fail(f"expected a positive number, got {value!r}")
        return float(value)

    def boolean(self) -> bool:
        value = self.value()
        if not isinstance(value, bool):
            raise self.fail(f"expected true or false, got {value!r}")
        return value

    def choice(self, *allowed: str) -> str:
        value = self.text()
        if value not in allowed:
            raise self.fail(f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    def ip(self) -> IPAddress:
        try:
            return ipaddress.ip_address(str(self.value()))
        except ValueError as exc:
            raise self.fail(f"{self.value()!r} is not an IP address") from exc

    def network(self, strict: bool = False) -> IPNetwork:
        """A CIDR. Host bits are kept in the profile text (the owner writes some that way)."""
        try:
            return ipaddress.ip_network(str(self.value()), strict=strict)
        except ValueError as exc:
            raise self.fail(f"{self.value()!r} is not a network in CIDR form") from exc

    def plain(self) -> Any:
        """The subtree as plain Python values (for Kubernetes selectors copied verbatim)."""
        return yaml.safe_load(yaml.serialize(self.raw)) if self.raw is not None else None

    def _kind(self) -> str:
        if self.raw is None:
            return "nothing"
        if isinstance(self.raw, yaml.ScalarNode):
            return f"the value {self.raw.value!r}"
        return "a mapping" if isinstance(self.raw, yaml.MappingNode) else "a list"
