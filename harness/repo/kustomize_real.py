"""The real kustomize as a second opinion: ``kubectl kustomize`` over a directory the gate rendered.

    objs, changed = with_real_kustomize(kubectl, root, directory, ours)

For a complete checkout (the build recorded no missing file, refused patch or unevaluated input) the
directory is built again by ``kubectl kustomize --load-restrictor LoadRestrictionsNone`` (Flux's load
restrictor: fluxcd/kustomize-controller builds with ``kustypes.LoadRestrictionsNone``). Where the two
disagree the real output wins, object by object; each object keeps the file the gate's renderer
traced it to (provenance), an object only kustomize produced is attributed to the kustomization file,
and ``changed`` says what differed. The renderer agrees with kubectl kustomize v5.5.0 on every
buildable directory of the owner's history (bench/kustomize_diff.py); this is the safety net for what
it does not model.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

from harness.repo.types import Obj, Origin, RenderedObject
from harness.repo.yamlio import relative

TIMEOUT = 60.0


def _key(obj: Obj) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return str(obj.get("kind", "")), str(meta.get("namespace") or ""), str(meta.get("name", ""))


def _normal(obj: Any) -> Any:
    return yaml.safe_load(yaml.safe_dump(obj))


def real_build(kubectl: str, directory: Path) -> list[Obj] | None:
    """kubectl kustomize's objects; None when it fails (the gate's own gaps say why)."""
    try:
        proc = subprocess.run([kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(directory)],
                              capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return [d for d in yaml.load_all(proc.stdout, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            if isinstance(d, dict)]


def with_real_kustomize(kubectl: str, root: Path, directory: Path, kfile: Path,
                        ours: list[RenderedObject]) -> tuple[list[RenderedObject], list[str]]:
    """(objects, what differed): kustomize's objects with the renderer's provenance when the real build
    succeeds (``ours`` itself, unchanged, when it fails)."""
    theirs = real_build(kubectl, directory)
    if theirs is None:
        return ours, []
    mine = {_key(o.obj): o for o in ours}
    changed: list[str] = []
    out: list[RenderedObject] = []
    for obj in theirs:
        key = _key(obj)
        found = mine.pop(key, None)
        if found is None:
            changed.append(f"{key[0]} {key[1] + '/' if key[1] else ''}{key[2]}: only kustomize renders it")
            out.append(RenderedObject(obj, Origin(relative(kfile, root))))
        else:
            if _normal(found.obj) != obj:
                changed.append(f"{found.ref}: rendered differently (kustomize's output used)")
            out.append(RenderedObject(obj, found.origin))
    changed += [f"{o.ref}: only the gate's renderer has it (dropped)" for o in mine.values()]
    return out, changed
