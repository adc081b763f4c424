"""A small OpenAPI v3 surface: enough for kubectl to see ``fieldValidation`` support.

    openapi.root(registry)                   # GET /openapi/v3
    openapi.group_version(registry, "api/v1")   # GET /openapi/v3/api/v1

kubectl (k8s.io/cli-runtime/pkg/resource/query_param_verifier_v3.go) looks for a PATCH
operation tagged with ``x-kubernetes-group-version-kind`` whose parameters include
``fieldValidation``; CRDs fall back to the Namespace document. Schemas: CRDs carry their
``openAPIV3Schema``; built-ins get an open object schema.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .resources import Registry, ResourceType

Obj = dict[str, Any]

_PATCH_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force")
_WRITE_PARAMS = ("dryRun", "fieldManager", "fieldValidation")


def _gv_paths(registry: Registry) -> dict[str, list[tuple[ResourceType, str]]]:
    out: dict[str, list[tuple[ResourceType, str]]] = {}
    for rt in registry.all():
        for v in rt.versions:
            key = f"apis/{rt.group}/{v}" if rt.group else f"api/{v}"
            out.setdefault(key, []).append((rt, v))
    return out


def _schema_name(rt: ResourceType, version: str) -> str:
    prefix = ".".join(reversed(rt.group.split("."))) if rt.group else "io.k8s.api.core"
    return f"{prefix}.{version}.{rt.kind}"


def _op(rt: ResourceType, version: str, action: str, params: tuple[str, ...], ref: str) -> Obj:
    return {
        "operationId": f"{action}{rt.kind}",
        "parameters": [{"name": p, "in": "query", "schema": {"type": "string"}} for p in params],
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": ref}}}}},
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": {"group": rt.group, "version": version, "kind": rt.kind},
    }


def _paths_for(rt: ResourceType, version: str, base: str) -> dict[str, Obj]:
    ref = f"#/components/schemas/{_schema_name(rt, version)}"
    coll = f"/{base}/namespaces/{{namespace}}/{rt.plural}" if rt.namespaced else f"/{base}/{rt.plural}"
    item = {
        "get": _op(rt, version, "get", (), ref),
        "put": _op(rt, version, "put", _WRITE_PARAMS, ref),
        "patch": _op(rt, version, "patch", _PATCH_PARAMS, ref),
        "delete": _op(rt, version, "delete", ("dryRun",), ref),
    }
    paths = {
        coll: {"get": _op(rt, version, "list", (), ref), "post": _op(rt, version, "post", _WRITE_PARAMS, ref)},
        f"{coll}/{{name}}": item,
    }
    if rt.has_status:
        paths[f"{coll}/{{name}}/status"] = {k: v for k, v in item.items() if k != "delete"}
    return paths


def _schema(rt: ResourceType, version: str) -> Obj:
    base = rt.schemas.get(version) or {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    out = dict(base)
    out["x-kubernetes-group-version-kind"] = [{"group": rt.group, "version": version, "kind": rt.kind}]
    return out


def group_version(registry: Registry, gv_path: str) -> Obj | None:
    entries = _gv_paths(registry).get(gv_path.strip("/"))
    if not entries:
        return None
    paths: dict[str, Obj] = {}
    schemas: dict[str, Obj] = {}
    for rt, v in entries:
        paths.update(_paths_for(rt, v, gv_path.strip("/")))
        schemas[_schema_name(rt, v)] = _schema(rt, v)
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0-lab"},
        "paths": paths,
        "components": {"schemas": schemas},
    }


def _hash(doc: Obj | None) -> str:
    return hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest().upper()[:64]


def root(registry: Registry) -> Obj:
    paths = {
        key: {"serverRelativeURL": f"/openapi/v3/{key}?hash={_hash(group_version(registry, key))}"}
        for key in sorted(_gv_paths(registry))
    }
    return {"paths": paths}
