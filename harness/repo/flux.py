"""Follow a cluster's Flux Kustomizations through a repo checkout and render what each applies.

    rendered = render_cluster(Path("talos-gitops"), "home-ops")
    rendered.objects[0].origin.flux_kustomization, rendered.gaps        # who applies what; what is missing

Semantics (https://fluxcd.io/flux/components/kustomize/kustomizations/): ``spec.path`` is relative to
the repo root; a directory without kustomization.yaml gets a generated one listing its manifests
(fluxcd/pkg kustomize/kustomize_generator.go); then ``targetNamespace``, ``patches``, ``images``,
``commonMetadata`` and ``postBuild.substitute`` (``${var}``, ``${var:=default}``, ``${var:-default}``,
``$${var}`` escapes; unset variables become empty, Flux's non-strict mode). ``substituteFrom`` reads
cluster objects and is reported as unevaluated. The cluster directory itself is applied by the
bootstrap Kustomization, named ``flux-system`` by convention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError
from harness.repo import transform
from harness.repo.kustomize import Kustomizer, kustomization_file
from harness.repo.types import UNEVALUATED, Obj, Origin, RenderedObject, RepoGap
from harness.repo.yamlio import parse_documents

FLUX_GROUP = "kustomize.toolkit.fluxcd.io"
ROOT_KUSTOMIZATION = "flux-system"
_VAR = re.compile(r"\$(\$?)\{([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[=-])([^}]*))?\}")


@dataclass(frozen=True)
class FluxKustomization:
    name: str
    namespace: str
    path: str
    depends_on: tuple[str, ...]
    origin: Origin


@dataclass(frozen=True)
class RenderedCluster:
    objects: tuple[RenderedObject, ...]
    kustomizations: tuple[FluxKustomization, ...]
    gaps: tuple[RepoGap, ...]


def render_cluster(root: Path, cluster: str) -> RenderedCluster:
    if not root.is_dir():
        raise ConfigError(f"repo {root}: not a readable directory")
    cluster_dir = root / "clusters" / cluster
    if not cluster_dir.is_dir():
        known = sorted(p.name for p in (root / "clusters").glob("*") if p.is_dir())
        raise ConfigError(f"repo {root}: no clusters/{cluster} directory (clusters present: "
                          f"{', '.join(known) or 'none'})")
    renderer = Kustomizer(root)
    objects = [_stamp(o, ROOT_KUSTOMIZATION) for o in _render_dir(renderer, cluster_dir)]
    seen: dict[str, FluxKustomization] = {}
    queue = [o for o in objects if _is_flux(o)]
    while queue:
        flux_obj = queue.pop(0)
        key = f"{flux_obj.namespace}/{flux_obj.name}"
        if key in seen:
            continue
        seen[key] = _describe(flux_obj)
        new = [_stamp(o, flux_obj.name) for o in _apply(renderer, root, flux_obj)]
        objects += new
        queue += [o for o in new if _is_flux(o)]
    return RenderedCluster(tuple(objects), tuple(seen.values()), tuple(renderer.gaps))


def _is_flux(obj: RenderedObject) -> bool:
    return obj.kind == "Kustomization" and obj.group == FLUX_GROUP


def _stamp(obj: RenderedObject, flux_name: str) -> RenderedObject:
    return replace(obj, origin=Origin(obj.origin.file, flux_name))


def _describe(obj: RenderedObject) -> FluxKustomization:
    spec = obj.obj.get("spec") or {}
    return FluxKustomization(obj.name, obj.namespace, str(spec.get("path") or "./"),
                             tuple(str(d.get("name")) for d in spec.get("dependsOn") or []), obj.origin)


def _render_dir(renderer: Kustomizer, directory: Path) -> list[RenderedObject]:
    if kustomization_file(directory) is not None:
        return renderer.build(directory)
    return renderer.build_documents(directory, {"resources": _generated_resources(directory)},
                                    directory / "kustomization.yaml")


def _generated_resources(directory: Path) -> list[str]:
    """What Flux's generated kustomization lists: sub-kustomizations, else every manifest file."""
    found: list[str] = []
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            if kustomization_file(path) is not None:
                found.append(path.name)
            else:
                found += [f"{path.name}/{r}" for r in _generated_resources(path)]
        elif path.suffix in (".yaml", ".yml") and _looks_like_manifest(path):
            found.append(path.name)
    return found


