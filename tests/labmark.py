"""The one gate for tests that start a lab: they must carry the ``lab`` marker, and skip without root.

    @pytest.fixture(scope="module")
    def lab(request): require_lab(request, "the lab needs root (network namespaces)"); ...

``pytest -m "not lab"`` is the offline subset (no root, no daemons): a fixture that starts a lab
for a test without the marker fails that test here, so the subset cannot quietly grow a root test.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


def require_lab(request: pytest.FixtureRequest, why: str = "the lab needs root (network namespaces)",
                tools: tuple[str, ...] = ()) -> None:
    """Fail unless the requesting test is marked ``lab``; skip (saying why) without root or ``tools``."""
    __tracebackhide__ = True
    # the test that needs the fixture, also for module- and session-scoped fixtures (whose
    # request.node is the module or the session)
    node = getattr(request, "_pyfuncitem", None) or request.node
    if node.get_closest_marker("lab") is None:
        pytest.fail(f"{node.nodeid} starts a lab but is not marked `lab` (pytest -m 'not lab' must stay "
                    "offline): add `pytestmark = pytest.mark.lab` to its module", pytrace=False)
    if os.geteuid() != 0:
        pytest.skip(why)
    missing = [t for t in tools if shutil.which(t) is None and not Path(t).exists()]
    if missing:
        pytest.skip(f"{why.split(':')[0]}: needs {', '.join(missing)} (./scripts/setup installs them)")
