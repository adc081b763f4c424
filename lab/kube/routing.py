"""Parse request paths into resource routes and verbs.

    route = parse_resource_path(registry, "/api/v1/namespaces/default/services/web/status")
    verb = route.verb("GET", watch=False)      # "get"

Path layout per https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-uris
(including the legacy ``/api/v1/watch/...`` prefix).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ApiError
from .resources import Registry, ResourceType

_NS_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Route:
    rt: ResourceType
    version: str
    namespace: str | None
    name: str | None
    subresource: str
    watch_path: bool

    def verb(self, method: str, watch: bool) -> str:
        if method == "GET":
            if self.watch_path or watch:
                return "watch"
            return "get" if self.name else "list"
        verbs = {"POST": "create", "PUT": "update", "PATCH": "patch"}
        if method in verbs:
            return verbs[method]
        if method == "DELETE":
            return "delete" if self.name else "deletecollection"
        raise ApiError.method_not_allowed(method, self.rt.plural)


def split_group_version(parts: list[str]) -> tuple[str, str, list[str]] | None:
    if len(parts) >= 2 and parts[0] == "api":
        return "", parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[1], parts[2], parts[3:]
    return None


def parse_resource_path(registry: Registry, path: str) -> Route | None:
    """A Route for a resource path, None when ``path`` names no resource (e.g. discovery)."""
    parts = [p for p in path.split("/") if p]
    gv = split_group_version(parts)
    if gv is None or not gv[2]:
        return None
    group, version, rest = gv
    watch_path = rest[0] == "watch"
    if watch_path:
        rest = rest[1:]
    namespace: str | None = None
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in _NS_SUBRESOURCES:
        namespace, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        raise ApiError.not_found("", "", path)
    rt = registry.by_path(group, version, rest[0])
    if rt is None:
        raise ApiError(404, "NotFound", f"the server could not find the requested resource ({path})")
    if rt.namespaced is False and namespace is not None:
        raise ApiError(404, "NotFound", f"{rt.plural} is not namespaced ({path})")
    sub = rest[2] if len(rest) == 3 else ""
    if sub and sub not in rt.subresources:
        raise ApiError(404, "NotFound", f"{rt.plural} has no subresource {sub!r}")
    return Route(rt, version, namespace, rest[1] if len(rest) >= 2 else None, sub, watch_path)