def _looks_like_manifest(path: Path) -> bool:
    text = path.read_text(encoding="utf-8", errors="replace")
    return "apiVersion:" in text and "kind:" in text


def _apply(renderer: Kustomizer, root: Path, flux_obj: RenderedObject) -> list[RenderedObject]:
    spec: Obj = flux_obj.obj.get("spec") or {}
    source = spec.get("sourceRef") or {}
    if source.get("kind", "GitRepository") != "GitRepository" or source.get("name", ROOT_KUSTOMIZATION) != \
            ROOT_KUSTOMIZATION:
        renderer.gaps.append(RepoGap(flux_obj.origin.file, f"Flux Kustomization {flux_obj.name}: source "
                                     f"{source.get('kind')}/{source.get('name')} is not this repo", UNEVALUATED))
        return []
    path = str(spec.get("path") or "./")
    directory = root / path
    if not directory.is_dir():
        renderer.gaps.append(RepoGap(flux_obj.origin.file,
                                     f"Flux Kustomization {flux_obj.name}: path {path} does not exist"))
        return []
    items = _render_dir(renderer, directory)
    _flux_transforms(renderer, flux_obj, spec, items)
    return items


def _flux_transforms(renderer: Kustomizer, flux_obj: RenderedObject, spec: Obj, items: list[RenderedObject]) -> None:
    objs = [i.obj for i in items]
    if spec.get("targetNamespace"):
        transform.set_namespace(objs, str(spec["targetNamespace"]))
    kfile = renderer.root / flux_obj.origin.file
    for patch in spec.get("patches") or []:
        renderer.apply_patch(kfile, renderer.root, items, patch)
    transform.set_images(objs, list(spec.get("images") or []))
    meta = spec.get("commonMetadata") or {}
    for obj in objs:
        obj.setdefault("metadata", {})
        obj["metadata"].setdefault("labels", {}).update(meta.get("labels") or {})
        if meta.get("annotations"):
            obj["metadata"].setdefault("annotations", {}).update(meta["annotations"])
    post = spec.get("postBuild") or {}
    if post.get("substituteFrom"):
        renderer.gaps.append(RepoGap(flux_obj.origin.file, f"Flux Kustomization {flux_obj.name}: "
                                     "postBuild.substituteFrom reads cluster objects", UNEVALUATED))
    if "substitute" in post or "substituteFrom" in post:
        variables = {str(k): str(v) for k, v in (post.get("substitute") or {}).items()}
        for item in items:
            _substitute(item, variables)


def substitute_text(text: str, variables: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        escaped, name, op, default = m.groups()
        if escaped:
            return m.group(0)[1:]
        value = variables.get(name)
        if value is None or (op is not None and op.startswith(":") and value == ""):
            return default if op else ""
        return value
    return _VAR.sub(one, text)


def _substitute(item: RenderedObject, variables: dict[str, str]) -> None:
    annotations = (item.obj.get("metadata") or {}).get("annotations") or {}
    labels = (item.obj.get("metadata") or {}).get("labels") or {}
    if "disabled" in (annotations.get(f"{FLUX_GROUP}/substitute"), labels.get(f"{FLUX_GROUP}/substitute")):
        return
    text = yaml.safe_dump(item.obj, sort_keys=False)
    docs = parse_documents(substitute_text(text, variables), f"{item.origin.file} after postBuild substitution")
    new: Any = docs[0] if docs else {}
    item.obj.clear()
    item.obj.update(new)
