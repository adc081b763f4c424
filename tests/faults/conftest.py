"""Fault tests need root (the lab's namespaces) and start one lab per module."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.labrun import FaultLab


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultLab]:
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces)")
    started = FaultLab.start(Path(tmp_path_factory.mktemp("lab")))
    yield started
    started.stop()
