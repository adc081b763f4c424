"""Object metadata rules shared by every write: names, server-set fields, generation, status.

    obj = stamp_new(obj, now)                      # uid, creationTimestamp, generation 1
    obj = carry_over(old, new, has_status=True)    # keep server fields, bump generation on spec change

Rules per https://kubernetes.io/docs/reference/using-api/api-concepts/ and the object
metadata conventions (sig-architecture api-conventions.md, "Metadata" and "Spec and Status").
"""

from __future__ import annotations

import copy
import re
import secrets
import uuid
from typing import Any

from .errors import ApiError, Cause
from .resources import ResourceType

Obj = dict[str, Any]

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_LABEL_1123 = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_SERVER_META = (
    "uid",
    "creationTimestamp",
    "generation",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
)


def check_name(rt: ResourceType, name: str) -> None:
    if rt.kind == "Service":
        ok, what = bool(_LABEL_1035.match(name)) and len(name) <= 63, "a DNS-1035 label"
    elif rt.kind == "Namespace":
        ok, what = bool(_LABEL_1123.match(name)) and len(name) <= 63, "a lowercase RFC 1123 label"
    else:
        ok, what = bool(_SUBDOMAIN.match(name)) and len(name) <= 253, "a lowercase RFC 1123 subdomain"
    if not ok:
        raise ApiError.invalid(
            rt.kind, rt.group, name, [Cause("metadata.name", f'Invalid value: "{name}": must be {what}')]
        )


def ensure_name(rt: ResourceType, obj: Obj) -> str:
    meta = obj.setdefault("metadata", {})
    if not meta.get("name") and meta.get("generateName"):
        meta["name"] = meta["generateName"] + secrets.token_hex(3)[:5]
    name = meta.get("name")
    if not name:
        raise ApiError.invalid(
            rt.kind,
            rt.group,
            "",
            [Cause("metadata.name", "Required value: name or generateName is required", "FieldValueRequired")],
        )
    check_name(rt, name)
    return str(name)


def check_identity(rt: ResourceType, version: str, obj: Obj, namespace: str | None, url_name: str | None) -> None:
    """apiVersion/kind/namespace/name of a body must agree with the URL it was sent to."""
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if api_version and api_version != rt.api_version(version):
        raise ApiError.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API version "
            f"({rt.api_version(version)})"
        )
    if kind and kind != rt.kind:
        raise ApiError.bad_request(f"the kind in the data ({kind}) does not match the expected kind ({rt.kind})")
    meta = obj.setdefault("metadata", {})
    if not isinstance(meta, dict):
        raise ApiError.bad_request("metadata must be an object")
    if url_name is not None and meta.get("name") not in (None, url_name):
        raise ApiError.bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL ({url_name})"
        )
    if url_name is not None:
        meta["name"] = url_name
    if rt.namespaced:
        if meta.get("namespace") not in (None, "", namespace):
            raise ApiError.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request"
            )
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    obj["apiVersion"], obj["kind"] = rt.api_version(version), rt.kind


def _content(obj: Obj) -> Obj:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def stamp_new(obj: Obj, now: str, has_status: bool) -> Obj:
    meta = obj["metadata"]
    for key in _SERVER_META:
        meta.pop(key, None)
    meta.update(uid=str(uuid.uuid4()), creationTimestamp=now, generation=1)
    if has_status:
        obj.pop("status", None)
    return obj


def carry_over(old: Obj, new: Obj, has_status: bool, status_only: bool) -> Obj:
    """The object to store for an update of ``old`` with body ``new``."""
    if status_only:
        out = copy.deepcopy(old)
        if "status" in new:
            out["status"] = new["status"]
        else:
            out.pop("status", None)
        return out
    out = new
    meta, old_meta = out["metadata"], old["metadata"]
    for key in _SERVER_META:
        if key in old_meta:
            meta[key] = old_meta[key]
        else:
            meta.pop(key, None)
    if has_status:
        if "status" in old:
            out["status"] = old["status"]
        else:
            out.pop("status", None)
    if _content(out) != _content(old):
        meta["generation"] = int(old_meta.get("generation", 1)) + 1
    return out
