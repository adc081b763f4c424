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

The cluster directory is found from the repo, as ``flux bootstrap`` leaves it
(https://fluxcd.io/flux/installation/bootstrap/: ``clusters/<name>/flux-system/gotk-sync.yaml`` holds the
GitRepository and the Kustomization ``flux-system`` whose ``spec.path`` is the cluster directory): the
paths of the ``flux-system`` Kustomizations under ``clusters/``; else the only folder under ``clusters/``;
where several remain, the one named like the profile's cluster; an explicit ``cluster_dir`` wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from harness.core.errors import ConfigError
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
    real_changes: tuple[str, ...] = ()       # where the real kustomize's output replaced the renderer's


def find_cluster_dir(root: Path, cluster: str, explicit: str | None = None) -> str:
    """The repo-relative directory the bootstrap Kustomization applies (see the module docstring)."""
    if not root.is_dir():
        raise ConfigError(f"repo {root}: not a readable directory")
    clusters = root / "clusters"
    folders = sorted(p.name for p in clusters.glob("*") if p.is_dir()) if clusters.is_dir() else []
    if explicit is not None:
        chosen = _normal(explicit)
        if chosen is None or not (root / chosen).is_dir():
            raise ConfigError(f"--cluster-dir {explicit}: no such directory in repo {root} (clusters present: "
                              f"{', '.join(folders) or 'none'})")
        return chosen
    entries = sorted(set(_flux_entry_paths(root)))
    existing = [e for e in entries if (root / e).is_dir()]
    if len(existing) == 1:
        return existing[0]
    candidates = existing or [f"clusters/{f}" for f in folders]
    if len(candidates) == 1:
        return candidates[0]
    named = [c for c in candidates if c.rstrip("/").rsplit("/", 1)[-1] == cluster]
    if len(named) == 1:
        return named[0]
    what = (f"several Flux entry points ({', '.join(candidates)})" if candidates else
            "no Flux entry point and no folder under clusters/"
            + (f" (flux-system Kustomization paths: {', '.join(entries)} do not exist)" if entries else ""))
    raise ConfigError(f"repo {root}: cannot tell the cluster directory: {what}; name it with --cluster-dir")


def _normal(path: str) -> str | None:
    """A repo-relative POSIX path without ``./``; None when it leaves the repo."""
    parts: list[str] = []
    for part in path.replace("\\", "/").split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts)


def _flux_entry_paths(root: Path) -> list[str]:
    """``spec.path`` of every Flux Kustomization named flux-system in a manifest under clusters/."""
    found = []
    for path in sorted((root / "clusters").rglob("*.y*ml")) if (root / "clusters").is_dir() else []:
        text = path.read_text(encoding="utf-8", errors="replace")
        if FLUX_GROUP not in text or ROOT_KUSTOMIZATION not in text:
            continue
        try:
            docs = parse_documents(text, str(path))
        except ConfigError:
            continue   # a malformed file is reported where the render reads it
        for doc in docs:
            meta, spec = doc.get("metadata") or {}, doc.get("spec") or {}
            if str(doc.get("apiVersion", "")).startswith(FLUX_GROUP + "/") and doc.get("kind") == "Kustomization" \
                    and meta.get("name") == ROOT_KUSTOMIZATION and isinstance(spec, dict):
                normal = _normal(str(spec.get("path") or "./"))
                if normal:
                    found.append(normal)
    return found


def render_cluster(root: Path, cluster_dir: str, kubectl: str | None = None) -> RenderedCluster:
    """Render the Flux Kustomizations reachable from ``cluster_dir`` (see :func:`find_cluster_dir`);
    with ``kubectl``, complete directories are also built by the real kustomize (kustomize_real.py)."""
    directory = root / cluster_dir
    if not directory.is_dir():
        raise ConfigError(f"repo {root}: no {cluster_dir} directory")
    renderer = Kustomizer(root, kubectl)
    renderer.unit = ROOT_KUSTOMIZATION
    objects = [_stamp(o, ROOT_KUSTOMIZATION) for o in _render_dir(renderer, directory)]
    seen: dict[str, FluxKustomization] = {}
    queue = [o for o in objects if _is_flux(o)]
    while queue:
        flux_obj = queue.pop(0)
        key = f"{flux_obj.namespace}/{flux_obj.name}"
        if key in seen:
            continue
        seen[key] = _describe(flux_obj)
        renderer.unit = flux_obj.name
        new = [_stamp(o, flux_obj.name) for o in _apply(renderer, root, flux_obj)]
        objects += new
        queue += [o for o in new if _is_flux(o)]
    return RenderedCluster(tuple(objects), tuple(seen.values()), tuple(renderer.gaps), tuple(renderer.real_changes))


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
                                     f"{source.get('kind')}/{source.get('name')} is not this repo", UNEVALUATED,
                                     flux_obj.name))
        return []
    path = str(spec.get("path") or "./")
    directory = root / path
    if not directory.is_dir():
        renderer.gaps.append(RepoGap(flux_obj.origin.file,
                                     f"Flux Kustomization {flux_obj.name}: path {path} does not exist",
                                     unit=flux_obj.name))
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
