"""Fixtures: one healthy Talos lab per session, and a builder for labs started with faults.

    def test_x(talos: TalosClient, lab: TalosLab): talos.disks(node="mini01")
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from harness.probes.talos import TalosClient
from lab.talos import TalosLab, apply_faults, default_cluster

FaultLab = Callable[[Mapping[str, Sequence[str]]], TalosClient]


@pytest.fixture(scope="session")
def image_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Images are cached by content key; sharing the cache makes later labs start instantly."""
    return tmp_path_factory.mktemp("talos-images")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TalosLab]:
    with TalosLab(tmp_path_factory.mktemp("talos-lab")) as running:
        yield running


@pytest.fixture(scope="session")
def talos(lab: TalosLab) -> Iterator[TalosClient]:
    with TalosClient.from_talosconfig(lab.talosconfig, timeout=5.0) as client:
        yield client


@pytest.fixture
def fault_lab(tmp_path: Path) -> Iterator[FaultLab]:
    """Start a lab whose nodes carry the given faults and return a client for it."""
    started: list[tuple[TalosLab, TalosClient]] = []

    def start(faults: Mapping[str, Sequence[str]]) -> TalosClient:
        running = TalosLab(tmp_path / f"lab{len(started)}", apply_faults(default_cluster(), faults)).start()
        client = TalosClient.from_talosconfig(running.talosconfig, timeout=5.0)
        started.append((running, client))
        return client

    yield start
    for running, client in reversed(started):
        client.close()
        running.stop()
