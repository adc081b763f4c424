"""Reading repo YAML files into plain documents, with one-line errors that name file and line.

    docs = load_documents(repo_root / "infrastructure/cilium-pools/loadbalancer-pools.yaml", repo_root)
    # ConfigError: infrastructure/x.yaml:12: malformed YAML: mapping values are not allowed here

Only mappings are kept as documents (empty ``---`` separators and comment-only documents vanish, as
kustomize drops them); a document that is a list or a scalar is a ConfigError naming its line.

Parsing uses libyaml (``CSafeLoader``) when PyYAML has it, and keeps every parsed text (pickled, so a
caller may change what it gets): a history walk parses each distinct file content once. A text libyaml
refuses is parsed again by the pure-Python loader for its error message.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import yaml

from harness.core.errors import ConfigError

Obj = dict[str, Any]
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED: dict[str, bytes] = {}      # text -> pickled documents
_CACHE_LIMIT = 20000


def relative(path: Path, root: Path) -> str:
    """``path`` as written relative to the repo root (POSIX separators), or as given outside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def read_text(path: Path, root: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{relative(path, root)}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{relative(path, root)}: not UTF-8 text: {exc.reason}") from exc


def parse_any(text: str, where: str) -> list[Any]:
    """Every document of a YAML stream, whatever its shape; ``where`` names the source in errors."""
    cached = _PARSED.get(text)
    if cached is not None:
        return pickle.loads(cached)  # type: ignore[no-any-return]
    try:
        docs = list(yaml.load_all(text, Loader=_LOADER))
    except yaml.YAMLError:
        docs = _slow_parse(text, where)
    if len(_PARSED) >= _CACHE_LIMIT:
        _PARSED.clear()
    _PARSED[text] = pickle.dumps(docs)
    return docs


def _slow_parse(text: str, where: str) -> list[Any]:
    """The pure-Python loader: its error messages are the ones users know (and it may accept the text)."""
    try:
        return list(yaml.safe_load_all(text))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(f"{where}{line}: malformed YAML: {problem}") from exc


def parse_documents(text: str, where: str) -> list[Obj]:
    """Every mapping document of a YAML stream (empty documents dropped)."""
    raw = parse_any(text, where)
    docs: list[Obj] = []
    for index, doc in enumerate(raw):
        if doc is None:
            continue
        if not isinstance(doc, dict):
            raise ConfigError(f"{where}: document {index + 1} is {type(doc).__name__}, expected a mapping")
        docs.append(doc)
    return docs


def load_documents(path: Path, root: Path) -> list[Obj]:
    return parse_documents(read_text(path, root), relative(path, root))


def load_mapping(path: Path, root: Path) -> Obj:
    """A file that must hold exactly one mapping (kustomization.yaml, talconfig.yaml)."""
    docs = load_documents(path, root)
    if len(docs) != 1:
        raise ConfigError(f"{relative(path, root)}: expected one YAML mapping, found {len(docs)} documents")
    return docs[0]
