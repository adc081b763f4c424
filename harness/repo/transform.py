"""Kustomize's built-in transformers, applied to plain objects in place of `kustomize build`.

    set_namespace(objs, "authentik-proxy"); add_labels(objs, {"app": "x"}, selectors=True, templates=True)
    set_images(objs, [{"name": "nginx", "newTag": "1.27"}]); set_replicas(objs, [{"name": "web", "count": 2}])

Field paths follow kustomize's built-in field specs (sigs.k8s.io/kustomize api/konfig/builtinpluginconsts:
namespace.go, commonlabels.go, images.go, replicas.go), including the selectors inside lists that
commonlabels.go updates but never creates (pod (anti-)affinity terms and topology spread constraints
of Deployments and StatefulSets, NetworkPolicy peers) and StatefulSet volumeClaimTemplates' labels.
Not modelled: the namespace transformer's rewrite of RoleBinding subjects.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]

# Built-in cluster-scoped kinds; like kustomize without a CRD schema, unknown kinds count as namespaced.
CLUSTER_SCOPED = frozenset({
    "Namespace", "Node", "PersistentVolume", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
    "StorageClass", "PriorityClass", "IngressClass", "RuntimeClass", "CSIDriver", "CSINode", "APIService",
    "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "CertificateSigningRequest", "VolumeAttachment", "ComponentStatus",
})
WORKLOADS = ("Deployment", "ReplicaSet", "DaemonSet", "StatefulSet")
# Selector paths that are created when absent ("create: true" in commonlabels.go) and those only updated.
SELECTOR_PATHS: dict[str, tuple[tuple[tuple[str, ...], bool], ...]] = {
    **{kind: ((("spec", "selector", "matchLabels"), True),) for kind in WORKLOADS},
    "Service": ((("spec", "selector"), True),),
    "ReplicationController": ((("spec", "selector"), True),),
    "Job": ((("spec", "selector", "matchLabels"), False),),
    "CronJob": ((("spec", "jobTemplate", "spec", "selector", "matchLabels"), False),),
    "PodDisruptionBudget": ((("spec", "selector", "matchLabels"), False),),
    "NetworkPolicy": ((("spec", "podSelector", "matchLabels"), False),),
}
TEMPLATE_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    **{kind: (("spec", "template", "metadata"),) for kind in (*WORKLOADS, "ReplicationController", "Job")},
    "CronJob": (("spec", "jobTemplate", "metadata"), ("spec", "jobTemplate", "spec", "template", "metadata")),
}
REPLICATED = ("Deployment", "ReplicaSet", "StatefulSet", "ReplicationController")
# Selector paths through lists ("[]" marks a list whose every item is followed), updated only when the
# selector exists (commonlabels.go: create false).
_AFFINITY = tuple(("spec", "template", "spec", "affinity", kind, term, "[]", *rest, "labelSelector", "matchLabels")
                  for kind in ("podAffinity", "podAntiAffinity")
                  for term, rest in (("requiredDuringSchedulingIgnoredDuringExecution", ()),
                                     ("preferredDuringSchedulingIgnoredDuringExecution", ("podAffinityTerm",))))
LIST_SELECTOR_PATHS: dict[str, tuple[tuple[str, ...], ...]] = {
    kind: (*_AFFINITY, ("spec", "template", "spec", "topologySpreadConstraints", "[]", "labelSelector",
                        "matchLabels")) for kind in ("Deployment", "StatefulSet")}
LIST_SELECTOR_PATHS["NetworkPolicy"] = (("spec", "ingress", "[]", "from", "[]", "podSelector", "matchLabels"),
                                        ("spec", "egress", "[]", "to", "[]", "podSelector", "matchLabels"))


def _at(obj: Obj, path: tuple[str, ...], create: bool) -> dict[str, Any] | None:
    node: Any = obj
    for key in path:
        if not isinstance(node, dict):
            return None
        if not isinstance(node.get(key), dict):
            if not create:
                return None
            node[key] = {}
        node = node[key]
    return node if isinstance(node, dict) else None


def set_namespace(objs: Iterable[Obj], namespace: str) -> None:
    for obj in objs:
        if str(obj.get("kind")) not in CLUSTER_SCOPED:
            meta = _at(obj, ("metadata",), create=True)
            assert meta is not None, "_at(create=True) returns the mapping it made"
            meta["namespace"] = namespace


def add_labels(objs: Iterable[Obj], labels: dict[str, str], selectors: bool, templates: bool) -> None:
    for obj in objs:
        kind = str(obj.get("kind"))
        targets = [_at(obj, ("metadata", "labels"), create=True)]
        if selectors or templates:
            targets += [_at(obj, (*p, "labels"), create=True) for p in TEMPLATE_PATHS.get(kind, ())]
        if selectors:
            targets += [_at(obj, path, create) for path, create in SELECTOR_PATHS.get(kind, ())]
            targets += [t for path in LIST_SELECTOR_PATHS.get(kind, ()) for t in _existing(obj, path)]
            if kind == "StatefulSet":
                targets += [_at(t, ("metadata", "labels"), create=True)
                            for t in (obj.get("spec") or {}).get("volumeClaimTemplates") or [] if isinstance(t, dict)]
        for target in targets:
            if target is not None:
                target.update({str(k): str(v) for k, v in labels.items()})


def _existing(node: Any, path: tuple[str, ...]) -> list[dict[str, Any]]:
    """The mappings at ``path`` that exist ("[]": every item of a list), nothing created."""
    if not path:
        return [node] if isinstance(node, dict) else []
    head, rest = path[0], path[1:]
    if head == "[]":
        return [found for item in node for found in _existing(item, rest)] if isinstance(node, list) else []
    return _existing(node.get(head), rest) if isinstance(node, dict) else []


def add_annotations(objs: Iterable[Obj], annotations: dict[str, str]) -> None:
    for obj in objs:
        paths = [("metadata",), *TEMPLATE_PATHS.get(str(obj.get("kind")), ())]
        for path in paths:
            target = _at(obj, (*path, "annotations"), create=True)
            if target is not None:
                target.update({str(k): str(v) for k, v in annotations.items()})


def split_image(image: str) -> tuple[str, str, str]:
    """(name, tag, digest) of an image reference; a ':' before the last '/' is a registry port."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        return name[:colon], name[colon + 1:], digest
    return name, "", digest


