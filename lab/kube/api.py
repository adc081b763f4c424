"""The verbs of the lab API server, independent of HTTP: get, list, create, update, patch, apply, delete.

    api = Api(registry, ObjectStore(), ServiceAllocator(["10.96.0.0/12"]))
    created = api.create(rt, "v1", "default", body, WriteOptions(manager="test"))

Every write runs under the store lock (read-validate-commit is atomic) and subscribers are
notified after it is released. Objects are stored in the storage version and converted on
the way out by rewriting ``apiVersion`` (CRD conversion strategy "None").
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any

from . import crds
from .admission import Admission
from .apply import (
    Entries,
    changed_paths,
    conflict_error,
    conflicts_for,
    dump_entries,
    load_entries,
    remove_paths,
    ssa_merge,
    take_ownership,
)
from .errors import ApiError
from .fieldsets import field_paths, status_paths
from .objects import check_identity, ensure_name, stamp_new
from .resources import Registry, ResourceType
from .services import ServiceAllocator
from .store import ObjectStore

Obj = dict[str, Any]


@dataclass(frozen=True)
class WriteOptions:
    manager: str = ""
    dry_run: bool = False
    force: bool = False
    strict: bool = False
    subresource: str = ""


def now_rfc3339() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def as_version(rt: ResourceType, obj: Obj, version: str) -> Obj:
    out = copy.deepcopy(obj)
    out["apiVersion"] = rt.api_version(version)
    return out


class Api:
    def __init__(self, registry: Registry, store: ObjectStore, allocator: ServiceAllocator) -> None:
        self.registry, self.store = registry, store
        self.admission = Admission(registry, store, allocator)

    # ---- reads -------------------------------------------------------------------------
    def get(self, rt: ResourceType, version: str, namespace: str | None, name: str) -> Obj:
        obj = self.store.get((rt.group, rt.plural), namespace, name)
        if obj is None:
            raise ApiError.not_found(rt.plural, rt.group, name)
        return as_version(rt, obj, version)

    def require_namespace(self, rt: ResourceType, namespace: str | None) -> None:
        if rt.namespaced and namespace and self.store.get(("", "namespaces"), None, namespace) is None:
            raise ApiError.not_found("namespaces", "", namespace)

    # ---- writes ------------------------------------------------------------------------
    def _commit(self, rt: ResourceType, type_: str, obj: Obj, prev: Obj | None, opts: WriteOptions) -> Obj:
        if opts.dry_run:
            if type_ != "DELETED" and "resourceVersion" not in obj["metadata"]:
                obj["metadata"]["resourceVersion"] = (prev or {}).get("metadata", {}).get("resourceVersion", "")
            return obj
        self.store.commit((rt.group, rt.plural), type_, obj, prev)
        self.admission.after_commit(rt, type_, obj)
        return obj

    def _record_update(self, rt: ResourceType, version: str, old: Obj | None, new: Obj, opts: WriteOptions) -> None:
        keys_for = self.admission.keys_for(rt, version)
        entries: Entries = load_entries(old) if old else {}
        me = (opts.manager or "unknown", "Update", opts.subresource)
        paths = status_paths(new, keys_for) if opts.subresource == "status" else field_paths(new, keys_for)
        changed = changed_paths(old, new, paths)
        mine = set(entries[me].paths) | changed if me in entries else changed
        existing = field_paths(new, keys_for, include_status=True)
        entries = take_ownership(entries, me, new["apiVersion"], mine, changed, existing)
        new["metadata"]["managedFields"] = dump_entries(entries)

    def create(self, rt: ResourceType, version: str, namespace: str | None, body: Obj, opts: WriteOptions) -> Obj:
        with self.store.lock:
            out = self._create(rt, version, namespace, copy.deepcopy(body), opts)
        self.store.flush()
        return as_version(rt, out, version)

    def _create(self, rt: ResourceType, version: str, namespace: str | None, body: Obj, opts: WriteOptions) -> Obj:
        check_identity(rt, version, body, namespace, None)
        name = ensure_name(rt, body)
        self.require_namespace(rt, namespace)
        if self.store.get((rt.group, rt.plural), namespace, name) is not None:
            raise ApiError.already_exists(rt.plural, rt.group, name)
        new = stamp_new(body, now_rfc3339(), rt.has_status)
        new = self.admission.admit(rt, version, None, new, opts)
        self._record_update(rt, version, None, new, opts)
        return self._commit(rt, "ADDED", new, None, opts)

    def update(
        self, rt: ResourceType, version: str, namespace: str | None, name: str, body: Obj, opts: WriteOptions
    ) -> Obj:
        with self.store.lock:
            out = self._update(rt, version, namespace, name, copy.deepcopy(body), opts)
        self.store.flush()
        return as_version(rt, out, version)

    def _check_fresh(self, rt: ResourceType, old: Obj, body: Obj) -> None:
        want = body.get("metadata", {}).get("resourceVersion")
        if want and want != old["metadata"]["resourceVersion"]:
            raise ApiError.conflict(
                rt.plural,
                rt.group,
                old["metadata"]["name"],
                "the object has been modified; please apply your changes to the latest version and try again",
            )

    def _update(
        self, rt: ResourceType, version: str, namespace: str | None, name: str, body: Obj, opts: WriteOptions
    ) -> Obj:
        check_identity(rt, version, body, namespace, name)
        old = self.store.get((rt.group, rt.plural), namespace, name)
        if old is None:
            raise ApiError.not_found(rt.plural, rt.group, name)
        self._check_fresh(rt, old, body)
        new = self.admission.admit(rt, version, old, body, opts)
        if new == old:
            return copy.deepcopy(old)
        self._record_update(rt, version, old, new, opts)
        if new["metadata"].get("deletionTimestamp") and not new["metadata"].get("finalizers"):
            return self._commit(rt, "DELETED", new, old, opts)
        return self._commit(rt, "MODIFIED", new, old, opts)

    def patch(
        self, rt: ResourceType, version: str, namespace: str | None, name: str, patcher: Any, opts: WriteOptions
    ) -> Obj:
        """``patcher(current_object_in_request_version) -> patched body``."""
        with self.store.lock:
            old = self.store.get((rt.group, rt.plural), namespace, name)
            if old is None:
                raise ApiError.not_found(rt.plural, rt.group, name)
            body = patcher(as_version(rt, old, version))
            if not isinstance(body, dict):
                raise ApiError.bad_request("patch did not produce an object")
            out = self._update(rt, version, namespace, name, body, opts)
        self.store.flush()
        return as_version(rt, out, version)

    def apply(
        self, rt: ResourceType, version: str, namespace: str | None, name: str, body: Obj, opts: WriteOptions
    ) -> tuple[int, Obj]:
        if not opts.manager:
            raise ApiError(
                422,
                "Invalid",
                'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
                causes=[],
            )
        with self.store.lock:
            old = self.store.get((rt.group, rt.plural), namespace, name)
            out = self._apply(rt, version, namespace, name, copy.deepcopy(body), old, opts)
        self.store.flush()
        return (201 if old is None else 200), as_version(rt, out, version)

    def _apply(
        self,
        rt: ResourceType,
        version: str,
        namespace: str | None,
        name: str,
        body: Obj,
        old: Obj | None,
        opts: WriteOptions,
    ) -> Obj:
        check_identity(rt, version, body, namespace, name)
        if old is None:
            self.require_namespace(rt, namespace)
        body = self.admission.prepare_applied(rt, version, body, opts)
        keys_for = self.admission.keys_for(rt, version)
        status_only = opts.subresource == "status"
        paths = status_paths(body, keys_for) if status_only else field_paths(body, keys_for)
        entries = load_entries(old) if old else {}
        me = (opts.manager, "Apply", opts.subresource)
        live = as_version(rt, old, version) if old else {}
        found = conflicts_for(entries, me, paths, live, body)
        if found and not opts.force:
            raise conflict_error(rt.kind, rt.group, name, found)
        merged = ssa_merge(live, body, keys_for)
        others = set().union(*(o.paths for k, o in entries.items() if k != me))
        previously = set(entries[me].paths) if me in entries else set()
        remove_paths(merged, previously - paths - others)
        if old is None:
            new = self.admission.admit(rt, version, None, stamp_new(merged, now_rfc3339(), rt.has_status), opts)
        else:
            new = self.admission.admit(rt, version, old, merged, opts)
        existing = field_paths(new, keys_for, include_status=True)
        taken = {p for _, _, p in found}  # force: only the conflicting fields change hands
        new["metadata"]["managedFields"] = dump_entries(
            take_ownership(entries, me, rt.api_version(version), paths, taken, existing)
        )
        if old is not None and new == old:
            return copy.deepcopy(old)
        return self._commit(rt, "MODIFIED" if old else "ADDED", new, old, opts)

    def delete(
        self,
        rt: ResourceType,
        version: str,
        namespace: str | None,
        name: str,
        opts: WriteOptions,
        precondition_rv: str | None = None,
    ) -> Obj:
        with self.store.lock:
            out = self._delete(rt, namespace, name, opts, precondition_rv)
        self.store.flush()
        return as_version(rt, out, version)

    def _delete(
        self, rt: ResourceType, namespace: str | None, name: str, opts: WriteOptions, precondition_rv: str | None = None
    ) -> Obj:
        old = self.store.get((rt.group, rt.plural), namespace, name)
        if old is None:
            raise ApiError.not_found(rt.plural, rt.group, name)
        if precondition_rv and precondition_rv != old["metadata"]["resourceVersion"]:
            raise ApiError.conflict(rt.plural, rt.group, name, "the object has been modified; precondition failed")
        if old["metadata"].get("finalizers"):
            if old["metadata"].get("deletionTimestamp"):
                return copy.deepcopy(old)
            new = copy.deepcopy(old)
            new["metadata"].update(deletionTimestamp=now_rfc3339(), deletionGracePeriodSeconds=0)
            return self._commit(rt, "MODIFIED", new, old, opts)
        if not opts.dry_run:
            self.admission.before_delete(rt, old, self._delete_quiet)
        return self._commit(rt, "DELETED", copy.deepcopy(old), old, opts)

    def _delete_quiet(self, rt: ResourceType, namespace: str | None, name: str) -> None:
        """Cascade removal: finalizers are not waited for (the lab has no owners to clear them)."""
        old = self.store.get((rt.group, rt.plural), namespace, name)
        if old is not None:
            self.admission.before_delete(rt, old, self._delete_quiet)
            self._commit(rt, "DELETED", copy.deepcopy(old), old, WriteOptions())

    def register_crd(self, crd: Obj) -> Obj:
        """Create or replace a CRD as an installer would (used for ``crd_files``)."""
        rt = self.registry.by_path("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert rt is not None
        crds.validate_crd(crd)
        name = crd["metadata"]["name"]
        with self.store.lock:
            old = self.store.get((rt.group, rt.plural), None, name)
            opts = WriteOptions(manager="lab-crd-installer")
            if old is None:
                out = self._create(rt, "v1", None, copy.deepcopy(crd), opts)
            else:
                body = copy.deepcopy(crd)
                body.setdefault("metadata", {})["resourceVersion"] = old["metadata"]["resourceVersion"]
                out = self._update(rt, "v1", None, name, body, opts)
        self.store.flush()
        return out
