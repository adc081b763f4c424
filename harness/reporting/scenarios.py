"""Which Gherkin scenario a pytest item runs: its feature, file, line and name (outline values filled in).

    found = scenario_id(item, config.rootpath)
    found.file, found.line, found.name      # "features/bgp.feature", 13, "Every node has an Established ipv4 ..."

pytest locates a pytest-bdd scenario where its test function is defined, inside pytest-bdd
(``pytest_bdd/scenario.py``, ``scenario_wrapper``): skip lines, JUnit ``file``/``line`` and the
report's grouping would all name that file. pytest-bdd 9 keeps each generated function's
``ScenarioTemplate`` in ``pytest_bdd.scenario.scenario_wrapper_template_registry`` (weak keys;
earlier versions set ``function.__scenario__``); an outline's name is rendered with the example
row pytest parametrizes it with (``_pytest_bdd_example``), as pytest-bdd renders it when it runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

EXAMPLE_PARAM = "_pytest_bdd_example"  # pytest_bdd/scenario.py: the parametrized example row


@dataclass(frozen=True)
class ScenarioId:
    feature: str      # the feature's name (its file name when it has none)
    name: str         # the scenario's name, an outline's <placeholders> filled in
    path: str         # the feature file, absolute
    file: str         # the feature file relative to the rootdir (absolute when outside it)
    line: int         # the scenario's line (1-based)


def _template(function: object) -> Any:
    try:
        from pytest_bdd.scenario import scenario_wrapper_template_registry
    except ImportError:  # pragma: no cover - pytest-bdd < 8
        return getattr(function, "__scenario__", None)
    try:
        return scenario_wrapper_template_registry.get(function)  # type: ignore[call-overload]
    except TypeError:  # not weak-referenceable: not a scenario function
        return None


def scenario_id(item: pytest.Item, rootpath: Path) -> ScenarioId | None:
    """The scenario ``item`` runs, or None when it is not a pytest-bdd scenario."""
    template = _template(getattr(item, "obj", None))
    if template is None:
        return None
    callspec = getattr(item, "callspec", None)
    example = callspec.params.get(EXAMPLE_PARAM, {}) if callspec is not None else {}
    name = str(template.name)
    if isinstance(example, Mapping) and example:
        try:
            name = str(template.render(example).name)
        except Exception:  # a template pytest-bdd cannot render keeps its own name
            name = str(template.name)
    feature = template.feature
    path = os.path.abspath(str(feature.filename))
    try:
        relative = os.path.relpath(path, rootpath)
    except ValueError:  # another drive (Windows)
        relative = path
    file = path if relative.startswith("..") else relative
    return ScenarioId(feature=str(feature.name or feature.rel_filename), name=name, path=path, file=file,
                      line=int(template.line_number))
