"""The lab's LB IPAM controller: :func:`lab.cilium.ipam.reconcile` wired to a Store.

    ctl = LbIpamController(store)     # subscribes and runs a first pass at once
    ctl.close()                       # unsubscribes; status already written stays

Every Service or pool change triggers a full pass; Service ``status`` (ingress +
conditions) and pool ``status`` are written with ``update_status`` only when they
differ, so our own writes echo back as events that end in a no-op pass.

``LbIpamController(store, version=CiliumVersion.parse("1.17.6"))`` watches pools under the
versions that release serves (harness/model/cilium_versions.py); without a version, under every
version any release in the table serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.model.cilium_versions import POOL, CiliumVersion, api_versions
from lab.cilium._watch import Controller, list_versions
from lab.cilium.ipam import IpamResult, reconcile
from lab.cilium.ipam_model import DEFAULT_CONFIG, IpamConfig
from lab.store_api import Store

POOL_KIND = POOL
POOL_VERSIONS = ("cilium.io/v2", "cilium.io/v2alpha1")    # every version some release serves (no version given)
WATCHED_KINDS = frozenset({"Service", POOL_KIND})


class LbIpamController(Controller):
    WATCHED_KINDS = WATCHED_KINDS

    def __init__(self, store: Store, *, config: IpamConfig = DEFAULT_CONFIG,
                 version: CiliumVersion | None = None) -> None:
        self._store = store
        self._config = config
        self._versions = api_versions(version, POOL_KIND) if version is not None else POOL_VERSIONS
        self._had_pools = False
        self._start(store)

    def _reconcile_once(self) -> None:
        pools = list_versions(self._store, self._versions, POOL_KIND)
        services = self._store.list("v1", "Service")
        # The pass that sees the last pool gone still runs, stripping addresses; then dormant.
        result = reconcile(pools, services, config=self._config, dormant_if_no_pools=not self._had_pools)
        self._had_pools = bool(pools)
        self._write_services(services, result)
        self._write_pools(pools, result)

    def _write_services(self, services: list[dict[str, Any]], result: IpamResult) -> None:
        for svc in services:
            meta = svc.get("metadata") or {}
            key = (str(meta.get("namespace", "default")), str(meta.get("name", "")))
            outcome = result.services.get(key)
            if outcome is None:
                continue
            current = svc.get("status") or {}
            desired = outcome.status(current)
            if not _same_status(current, desired):
                self._store.update_status("v1", "Service", key[0], key[1], desired)

    def _write_pools(self, pools: list[dict[str, Any]], result: IpamResult) -> None:
        for pool in pools:
            name = str((pool.get("metadata") or {}).get("name", ""))
            desired = result.pools.get(name)
            current = pool.get("status") or {}
            if desired is not None and desired != current:
                api_version = str(pool.get("apiVersion", self._versions[0]))
                self._store.update_status(api_version, POOL_KIND, None, name, desired)


def _same_status(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    """An absent ``loadBalancer`` equals ``loadBalancer: {}`` (the API drops empty structs)."""

    def norm(status: Mapping[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in status.items() if v not in ({}, [], None)}
        lb = {k: v for k, v in (status.get("loadBalancer") or {}).items() if v not in ([], None)}
        if lb:
            out["loadBalancer"] = lb
        return out

    return norm(current) == norm(desired)
