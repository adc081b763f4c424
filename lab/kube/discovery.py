"""Classic (non-aggregated) discovery documents built from the registry.

    discovery.api_versions(host_port)            # /api
    discovery.resource_list(registry, "apps", "v1")   # /apis/apps/v1

Document shapes per https://kubernetes.io/docs/concepts/overview/kubernetes-api/#discovery-api;
clients asking for aggregated discovery (``as=APIGroupDiscoveryList``) receive these plain
documents with ``Content-Type: application/json`` and fall back to per-group requests.
"""

from __future__ import annotations

from typing import Any

from .resources import ALL_VERBS, Registry, ResourceType

Obj = dict[str, Any]

VERSION_INFO: Obj = {
    "major": "1",
    "minor": "32",
    "gitVersion": "v1.32.0-lab",
    "gitCommit": "lab",
    "gitTreeState": "clean",
    "buildDate": "2025-01-01T00:00:00Z",
    "goVersion": "go1.23",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def api_versions(server_address: str) -> Obj:
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def _group(name: str, versions: list[str]) -> Obj:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def group_list(registry: Registry) -> Obj:
    groups = [_group(g, vs) for g, vs in sorted(registry.group_versions().items()) if g]
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(registry: Registry, name: str) -> Obj | None:
    versions = registry.group_versions().get(name)
    if not name or not versions:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def _entries(rt: ResourceType) -> list[Obj]:
    main: Obj = {
        "name": rt.plural,
        "singularName": rt.singular,
        "namespaced": rt.namespaced,
        "kind": rt.kind,
        "verbs": list(ALL_VERBS),
    }
    if rt.short_names:
        main["shortNames"] = list(rt.short_names)
    if rt.categories:
        main["categories"] = list(rt.categories)
    subs = [
        {
            "name": f"{rt.plural}/{s}",
            "singularName": "",
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": ["get", "patch", "update"],
        }
        for s in rt.subresources
    ]
    return [main, *subs]


def resource_list(registry: Registry, group_name: str, version: str) -> Obj | None:
    types = [rt for rt in registry.all() if rt.group == group_name and version in rt.versions]
    if not types:
        return None
    gv = f"{group_name}/{version}" if group_name else version
    resources = [e for rt in sorted(types, key=lambda t: t.plural) for e in _entries(rt)]
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}
