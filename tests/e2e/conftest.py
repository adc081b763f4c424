"""End-to-end tests need root (the lab's network namespaces) and start one lab per module.

    def test_x(lab: E2ELab) -> None: lab.pytest("features/lb_pools.feature", "--lab-dir", str(lab.lab_dir))
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.e2e_lab import E2ELab
from tests.labmark import require_lab


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[E2ELab]:
    require_lab(request)
    started = E2ELab.start(Path(tmp_path_factory.mktemp("lab")))
    yield started
    started.stop()
