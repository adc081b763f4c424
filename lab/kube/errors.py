"""API errors rendered as ``kind: Status`` bodies, the way kube-apiserver reports failures.

    raise ApiError.not_found("services", "", "web")
    body = err.status()   # {"kind": "Status", "status": "Failure", "reason": "NotFound", ...}

Reason strings and codes follow k8s.io/apimachinery/pkg/apis/meta/v1/types.go (StatusReason)
and k8s.io/apimachinery/pkg/api/errors/errors.go (which code goes with which reason).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True)
class Cause:
    """One validation cause; ``field`` is a path like ``spec.blocks[0].cidr``."""

    field: str
    message: str
    reason: str = "FieldValueInvalid"

    def as_dict(self) -> Obj:
        return {"reason": self.reason, "message": f"{self.field}: {self.message}", "field": self.field}


@dataclass
class ApiError(Exception):
    """A failed API call: HTTP code, machine reason, human message, optional details."""

    code: int
    reason: str
    message: str
    name: str = ""
    group: str = ""
    kind: str = ""
    causes: list[Cause] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.code} {self.reason}: {self.message}"

    def status(self) -> Obj:
        details: Obj = {}
        if self.name:
            details["name"] = self.name
        if self.group:
            details["group"] = self.group
        if self.kind:
            details["kind"] = self.kind
        if self.causes:
            details["causes"] = [c.as_dict() for c in self.causes]
        body: Obj = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if details:
            body["details"] = details
        return body

    @classmethod
    def not_found(cls, resource: str, group: str, name: str) -> ApiError:
        qual = f"{resource}.{group}" if group else resource
        return cls(404, "NotFound", f'{qual} "{name}" not found', name, group, resource)

    @classmethod
    def already_exists(cls, resource: str, group: str, name: str) -> ApiError:
        qual = f"{resource}.{group}" if group else resource
        return cls(409, "AlreadyExists", f'{qual} "{name}" already exists', name, group, resource)

    @classmethod
    def conflict(cls, resource: str, group: str, name: str, why: str) -> ApiError:
        qual = f"{resource}.{group}" if group else resource
        msg = f'Operation cannot be fulfilled on {qual} "{name}": {why}'
        return cls(409, "Conflict", msg, name, group, resource)

    @classmethod
    def invalid(cls, kind: str, group: str, name: str, causes: list[Cause]) -> ApiError:
        qual = f"{kind}.{group}" if group else kind
        listed = ", ".join(c.as_dict()["message"] for c in causes)
        msg = f'{qual} "{name}" is invalid: {listed}'
        return cls(422, "Invalid", msg, name, group, kind, list(causes))

    @classmethod
    def bad_request(cls, message: str) -> ApiError:
        return cls(400, "BadRequest", message)

    @classmethod
    def forbidden(cls, user: str, verb: str, resource: str, group: str, namespace: str) -> ApiError:
        where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
        msg = (
            f'{resource} is forbidden: User "{user}" cannot {verb} resource "{resource}" in API group "{group}"{where}'
        )
        return cls(403, "Forbidden", msg, "", group, resource)

    @classmethod
    def unauthorized(cls) -> ApiError:
        return cls(401, "Unauthorized", "Unauthorized")

    @classmethod
    def method_not_allowed(cls, method: str, path: str) -> ApiError:
        return cls(
            405, "MethodNotAllowed", f"the server does not allow this method on the requested resource: {method} {path}"
        )

    @classmethod
    def unsupported_media(cls, content_type: str) -> ApiError:
        return cls(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            f" (got {content_type!r})",
        )

    @classmethod
    def expired(cls, message: str) -> ApiError:
        return cls(410, "Expired", message)

    @classmethod
    def gone(cls, message: str) -> ApiError:
        return cls(410, "Gone", message)
