"""Small synthetic GitOps repos for the repo-target tests.

    root = write_repo(tmp_path, {"clusters/c/kustomization.yaml": "...", ...})
"""

from __future__ import annotations

import textwrap
from pathlib import Path

FLUX_KS = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: {name}, namespace: flux-system}}
spec:
  path: {path}
  sourceRef: {{kind: GitRepository, name: flux-system}}
"""


def write_repo(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def cluster_with(root: Path, apps: dict[str, str], extra: dict[str, str] | None = None) -> Path:
    """A cluster ``c`` whose root lists one Flux Kustomization per ``apps`` entry (name -> path)."""
    files = {"clusters/c/kustomization.yaml": "resources: [flux.yaml]\n",
             "clusters/c/flux.yaml": "---\n".join(FLUX_KS.format(name=n, path=p) for n, p in apps.items())}
    return write_repo(root, {**files, **(extra or {})})
