"""``meta.k8s.io/v1`` Table rendering for ``kubectl get`` (Accept: ...;as=Table).

    table = to_table(rt, version, [svc1, svc2], resource_version="42", include_object="Metadata")

Columns: Services like kube-apiserver's printers (NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE),
CRDs from ``additionalPrinterColumns`` (simple JSONPath), everything else NAME and AGE
(https://kubernetes.io/docs/reference/using-api/api-concepts/#receiving-resources-as-tables).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from .resources import ResourceType

Obj = dict[str, Any]
_FILTER = re.compile(r'^\[\?\(@\.(\w+)==["\']([^"\']*)["\']\)\]')
_INDEX = re.compile(r"^\[(\d+)\]")
_FIELD = re.compile(r"^\.([A-Za-z0-9_\-]+)")


def jsonpath(obj: Any, expr: str) -> Any:
    """Evaluate the subset ``.a.b``, ``[0]``, ``[?(@.k=="v")]`` used by printer columns."""
    rest, cur = expr.strip().strip("{}"), obj
    while rest and cur is not None:
        if m := _FIELD.match(rest):
            cur = cur.get(m.group(1)) if isinstance(cur, dict) else None
        elif m := _INDEX.match(rest):
            idx = int(m.group(1))
            cur = cur[idx] if isinstance(cur, list) and idx < len(cur) else None
        elif m := _FILTER.match(rest):
            hits = (
                [i for i in cur if isinstance(i, dict) and str(i.get(m.group(1))) == m.group(2)]
                if isinstance(cur, list)
                else []
            )
            cur = hits[0] if hits else None
        else:
            return None
        rest = rest[m.end() :]
    return cur


def age(timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    then = dt.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
    secs = int((dt.datetime.now(dt.UTC) - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size * 2:
            return f"{secs // size}{unit}"
    return f"{max(secs, 0)}s"


def _svc_ports(spec: Obj) -> str:
    parts = [
        f"{p['port']}" + (f":{p['nodePort']}" if p.get("nodePort") else "") + f"/{p.get('protocol', 'TCP')}"
        for p in spec.get("ports", [])
    ]
    return ",".join(parts) or "<none>"


def _svc_external(obj: Obj) -> str:
    ingress = obj.get("status", {}).get("loadBalancer", {}).get("ingress") or []
    ips = [i.get("ip") or i.get("hostname") for i in ingress]
    if ips:
        return ",".join(str(i) for i in ips)
    return "<pending>" if obj.get("spec", {}).get("type") == "LoadBalancer" else "<none>"


Column = tuple[str, str, Callable[[Obj], Any]]
_SERVICE: list[Column] = [
    ("Type", "string", lambda o: o.get("spec", {}).get("type", "")),
    ("Cluster-IP", "string", lambda o: o.get("spec", {}).get("clusterIP", "<none>")),
    ("External-IP", "string", _svc_external),
    ("Port(s)", "string", lambda o: _svc_ports(o.get("spec", {}))),
]


def _printer_cell(path: str, kind: str) -> Callable[[Obj], Any]:
    return lambda obj: _cell(jsonpath(obj, path), kind)


def _columns(rt: ResourceType, version: str) -> list[Column]:
    cols: list[Column] = [("Name", "string", lambda o: o["metadata"]["name"])]
    if rt.kind == "Service" and not rt.group:
        cols += _SERVICE
    for pc in rt.printer_columns.get(version, []):
        if pc.get("jsonPath") == ".metadata.creationTimestamp":
            continue
        kind = pc.get("type", "string")
        cols.append((pc["name"], kind, _printer_cell(pc["jsonPath"], kind)))
    cols.append(("Age", "string", lambda o: age(o["metadata"].get("creationTimestamp"))))
    return cols


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    return age(value) if kind == "date" else value


def to_table(rt: ResourceType, version: str, items: list[Obj], resource_version: str, include_object: str) -> Obj:
    cols = _columns(rt, version)
    defs = [
        {"name": n, "type": t, "format": "name" if n == "Name" else "", "description": n, "priority": 0}
        for n, t, _ in cols
    ]
    rows = []
    for obj in items:
        row: Obj = {"cells": [fn(obj) for _, _, fn in cols]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj["metadata"],
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": defs,
        "rows": rows,
    }
