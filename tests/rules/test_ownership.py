"""Every finding the rules can emit is owned by one scenario, and a broken repo proves it.

The chain is: a rule emits a finding naming a ``Requirement`` (a required field, so none is unowned);
``Requirement.scenario`` names the scenario; each broken fixture repo's findings all name the scenario
its ``breaks:`` line names (here, offline); and tests/faults/test_repo_variants.py runs
``pytest features/ --target repo`` on each and sees exactly that scenario fail. So a requirement
without a variant, or a variant whose findings land elsewhere, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from harness.model.profile import Profile, load_profile
from harness.repo import Variant, materialise, variants
from harness.repo.variants import CONFORMING
from harness.rules.drift import repo_rules
from harness.rules.judge import RepoJudge
from harness.rules.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"
SCENARIO = re.compile(r"^\s*Scenario(?: Outline)?:\s*(.*?)\s*$")


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(PROFILE)


def _words(text: str) -> str:
    return text.lower().replace("'", "").replace("-", "")


def repo_scenarios() -> dict[str, list[str]]:
    """feature file -> the titles of its scenarios tagged @repo."""
    found: dict[str, list[str]] = {}
    for path in sorted((ROOT / "features").glob("*.feature")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            m = SCENARIO.match(line)
            if m and "@repo" in lines[i - 1].split():
                found.setdefault(path.name, []).append(m.group(1))
    return found


def every() -> tuple[Requirement, ...]:
    repo_rules()                      # imports every rule module, so every requirement is declared
    return Requirement.every()


def test_every_requirement_names_one_repo_scenario() -> None:
    scenarios = repo_scenarios()
    for requirement in every():
        feature, _, words = requirement.scenario.partition(": ")
        keys = _words(re.sub(r"\[[^\]]*\]", "", words)).split()
        hits = [t for t in scenarios.get(feature, []) if all(k in _words(t) for k in keys)]
        assert len(hits) == 1, f"{requirement}: {requirement.scenario!r} names {len(hits)} @repo scenarios of " \
                               f"{feature}: {scenarios.get(feature)}"


def test_every_repo_scenario_owns_a_requirement() -> None:
    owned = {(r.scenario.partition(": ")[0], _words(re.sub(r"\[[^\]]*\]", "", r.scenario.partition(": ")[2])))
             for r in every()}
    for feature, titles in repo_scenarios().items():
        for title in titles:
            assert any(f == feature and all(k in _words(title) for k in words.split()) for f, words in owned), \
                f"{feature}: @repo scenario {title!r} owns no requirement: it could never fail on a repo"


def test_every_requirement_is_broken_by_a_fixture_repo() -> None:
    broken = {b for v in variants() for b in v.broken}
    missing = [f"{r} ({r.scenario})" for r in every() if r.scenario not in broken]
    assert not missing, f"no fixtures/repos/broken variant breaks: {missing}"


@pytest.mark.parametrize("variant", variants(), ids=lambda v: v.name)
def test_a_variants_findings_all_belong_to_the_scenario_it_breaks(variant: Variant, profile: Profile,
                                                                  tmp_path: Path) -> None:
    judge = RepoJudge.open(profile, materialise(variant, tmp_path / variant.name))
    found = [d for d in judge.drifts if d.applied]
    assert found, f"{variant.name}: no finding at all"
    elsewhere = [f"{d} -> {d.requirement.scenario}" for d in found if d.requirement.scenario not in variant.broken]
    assert not elsewhere, f"{variant.name} breaks {variant.broken}, yet:\n" + "\n".join(elsewhere)
    unbroken = set(variant.broken) - {d.requirement.scenario for d in found}
    assert not unbroken, f"{variant.name} says it breaks {sorted(unbroken)}, but no finding is about it"


def test_the_conforming_repo_has_no_finding(profile: Profile) -> None:
    assert RepoJudge.open(profile, CONFORMING).drifts == ()
