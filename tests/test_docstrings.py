"""Docstring examples are true: ``>>>`` examples run as doctests, and every function a usage example
(the indented lines of a module's docstring) calls exists, in the module or elsewhere in the harness."""

from __future__ import annotations

import ast
import builtins
import doctest
import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

import pytest

import cli
import harness

KNOWN = {"Path", "ip_address", "ip_network"}        # the standard library names examples use unimported


def modules() -> list[str]:
    names = ["harness", "cli"]
    for pkg in (harness, cli):
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")
                  if not m.name.endswith("__main__")]
    return sorted(names)


def _defined_anywhere() -> set[str]:
    found: set[str] = set()
    for name in modules():
        source = importlib.import_module(name).__file__
        tree = ast.parse(Path(source).read_text(encoding="utf-8")) if source else ast.Module([], [])
        found |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return found


DEFINED = _defined_anywhere()


def _example_calls(mod: ModuleType) -> list[tuple[str, str]]:
    """(function name, example line) for every call by plain name in the docstring's example lines."""
    calls = []
    for line in (mod.__doc__ or "").splitlines():
        code = line.strip().split("  #")[0]
        if not line.startswith("    ") or code.startswith(">>>"):
            continue
        try:
            tree = ast.parse(code)
        except SyntaxError:
            continue                       # prose or a shell command, not Python
        assigned = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        calls += [(n.func.id, code) for n in ast.walk(tree) if isinstance(n, ast.Call)
                  and isinstance(n.func, ast.Name) and n.func.id not in assigned]
    return calls


@pytest.mark.parametrize("name", modules())
def test_usage_examples_call_functions_that_exist(name: str) -> None:
    mod = importlib.import_module(name)
    missing = [f"{fn}() in {code!r}" for fn, code in _example_calls(mod)
               if fn not in vars(mod) and not hasattr(builtins, fn) and fn not in KNOWN and fn not in DEFINED]
    assert not missing, f"{name}: its docstring example calls what does not exist: {missing}"


@pytest.mark.parametrize("name", modules())
def test_doctest_examples_run(name: str) -> None:
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} doctest example(s) failed"


def test_there_are_doctests_to_run() -> None:
    finder = doctest.DocTestFinder()
    attempted = sum(len(t.examples) for name in modules() for t in finder.find(importlib.import_module(name)))
    assert attempted >= 10, f"only {attempted} doctest examples in the harness"