def _new_image(image: str, rule: dict[str, Any]) -> str:
    name, tag, digest = split_image(image)
    name = str(rule.get("newName") or name)
    if rule.get("digest"):
        return f"{name}@{rule['digest']}"
    if rule.get("newTag") is not None:
        return f"{name}:{rule['newTag']}"
    return name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")


def _containers(node: Any) -> Iterable[dict[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("containers", "initContainers", "ephemeralContainers") and isinstance(value, list):
                yield from (c for c in value if isinstance(c, dict))
            else:
                yield from _containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item)


def set_images(objs: Iterable[Obj], rules: list[dict[str, Any]]) -> None:
    for obj in objs:
        for container in _containers(obj):
            image = str(container.get("image", ""))
            rule = next((r for r in rules if split_image(image)[0] == r.get("name")), None)
            if image and rule is not None:
                container["image"] = _new_image(image, rule)


def set_replicas(objs: Iterable[Obj], rules: list[dict[str, Any]]) -> None:
    for obj in objs:
        name = (obj.get("metadata") or {}).get("name")
        rule = next((r for r in rules if r.get("name") == name), None)
        if rule is not None and obj.get("kind") in REPLICATED:
            spec = _at(obj, ("spec",), create=True)
            assert spec is not None, "_at(create=True) returns the mapping it made"
            spec["replicas"] = int(rule.get("count", 0))


# -- patch targets ------------------------------------------------------------------------------
def _group_version(obj: Obj) -> tuple[str, str]:
    api = str(obj.get("apiVersion", ""))
    group, _, version = api.rpartition("/")
    return group, version


def _full(pattern: Any, value: str) -> bool:
    return pattern is None or re.fullmatch(str(pattern), value) is not None


_REQUIREMENT = re.compile(r"\s*(!?)([\w./-]+)\s*(?:(==|=|!=)\s*([\w.-]*)|\s+(in|notin)\s*\(([^)]*)\))?\s*")


def selector_matches(text: str, labels: dict[str, str]) -> bool:
    """A label selector string (``a=b,c!=d,e in (x,y),!f``) against labels, as kubectl reads it."""
    for part in re.split(r",(?![^()]*\))", text):
        if not part.strip():
            continue
        m = _REQUIREMENT.fullmatch(part)
        if m is None:
            raise ValueError(f"unreadable label selector {text!r} at {part!r}")
        neg, key, op, value, set_op, values = m.groups()
        have = labels.get(key)
        if op in ("=", "=="):
            ok = have == value
        elif op == "!=":
            ok = have != value
        elif set_op:
            choices = {v.strip() for v in values.split(",")}
            ok = (have in choices) if set_op == "in" else (have not in choices)
        else:
            ok = (have is None) if neg else (have is not None)
        if not ok:
            return False
    return True


def target_matches(target: dict[str, Any], obj: Obj) -> bool:
    """kustomize's patch ``target``: regex fields anchored at both ends, plus label/annotation selectors."""
    group, version = _group_version(obj)
    meta = obj.get("metadata") or {}
    checks = (("group", group), ("version", version), ("kind", str(obj.get("kind", ""))),
              ("name", str(meta.get("name", ""))), ("namespace", str(meta.get("namespace", ""))))
    if not all(_full(target.get(field), value) for field, value in checks):
        return False
    if target.get("labelSelector") and not selector_matches(str(target["labelSelector"]), meta.get("labels") or {}):
        return False
    annotations = meta.get("annotations") or {}
    return not (target.get("annotationSelector")
                and not selector_matches(str(target["annotationSelector"]), annotations))
