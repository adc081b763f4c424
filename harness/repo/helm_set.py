"""Helm's ``--set`` language and values merging, for values given on a command line rather than in a file.

    values = merge_values({"a": {"b": 1}}, {"a": {"c": 2}})       # {"a": {"b": 1, "c": 2}}
    apply_set(values, "ipam.operator.clusterPoolIPv4PodCIDRList=10.244.0.0/16,tolerations[0].key=x")

Semantics as helm has them (helm/helm pkg/strvals/parser.go): pairs are comma separated; a key is
dotted (``a.b.c``) with list indices (``a[0].b``); ``\\`` escapes the next character; a value ``{x,y}``
is a list; ``--set`` types a value as a bool (``true``/``false``, any case), ``null`` (removes the key
when merged), an int64 (not when it starts with ``0``) or else a string; ``--set-string`` keeps
strings. Values files are merged in order, maps key by key, anything else replaced; ``--set`` comes
after every values file (helm pkg/cli/values/options.go: MergeValues).
"""

from __future__ import annotations

import copy
from typing import Any

from harness.core.errors import SetError

Values = dict[str, Any]


def merge_values(base: Values, override: Values) -> Values:
    """``override`` merged over ``base``: maps key by key, everything else replaced (a new dict)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def typed(text: str, as_string: bool) -> Any:
    if as_string:
        return text
    lower = text.lower()
    if lower in ("true", "false"):
        return lower == "true"
    if lower == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0":
        try:
            return int(text, 10) if text.lstrip("+-").isdigit() else text
        except ValueError:
            return text
    return text


class _Reader:
    def __init__(self, text: str) -> None:
        self.text, self.at = text, 0

    def until(self, stops: str) -> tuple[str, str | None]:
        """Characters up to one of ``stops`` (consumed and returned), backslash escapes resolved."""
        out: list[str] = []
        while self.at < len(self.text):
            ch = self.text[self.at]
            self.at += 1
            if ch in stops:
                return "".join(out), ch
            if ch == "\\" and self.at < len(self.text):
                out.append(self.text[self.at])
                self.at += 1
                continue
            out.append(ch)
        return "".join(out), None

    def peek(self) -> str | None:
        return self.text[self.at] if self.at < len(self.text) else None


def apply_set(values: Values, text: str, as_string: bool = False) -> None:
    """Apply one ``--set`` (or ``--set-string``) argument to ``values`` in place."""
    reader = _Reader(text)
    while reader.peek() is not None:
        _key(reader, values, as_string, text)


def _value(reader: _Reader, as_string: bool) -> Any:
    if reader.peek() == "{":
        reader.at += 1
        items: list[Any] = []
        while True:
            part, stop = reader.until(",}")
            if stop is None:
                raise SetError("list must terminate with '}'")
            items.append(typed(part, as_string))
            if stop == "}":
                if reader.peek() == ",":
                    reader.at += 1
                return items
    part, _ = reader.until(",")
    return typed(part, as_string)


def _key(reader: _Reader, data: Values, as_string: bool, text: str) -> None:
    name, stop = reader.until("=[,.")
    if stop is None:
        raise SetError(f"{text!r}: key {name!r} has no value")
    if stop == ",":
        raise SetError(f"{text!r}: key {name!r} has no value (cannot end with ,)")
    if stop == "=":
        data[name] = _value(reader, as_string)
        return
    if stop == ".":
        inner = data.get(name) if isinstance(data.get(name), dict) else {}
        assert isinstance(inner, dict)
        _key(reader, inner, as_string, text)
        data[name] = inner
        return
    existing = data.get(name)
    data[name] = _list_item(reader, list(existing) if isinstance(existing, list) else [], as_string, text)


def _index(reader: _Reader, text: str) -> int:
    raw, stop = reader.until("]")
    if stop is None or not raw.strip().isdigit():
        raise SetError(f"{text!r}: bad list index {raw!r}")
    return int(raw)


def _list_item(reader: _Reader, items: list[Any], as_string: bool, text: str) -> list[Any]:
    index = _index(reader, text)
    while len(items) <= index:
        items.append(None)
    rest, stop = reader.until("[.=")
    if rest:
        raise SetError(f"{text!r}: unexpected data after a list index: {rest!r}")
    if stop == "=":
        items[index] = _value(reader, as_string)
    elif stop == "[":
        nested = items[index] if isinstance(items[index], list) else []
        items[index] = _list_item(reader, nested, as_string, text)
    elif stop == ".":
        inner = items[index] if isinstance(items[index], dict) else {}
        _key(reader, inner, as_string, text)
        items[index] = inner
    else:
        raise SetError(f"{text!r}: list item without a value")
    return items
