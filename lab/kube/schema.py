"""Structural-schema handling for custom resources: prune, default, validate.

    unknown = prune(obj, schema)                   # drops unknown fields, returns their paths
    default(obj, schema); causes = validate(obj, schema)

Behaviour per https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/
(sections "Validation", "Field pruning", "Defaulting", "Defaulting and Nullable"): nulls on
non-nullable fields are dropped before defaulting; defaults fill missing fields of objects that
exist; ``x-kubernetes-preserve-unknown-fields`` stops pruning; ``metadata`` is never pruned here.
"""

from __future__ import annotations

import copy
import ipaddress
import re
from typing import Any

from .errors import Cause

Obj = dict[str, Any]

_ROOT_KEEP = ("apiVersion", "kind", "metadata")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def prune(obj: Any, schema: Obj, path: str = "") -> list[str]:
    """Remove fields the schema does not know (and non-nullable nulls); return pruned paths."""
    unknown: list[str] = []
    if isinstance(obj, dict) and schema.get("type", "object") == "object":
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        keep_unknown = schema.get("x-kubernetes-preserve-unknown-fields", False)
        for key in list(obj):
            if not path and key in _ROOT_KEEP:
                continue
            sub = props.get(key) if props else (extra if isinstance(extra, dict) else None)
            if sub is None:
                if not keep_unknown and not (props is None and extra is not False and extra is not None):
                    unknown.append(_join(path, key))
                    del obj[key]
                continue
            if obj[key] is None and not sub.get("nullable", False):
                del obj[key]
                continue
            unknown += prune(obj[key], sub, _join(path, key))
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for n, item in enumerate(obj):
            unknown += prune(item, schema["items"], f"{path}[{n}]")
    return unknown


def default(obj: Any, schema: Obj) -> None:
    if isinstance(obj, dict):
        for key, sub in (schema.get("properties") or {}).items():
            if key not in obj and "default" in sub:
                obj[key] = copy.deepcopy(sub["default"])
            if key in obj:
                default(obj[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and not schema.get("properties"):
            for value in obj.values():
                default(value, extra)
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for item in obj:
            default(item, schema["items"])


def _type_ok(value: Any, schema: Obj) -> bool:
    if schema.get("x-kubernetes-int-or-string"):
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    want = schema.get("type")
    checks = {
        "string": lambda v: isinstance(v, str),
        "boolean": lambda v: isinstance(v, bool),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
    }
    return want is None or want not in checks or checks[want](value)


def _format_error(value: Any, fmt: str) -> str | None:
    try:
        if fmt == "cidr" and isinstance(value, str):
            ipaddress.ip_network(value, strict=False)
        elif fmt in ("ipv4", "ipv6", "ip") and isinstance(value, str):
            addr = ipaddress.ip_address(value)
            if fmt != "ip" and f"ipv{addr.version}" != fmt:
                return f"must be of type {fmt}"
        elif fmt in ("int32", "int64") and isinstance(value, int):
            lo, hi = _INT32 if fmt == "int32" else _INT64
            if not lo <= value <= hi:
                return f"must be of type {fmt}"
    except ValueError:
        return f"must be of type {fmt}"
    return None


def _scalar_checks(value: Any, schema: Obj, path: str) -> list[Cause]:
    out: list[Cause] = []
    shown = repr(value) if not isinstance(value, str) else f'"{value}"'
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(f'"{e}"' if isinstance(e, str) else str(e) for e in schema["enum"])
        out.append(Cause(path, f"Unsupported value: {shown}: supported values: {allowed}", "FieldValueNotSupported"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            out.append(
                Cause(
                    path,
                    f"Invalid value: {value}: {path} in body should be greater than or equal to {schema['minimum']}",
                )
            )
        if "maximum" in schema and value > schema["maximum"]:
            out.append(
                Cause(
                    path, f"Invalid value: {value}: {path} in body should be less than or equal to {schema['maximum']}"
                )
            )
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(Cause(path, f"Invalid value: {shown}: {path} in body should match '{schema['pattern']}'"))
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            out.append(Cause(path, f"Too long: may not be more than {schema['maxLength']} bytes", "FieldValueTooLong"))
        if "minLength" in schema and len(value) < schema["minLength"]:
            out.append(
                Cause(
                    path, f"Invalid value: {shown}: {path} in body should be at least {schema['minLength']} chars long"
                )
            )
    if "format" in schema and (err := _format_error(value, schema["format"])):
        out.append(Cause(path, f"Invalid value: {shown}: {path} in body {err}"))
    return out


def validate(value: Any, schema: Obj, path: str = "") -> list[Cause]:
    """Causes for every violation, with field paths like ``spec.blocks[0].cidr``."""
    if value is None:
        return (
            []
            if schema.get("nullable")
            else [Cause(path, 'Invalid value: "null": must not be null', "FieldValueTypeInvalid")]
        )
    if not _type_ok(value, schema):
        return [
            Cause(
                path,
                f'Invalid value: "{type(value).__name__}": {path} in body must be of type '
                f"{schema.get('type')}: {value!r}",
                "FieldValueTypeInvalid",
            )
        ]
    causes = _scalar_checks(value, schema, path)
    if isinstance(value, dict):
        for req in schema.get("required") or []:
            if req not in value:
                causes.append(Cause(_join(path, req), "Required value", "FieldValueRequired"))
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        for key, sub_value in value.items():
            if not path and key in _ROOT_KEEP:
                continue
            sub = props.get(key) or (extra if isinstance(extra, dict) else None)
            if sub is not None:
                causes += validate(sub_value, sub, _join(path, key))
    if isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            causes.append(
                Cause(
                    path, f"Invalid value: {len(value)}: {path} in body should have at least {schema['minItems']} items"
                )
            )
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            causes.append(
                Cause(
                    path, f"Too many: {len(value)}: must have at most {schema['maxItems']} items", "FieldValueTooMany"
                )
            )
        for n, item in enumerate(value):
            if isinstance(schema.get("items"), dict):
                causes += validate(item, schema["items"], f"{path}[{n}]")
    return causes
