"""Fault tests need root (the lab's namespaces) and start one lab per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.labrun import FaultLab
from tests.labmark import require_lab


@pytest.fixture(scope="module")
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    require_lab(request)
    started = FaultLab.start(Path(tmp_path_factory.mktemp("lab")))
    yield started
    started.stop()
