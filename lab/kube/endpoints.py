"""Resource endpoints: turn a parsed request into an API call and a response body.

    code, body = Endpoints(api).handle(route, verb, request)

Patch content types per https://kubernetes.io/docs/tasks/manage-kubernetes-objects/update-api-object-kubectl-patch/
(strategic merge is refused for custom resources with 415, as kube-apiserver does) and
server-side apply per https://kubernetes.io/docs/reference/using-api/server-side-apply/.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from .api import Api, WriteOptions
from .errors import ApiError
from .listing import list_page
from .patch import json_patch, merge_patch, strategic_merge
from .routing import Route
from .selectors import FieldSelector, LabelSelector
from .table import to_table

Obj = dict[str, Any]


@dataclass(frozen=True)
class Request:
    method: str
    query: dict[str, str]
    content_type: str
    body: bytes
    accept: str
    user_agent: str
    extra: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise ApiError.bad_request(f"unable to decode request body as JSON: {exc}") from exc

    def yaml(self) -> Any:
        try:
            return yaml.safe_load(self.body or b"")
        except yaml.YAMLError as exc:
            raise ApiError.bad_request(f"unable to decode request body as YAML: {exc}") from exc

    def object(self) -> Obj:
        data = self.yaml() if "yaml" in self.content_type else self.json()
        if not isinstance(data, dict):
            raise ApiError.bad_request("request body must be a JSON object")
        return data

    @property
    def wants_table(self) -> bool:
        return "as=Table" in self.accept


def write_options(req: Request, subresource: str, body: Obj | None = None) -> WriteOptions:
    q = req.query
    dry = q.get("dryRun") == "All" or "All" in ((body or {}).get("dryRun") or [])
    manager = q.get("fieldManager") or ""
    if not manager and req.content_type != "application/apply-patch+yaml":
        manager = req.user_agent.split("/", 1)[0] or "unknown"
    return WriteOptions(
        manager=manager,
        dry_run=dry,
        force=q.get("force", "").lower() == "true",
        strict=q.get("fieldValidation", "").lower() == "strict",
        subresource=subresource,
    )


def _int(value: str | None, what: str) -> int:
    try:
        return int(value or 0)
    except ValueError as exc:
        raise ApiError.bad_request(f"{what}: invalid integer {value!r}") from exc


class Endpoints:
    def __init__(self, api: Api) -> None:
        self.api = api

    def handle(self, route: Route, verb: str, req: Request) -> tuple[int, Obj]:
        handler: Callable[[Route, Request], tuple[int, Obj]] = getattr(self, f"_{verb}")
        return handler(route, req)

    def _selectors(self, route: Route, req: Request) -> tuple[LabelSelector, FieldSelector]:
        return (
            LabelSelector.parse(req.query.get("labelSelector")),
            FieldSelector.parse(req.query.get("fieldSelector"), route.rt.kind),
        )

    def _get(self, route: Route, req: Request) -> tuple[int, Obj]:
        assert route.name is not None
        obj = self.api.get(route.rt, route.version, route.namespace, route.name)
        if req.wants_table:
            rv = obj["metadata"].get("resourceVersion", "")
            return 200, to_table(route.rt, route.version, [obj], rv, req.query.get("includeObject", "Metadata"))
        return 200, obj

    def _list(self, route: Route, req: Request) -> tuple[int, Obj]:
        labels, fields = self._selectors(route, req)
        self.api.require_namespace(route.rt, route.namespace)
        page = list_page(
            self.api, route, labels, fields, _int(req.query.get("limit"), "limit"), req.query.get("continue", "")
        )
        if req.wants_table:
            table = to_table(
                route.rt,
                route.version,
                page["items"],
                page["metadata"]["resourceVersion"],
                req.query.get("includeObject", "Metadata"),
            )
            table["metadata"] = page["metadata"]
            return 200, table
        return 200, page

    def _create(self, route: Route, req: Request) -> tuple[int, Obj]:
        if route.name:
            raise ApiError.method_not_allowed("POST", route.rt.plural)
        obj = self.api.create(route.rt, route.version, route.namespace, req.object(), write_options(req, ""))
        return 201, obj

    def _update(self, route: Route, req: Request) -> tuple[int, Obj]:
        if not route.name:
            raise ApiError.method_not_allowed("PUT", route.rt.plural)
        opts = write_options(req, route.subresource)
        return 200, self.api.update(route.rt, route.version, route.namespace, route.name, req.object(), opts)

    def _patch(self, route: Route, req: Request) -> tuple[int, Obj]:
        if not route.name:
            raise ApiError.method_not_allowed("PATCH", route.rt.plural)
        ctype = req.content_type
        opts = write_options(req, route.subresource)
        if ctype == "application/apply-patch+yaml":
            return self.api.apply(route.rt, route.version, route.namespace, route.name, req.object(), opts)
        patcher = self._patcher(route, ctype, req)
        return 200, self.api.patch(route.rt, route.version, route.namespace, route.name, patcher, opts)

    def _patcher(self, route: Route, ctype: str, req: Request) -> Callable[[Obj], Any]:
        if ctype == "application/json-patch+json":
            ops = req.json()
            return lambda cur: json_patch(cur, ops)
        body = req.object()
        if ctype == "application/merge-patch+json":
            return lambda cur: merge_patch(cur, body)
        if ctype == "application/strategic-merge-patch+json" and not route.rt.is_custom:
            return lambda cur: strategic_merge(cur, body)
        raise ApiError.unsupported_media(ctype)

    def _delete_body(self, req: Request) -> Obj:
        if not req.body.strip():
            return {}
        data = req.json()
        return data if isinstance(data, dict) else {}

    def _delete(self, route: Route, req: Request) -> tuple[int, Obj]:
        assert route.name is not None
        body = self._delete_body(req)
        precondition = (body.get("preconditions") or {}).get("resourceVersion")
        obj = self.api.delete(
            route.rt, route.version, route.namespace, route.name, write_options(req, "", body), precondition
        )
        if route.rt.is_custom and not obj["metadata"].get("deletionTimestamp"):
            details = {
                "name": route.name,
                "group": route.rt.group,
                "kind": route.rt.plural,
                "uid": obj["metadata"].get("uid", ""),
            }
            return 200, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details}
        return 200, obj

    def _deletecollection(self, route: Route, req: Request) -> tuple[int, Obj]:
        labels, fields = self._selectors(route, req)
        page = list_page(self.api, route, labels, fields, 0, "")
        opts = write_options(req, "", self._delete_body(req))
        deleted = []
        for item in page["items"]:
            meta = item["metadata"]
            try:
                deleted.append(self.api.delete(route.rt, route.version, meta.get("namespace"), meta["name"], opts))
            except ApiError as exc:
                if exc.code != 404:
                    raise
        page["items"] = deleted
        return 200, page
