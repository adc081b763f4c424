"""Render a kustomization directory in Python, recording what the (partial) checkout lacks.

    renderer = Kustomizer(repo_root)
    objs = renderer.build(repo_root / "infrastructure/authentik-proxy")   # renderer.gaps lists missing files

Why Python and not ``kubectl kustomize``: kubectl is not on a fresh Debian machine; kustomize stops at
the first missing resource (the owner's snapshot lacks many files, and a review must still judge what
is there); and ``kustomize build`` forgets which file each object came from, which every drift entry
must name. The subset here is the one the owner's repos use, applied in kustomize's transformer order
(sigs.k8s.io/kustomize api/internal/target/kusttarget.go): resources and generators, strategic-merge
and ``patches`` (JSON 6902 or strategic merge, with ``target``), namespace, name prefix/suffix,
commonLabels/labels, commonAnnotations, patchesJson6902, replicas, images; resources annotated
``config.kubernetes.io/local-config: "true"`` are left out of the output. Remote bases, helmCharts,
components, replacements and generator name hashes are reported as ``unevaluated`` gaps, not guessed.
Tests compare this renderer with ``kubectl kustomize`` where kubectl is installed.

JSON 6902 patches create no missing parent (kustomize api/filters/patchjson6902/patchjson6902.go applies
them with evanphx/json-patch v5 ``Apply``, without ``EnsurePathExistsOnAdd``: "add operation does not
apply: doc is missing path"), with one exception: kustomize reads every resource through kyaml's
``ByteReader``, which sets its index annotation on each (kyaml/kio/byteio_reader.go ``decode``,
``kioutil.IndexAnnotation``), so ``metadata.annotations`` exists during a build and an ``add`` under
it works on an object written without annotations (kubectl kustomize v5.5.0 agrees; an empty map is
dropped again on output). A patch kustomize refuses stops its build: here it is a ``broken`` gap naming
the file and the operation, and the object stays unpatched.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError, PatchError
from harness.repo import transform
from harness.repo.kustomize_real import with_real_kustomize
from harness.repo.patching import apply_json6902, strategic_merge
from harness.repo.types import BROKEN, MISSING, UNEVALUATED, Obj, Origin, RenderedObject, RepoGap
from harness.repo.yamlio import load_documents, load_mapping, parse_any, read_text, relative

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
NOT_EVALUATED = ("components", "helmCharts", "replacements", "vars", "transformers", "generators", "crds")


def kustomization_file(directory: Path) -> Path | None:
    return next((directory / n for n in KUSTOMIZATION_FILES if (directory / n).is_file()), None)


class Kustomizer:
    """Builds directories under one repo root; ``gaps`` accumulates across builds."""

    def __init__(self, root: Path, kubectl: str | None = None) -> None:
        self.root = root
        self.gaps: list[RepoGap] = []
        self.kubectl = kubectl             # also build with the real kustomize (kustomize_real.py)
        self.real_changes: list[str] = []  # where the real kustomize's output was used, and why
        self.unit: str | None = None       # the Flux Kustomization being rendered, named on each gap
        self._stack: list[Path] = []

    def rel(self, path: Path) -> str:
        return relative(path, self.root)

    def gap(self, file: Path, what: str, kind: str = MISSING) -> None:
        self.gaps.append(RepoGap(self.rel(file), what, kind, self.unit))

    def build(self, directory: Path) -> list[RenderedObject]:
        kfile = kustomization_file(directory)
        if kfile is None:
            raise ConfigError(f"{self.rel(directory)}: no kustomization.yaml in this directory")
        if directory.resolve() in self._stack:
            raise ConfigError(f"{self.rel(kfile)}: resource cycle through {self.rel(directory)}")
        self._stack.append(directory.resolve())
        gaps_before = len(self.gaps)
        try:
            spec = load_mapping(kfile, self.root)
            refused = _refused_header(spec)
            if refused:      # the build stops there; what it would apply is still rendered, for the findings
                self.gap(kfile, f"{refused} (kustomize refuses the file)", BROKEN)
            built = self._build(kfile, spec)
        finally:
            self._stack.pop()
        if self._stack:
            return built
        built = _without_local_config(built)
        added = self.gaps[gaps_before:]
        if self.kubectl and all(g.kind == UNEVALUATED for g in added):   # complete: kustomize can build it too
            real, changed = with_real_kustomize(self.kubectl, self.root, directory, kfile, built)
            if real is not built or changed:
                built = real
                self.real_changes += [f"{self.rel(kfile)}: {c}" for c in changed]
                self.gaps[gaps_before:] = []      # what this renderer could not evaluate, kustomize did
        return built

    def build_documents(self, directory: Path, spec: Obj, kfile: Path) -> list[RenderedObject]:
        """Render an in-memory kustomization (Flux generates one for directories without a file)."""
        return _without_local_config(self._build(kfile, spec, base=directory))

    # -- the pipeline --------------------------------------------------------------------------
    def _build(self, kfile: Path, spec: Obj, base: Path | None = None) -> list[RenderedObject]:
        base = base or kfile.parent
        for key in NOT_EVALUATED:
            if spec.get(key):
                self.gap(kfile, f"{key} not evaluated", UNEVALUATED)
        items: list[RenderedObject] = []
        for entry in list(spec.get("resources") or []) + list(spec.get("bases") or []):
            items += self._duplicates(kfile, items, self._resource(kfile, base, str(entry)), str(entry))
        items += self._generated(kfile, base, spec)
        objs = [i.obj for i in items]
        for patch in spec.get("patchesStrategicMerge") or []:
            self.apply_patch(kfile, base, items, {"path": patch} if "\n" not in str(patch) else {"patch": patch})
        for patch in spec.get("patches") or []:
            self.apply_patch(kfile, base, items, patch)
        if spec.get("namespace"):
            transform.set_namespace(objs, str(spec["namespace"]))
        self._rename(objs, str(spec.get("namePrefix") or ""), str(spec.get("nameSuffix") or ""))
        if spec.get("commonLabels"):
            transform.add_labels(objs, dict(spec["commonLabels"]), selectors=True, templates=True)
        for group in spec.get("labels") or []:
            transform.add_labels(objs, dict(group.get("pairs") or {}), bool(group.get("includeSelectors")),
                                 bool(group.get("includeTemplates")))
        if spec.get("commonAnnotations"):
            transform.add_annotations(objs, dict(spec["commonAnnotations"]))
        for patch in spec.get("patchesJson6902") or []:
            self.apply_patch(kfile, base, items, patch)
        transform.set_replicas(objs, list(spec.get("replicas") or []))
        transform.set_images(objs, list(spec.get("images") or []))
        return items

    def _duplicates(self, kfile: Path, have: list[RenderedObject], new: list[RenderedObject],
                    entry: str) -> list[RenderedObject]:
        """kustomize refuses a resource whose id (group, version, kind, namespace, name) is already
        accumulated ("may not add resource with an already registered id", api/resmap reswrangler)."""
        seen = {_resid(i.obj) for i in have}
        kept = []
        for item in new:
            if _resid(item.obj) in seen:
                self.gap(kfile, f"resource {entry}: {item.ref} is already listed (kustomize refuses a resource "
                         "registered twice)", BROKEN)
                continue
            seen.add(_resid(item.obj))
            kept.append(item)
        return kept

    def _resource(self, kfile: Path, base: Path, entry: str) -> list[RenderedObject]:
        if "://" in entry or entry.startswith(("github.com/", "git@")):
            self.gap(kfile, f"remote resource {entry} not fetched", UNEVALUATED)
            return []
        path = base / entry
        if path.is_dir():
            if kustomization_file(path) is None:
                self.gap(kfile, f"resource {entry}: directory has no kustomization.yaml")
                return []
            return self.build(path)
        if not path.is_file():
            self.gap(kfile, f"resource {entry}: no such file or directory")
            return []
        origin = Origin(self.rel(path))
        return [RenderedObject(doc, origin) for doc in load_documents(path, self.root)]

    def _generated(self, kfile: Path, base: Path, spec: Obj) -> list[RenderedObject]:
        options = dict(spec.get("generatorOptions") or {})
        made: list[RenderedObject] = []
        for key, kind in (("configMapGenerator", "ConfigMap"), ("secretGenerator", "Secret")):
            for gen in spec.get(key) or []:
                obj = self._generate(kfile, base, kind, gen, options)
                if obj is not None:
                    made.append(RenderedObject(obj, Origin(self.rel(kfile))))
        return made

    def _generate(self, kfile: Path, base: Path, kind: str, gen: Obj, options: Obj) -> Obj | None:
        """Literal and file sources only; the content hash suffix is reported, not computed."""
        data: dict[str, str] = {}
        for literal in gen.get("literals") or []:
            key, _, value = str(literal).partition("=")
            data[key] = value
        for source in gen.get("files") or []:
            key, sep, name = str(source).partition("=")
            path = base / (name if sep else key)
            if not path.is_file():
                self.gap(kfile, f"{kind} generator {gen.get('name')}: file {path.name} missing")
                return None
            data[key if sep else path.name] = read_text(path, self.root)
        if gen.get("envs") or gen.get("env"):
            self.gap(kfile, f"{kind} generator {gen.get('name')}: env files not evaluated", UNEVALUATED)
        merged = {**options, **dict(gen.get("options") or {})}
        if not merged.get("disableNameSuffixHash"):
            self.gap(kfile, f"{kind} generator {gen.get('name')}: name hash suffix not computed", UNEVALUATED)
        meta: Obj = {"name": gen.get("name")}
        for key in ("labels", "annotations"):     # kustomize writes neither when empty
            if merged.get(key):
                meta[key] = dict(merged[key])
        if gen.get("namespace"):
            meta["namespace"] = gen["namespace"]
        return {"apiVersion": "v1", "kind": kind, "metadata": meta,
                ("stringData" if kind == "Secret" else "data"): data}

    @staticmethod
    def _rename(objs: list[Obj], prefix: str, suffix: str) -> None:
        if prefix or suffix:
            for obj in objs:
                if obj.get("kind") not in ("Namespace", "CustomResourceDefinition"):
                    meta = obj.setdefault("metadata", {})
                    meta["name"] = f"{prefix}{meta.get('name', '')}{suffix}"

    # -- patches -------------------------------------------------------------------------------
    def _patch_body(self, kfile: Path, base: Path, patch: Any) -> list[Any] | None:
        if not isinstance(patch, dict):
            raise ConfigError(f"{self.rel(kfile)}: patch entry {patch!r} is not a mapping")
        if patch.get("path"):
            path = base / str(patch["path"])
            if not path.is_file():
                self.gap(kfile, f"patch {patch['path']}: no such file")
                return None
            return parse_any(read_text(path, self.root), self.rel(path))
        if patch.get("patch") is not None:
            return parse_any(str(patch["patch"]), f"{self.rel(kfile)} (inline patch)")
        raise ConfigError(f"{self.rel(kfile)}: patch entry has neither 'path' nor 'patch'")

    def apply_patch(self, kfile: Path, base: Path, items: list[RenderedObject], patch: Any) -> None:
        body = self._patch_body(kfile, base, patch)
        if body is None:
            return
        target = patch.get("target")
        docs = [d for d in body if d is not None]
        if len(docs) == 1 and isinstance(docs[0], list):
            self._apply(kfile, items, target, lambda o: json6902_as_kustomize(o, docs[0]), "JSON 6902 patch")
            return
        for doc in docs:
            if not isinstance(doc, dict):
                raise ConfigError(f"{self.rel(kfile)}: a patch document is neither a list of operations nor a mapping")
            chosen = target or _identity_of(doc)
            self._apply(kfile, items, chosen, lambda o, d=doc: strategic_merge(o, d), "strategic merge patch",
                        must_match=target is None)

    def _apply(self, kfile: Path, items: list[RenderedObject], target: Obj | None, fn: Any, what: str,
               must_match: bool = False) -> None:
        if target is None:
            raise ConfigError(f"{self.rel(kfile)}: {what} has no target")
        matched = [i for i in items if transform.target_matches(target, i.obj)]
        if not matched and must_match:
            self.gap(kfile, f"{what} for {target.get('kind')} {target.get('name')}: no such resource rendered")
        for item in matched:
            try:
                new = fn(item.obj)
            except PatchError as exc:
                self.gap(kfile, f"{what} on {item.ref} ({item.origin.file}): {exc} (kustomize build fails here)",
                         BROKEN)
                continue
            item.obj.clear()
            item.obj.update(copy.deepcopy(new))


def _resid(obj: Obj) -> tuple[str, str, str, str]:
    meta = obj.get("metadata") or {}
    return (str(obj.get("apiVersion", "")), str(obj.get("kind", "")), str(meta.get("namespace") or ""),
            str(meta.get("name", "")))


def _refused_header(spec: Obj) -> str:
    """What kustomize says about a kustomization file's apiVersion/kind (api/types/kustomization.go
    ``CheckDeprecatedFields``/``FixKustomization``: a Kustomization is kustomize.config.k8s.io/v1beta1,
    a Component v1alpha1; both may be left out)."""
    api, kind = str(spec.get("apiVersion") or ""), str(spec.get("kind") or "")
    if kind not in ("", "Kustomization", "Component"):
        return f"kind {kind!r} is neither Kustomization nor Component"
    want = "kustomize.config.k8s.io/v1alpha1" if kind == "Component" else "kustomize.config.k8s.io/v1beta1"
    if api and api != want:
        return f"apiVersion for {kind or 'Kustomization'} should be {want}, not {api}"
    return ""


def _without_local_config(items: list[RenderedObject]) -> list[RenderedObject]:
    """A build's output leaves out resources annotated ``config.kubernetes.io/local-config: "true"``
    (input for client-side tools, never applied; kubectl kustomize v5.5.0 drops them, bench/kustomize_diff.py)."""
    return [i for i in items if str(((i.obj.get("metadata") or {}).get("annotations") or {})
                                    .get("config.kubernetes.io/local-config", "")).lower() != "true"]


def json6902_as_kustomize(obj: Obj, operations: list[Any]) -> Obj:
    """A JSON 6902 patch as kustomize applies it: ``metadata.annotations`` exists (see the module docstring)."""
    work = dict(obj)
    meta = dict(work.get("metadata") or {})
    added = not isinstance(meta.get("annotations"), dict)
    if added:
        meta["annotations"] = {}
    work["metadata"] = meta
    out = apply_json6902(work, operations)
    out_meta = out.get("metadata")
    if added and isinstance(out_meta, dict) and out_meta.get("annotations") == {}:
        del out_meta["annotations"]
    return out


def _identity_of(doc: Obj) -> Obj:
    """A strategic merge patch without target selects by its own kind, name and namespace."""
    meta = doc.get("metadata") or {}
    target = {"kind": re.escape(str(doc.get("kind", ""))), "name": re.escape(str(meta.get("name", "")))}
    if meta.get("namespace"):
        target["namespace"] = re.escape(str(meta["namespace"]))
    return target
