"""Remove what a lab left behind when its daemon died without cleaning up (e.g. SIGKILL).

    cleanup_lab(Path("/tmp/lab"), manifest)      # -> ["netns hoc1a2b-udm", ...]
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def cleanup_lab(lab_dir: Path, manifest: dict[str, Any]) -> list[str]:
    removed: list[str] = []
    prefix = manifest.get("netns_prefix")
    if prefix:
        from lab.net import cleanup_stale
        removed += [f"netns {n}" for n in cleanup_stale(str(prefix))]
    return removed
