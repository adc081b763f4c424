"""Reference material that is not part of this repository, found only through environment variables.

    repo = owner_repo()          # Path of the owner's GitOps snapshot, or the test skips saying why

The owner's GitOps snapshot, its history bundle, Cilium's upstream CRD files and the owner's
architecture document are reference material: the project reads them (in tests that compare against
the real thing) but does not carry copies. A test that needs one asks here; when its variable is
unset the test skips with the reason; when it is set to a path that does not exist the test fails,
since that is a broken setup rather than a bare clone. `.ci/run` sets the variables when the
material is present beside the checkout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Reference:
    env: str
    what: str
    is_dir: bool

    def path(self) -> Path | None:
        """The configured path, None when the variable is unset; a missing path fails the test."""
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return None
        path = Path(raw).expanduser()
        if not (path.is_dir() if self.is_dir else path.is_file()):
            kind = "directory" if self.is_dir else "file"
            pytest.fail(f"{self.env}={raw}: no such {kind} ({self.what})")
        return path

    def require(self) -> Path:
        """The configured path, or skip the calling test saying which variable to set."""
        path = self.path()
        if path is None:
            pytest.skip(f"{self.env} not set: {self.what} is not part of this repo; .ci/run sets it")
        return path


OWNER_REPO = Reference("HOME_OPS_OWNER_REPO", "the owner's GitOps snapshot (a directory)", is_dir=True)
OWNER_HISTORY = Reference("HOME_OPS_OWNER_HISTORY", "the owner's GitOps history (a git bundle)", is_dir=False)
CILIUM_CRDS = Reference("HOME_OPS_CILIUM_CRDS", "the folder of Cilium's upstream CRD files (v2/, v2alpha1/)",
                        is_dir=True)
ARCHITECTURE = Reference("HOME_OPS_ARCHITECTURE", "the owner's architecture document", is_dir=False)
ALL = (OWNER_REPO, OWNER_HISTORY, CILIUM_CRDS, ARCHITECTURE)


def owner_repo() -> Path:
    return OWNER_REPO.require()


def owner_history() -> Path:
    return OWNER_HISTORY.require()


def cilium_crds() -> Path:
    return CILIUM_CRDS.require()


def architecture() -> Path:
    return ARCHITECTURE.require()
