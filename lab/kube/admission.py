"""Per-kind write rules: status handling, CR schema checks, Service allocation, CRD registration.

    obj = admission.admit(rt, "v1", old, new, opts)   # defaulted, validated, in storage version
    admission.after_commit(rt, "ADDED", obj)           # e.g. a CRD starts being served

Server-side behaviour mirrored: ``fieldValidation=Strict`` rejects unknown fields with 400
BadRequest ("strict decoding error"), otherwise they are pruned
(https://kubernetes.io/docs/reference/using-api/api-concepts/#field-validation).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from . import crds, schema
from .errors import ApiError
from .fieldsets import KeysFor
from .listkeys import ssa_keys
from .objects import carry_over
from .resources import Registry, ResourceType
from .services import ServiceAllocator, SpecInvalid
from .store import ObjectStore

Obj = dict[str, Any]
DeleteFn = Callable[[ResourceType, "str | None", str], None]


class Admission:
    def __init__(self, registry: Registry, store: ObjectStore, allocator: ServiceAllocator) -> None:
        self.registry, self.store, self.allocator = registry, store, allocator

    def keys_for(self, rt: ResourceType, version: str) -> KeysFor:
        sch = rt.schemas.get(version) if rt.is_custom else None
        return lambda names: ssa_keys(names, sch)

    def _prune(self, rt: ResourceType, version: str, obj: Obj, strict: bool) -> None:
        sch = rt.schemas.get(version)
        if not rt.is_custom or sch is None:
            return
        unknown = schema.prune(obj, sch)
        if unknown and strict:
            listed = ", ".join(f'unknown field "{p}"' for p in unknown)
            raise ApiError.bad_request(f"strict decoding error: {listed}")

    def prepare_applied(self, rt: ResourceType, version: str, body: Obj, opts: Any) -> Obj:
        self._prune(rt, version, body, opts.strict)
        for port in (body.get("spec") or {}).get("ports") or []:
            if rt.kind == "Service" and isinstance(port, dict):
                port.setdefault("protocol", "TCP")
        return body

    def admit(self, rt: ResourceType, version: str, old: Obj | None, new: Obj, opts: Any) -> Obj:
        status_only = opts.subresource == "status"
        if old is not None:
            old_v = copy.deepcopy(old)
            old_v["apiVersion"] = rt.api_version(version)
            new = carry_over(old_v, new, rt.has_status, status_only)
        if rt.is_custom:
            self._custom(rt, version, new, opts.strict)
        elif rt.kind == "Service" and not status_only:
            self._service(rt, old, new)
        elif rt.kind == "CustomResourceDefinition" and not status_only:
            crds.validate_crd(new)
            new["status"] = (old or {}).get("status") or crds.accepted_status(new, new["metadata"]["creationTimestamp"])
        elif rt.kind == "Namespace" and old is None:
            new.setdefault("spec", {"finalizers": ["kubernetes"]})
            new["status"] = {"phase": "Active"}
        new["apiVersion"] = rt.api_version()
        return new

    def _custom(self, rt: ResourceType, version: str, obj: Obj, strict: bool) -> None:
        sch = rt.schemas.get(version)
        if sch is None:
            return
        self._prune(rt, version, obj, strict)
        schema.default(obj, sch)
        causes = schema.validate(obj, sch)
        if causes:
            raise ApiError.invalid(rt.kind, rt.group, obj["metadata"].get("name", ""), causes)

    def _service(self, rt: ResourceType, old: Obj | None, new: Obj) -> None:
        meta = new["metadata"]
        services = self.store.items(("", "services"))
        in_use = self.allocator.scan(services, skip=(meta.get("namespace"), meta["name"]))
        try:
            new["spec"] = self.allocator.prepare(new.get("spec") or {}, (old or {}).get("spec"), in_use)
        except SpecInvalid as exc:
            raise ApiError.invalid("Service", "", meta["name"], exc.causes) from exc
        if old is None:
            new["status"] = {"loadBalancer": {}}

    def after_commit(self, rt: ResourceType, type_: str, obj: Obj) -> None:
        if rt.kind != "CustomResourceDefinition" or rt.group != "apiextensions.k8s.io":
            return
        if type_ == "DELETED":
            spec = obj["spec"]
            self.registry.remove(spec["group"], spec["names"]["plural"])
            self.store.drop_resource((spec["group"], spec["names"]["plural"]))
        else:
            self.registry.add(crds.resource_type(obj))

    def before_delete(self, rt: ResourceType, obj: Obj, delete: DeleteFn) -> None:
        """Cascade: a namespace takes its contents along, a CRD its custom resources."""
        if rt.kind == "Namespace" and rt.group == "":
            ns = obj["metadata"]["name"]
            for other in self.registry.all():
                if other.namespaced:
                    for child in self.store.items((other.group, other.plural), ns):
                        delete(other, ns, child["metadata"]["name"])
        elif rt.kind == "CustomResourceDefinition" and rt.group == "apiextensions.k8s.io":
            served = self.registry.by_path(
                obj["spec"]["group"], crds.resource_type(obj).versions[0], obj["spec"]["names"]["plural"]
            )
            if served is not None:
                for child in self.store.items((served.group, served.plural)):
                    delete(served, child["metadata"].get("namespace"), child["metadata"]["name"])
