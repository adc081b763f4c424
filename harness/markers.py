"""Markers the harness registers itself (pytest runs with --strict-markers): the coverage tags ``@arch-N``
that tie scenarios to statements of the architecture (docs/coverage.md), and feature tags added after
pyproject.toml's list."""

from __future__ import annotations

import pytest

ARCH_IDS = 300   # more ids than the coverage map will use; tests/test_coverage.py checks each tag names a statement
FEATURE_MARKERS = {
    "cluster_config": "all-control-plane nodes, Cilium's configuration and release, the UDM Pro's DNS "
                      "(features/cluster_config.feature)",
    "platform": "Flux's dependency chain, External Secrets, Longhorn, cert-manager, the outpost's workloads "
                "(features/platform.feature)",
}


def register(config: pytest.Config) -> None:
    for name, what in FEATURE_MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {what}")
    for n in range(1, ARCH_IDS + 1):
        config.addinivalue_line("markers", f"arch-{n}: judges architecture statement arch-{n} (docs/coverage.md)")
