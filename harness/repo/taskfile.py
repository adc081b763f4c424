"""Bootstrap-phase Helm installs in a repo's Taskfiles (go-task), as a source of chart values.

    installs = helm_installs(repo_root, chart="cilium")
    installs[0].task, installs[0].values, installs[0].missing      # "apps:deploy-cilium", {...}, ()

The owner's architecture installs Cilium in the bootstrap phase from ``Taskfile.yml``
(``apps:deploy-cilium``: ``helm upgrade --install cilium cilium/cilium --version ... --set ...``), not
through Flux. What such a command installs is read the way go-task and helm run it:

- go-task (https://taskfile.dev/reference/schema/): the root file is the first of ``Taskfile.yml``,
  ``taskfile.yml``, ``Taskfile.yaml``, ``taskfile.yaml``; ``includes`` map a namespace to a file or
  directory (``taskfile:``/``dir:`` in the long form), nested includes resolve against the including
  file, and an included task is named ``namespace:task``. A task's ``cmds`` are strings or
  ``{cmd: ...}`` (``{task: ...}`` calls run other tasks, which are read on their own). Commands run in
  the root Taskfile's directory unless the include or the task sets ``dir``. ``{{.VAR}}`` is replaced by
  the task's, the include's and the file's ``vars`` when they are plain strings; others stay as written.
- the shell: backslash-newline joins lines; ``;``, ``&&``, ``||``, ``|`` and newlines separate
  commands; words are split with POSIX quoting (shlex). A command is a helm install when the words
  ``helm install`` or ``helm upgrade`` with ``--install``/``-i`` appear in it (after wrappers such as
  ``mise exec --``) and the chart's last path segment is the chart asked for.
- helm (helm/helm pkg/cli/values/options.go MergeValues): values files (``-f``/``--values``) in
  order, then ``--set``/``--set-string`` in order (harness/repo/helm_set.py). A values file the repo
  lacks makes the command fail: it is listed in ``missing``; ``--set-file``/``--set-json`` values are
  listed in ``unevaluated``.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.core.errors import ConfigError, SetError
from harness.repo.helm_set import apply_set, merge_values
from harness.repo.yamlio import parse_any, read_text, relative

ROOT_NAMES = ("Taskfile.yml", "taskfile.yml", "Taskfile.yaml", "taskfile.yaml")
MAX_DEPTH = 8
# helm install/upgrade flags that take a value (a value after a boolean flag would read as the chart)
VALUE_FLAGS = frozenset({
    "--namespace", "-n", "--version", "--values", "-f", "--set", "--set-string", "--set-file", "--set-json",
    "--set-literal", "--timeout", "--kube-context", "--kubeconfig", "--repo", "--username", "--password",
    "--post-renderer", "--post-renderer-args", "--description", "--history-max", "--ca-file", "--cert-file",
    "--key-file", "--output", "-o", "--kube-apiserver", "--kube-as-user", "--kube-as-group", "--kube-token",
    "--kube-ca-file", "--kube-tls-server-name", "--registry-config", "--repository-cache", "--repository-config",
    "--labels", "-l", "--name-template", "--burst-limit", "--qps", "--wait-retries", "--keyring",
})
_VAR = re.compile(r"\{\{\s*\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_SEPARATORS = {";", "&&", "||", "|", "&", "\n"}


@dataclass(frozen=True)
class HelmInstall:
    taskfile: str                                 # repo-relative file the task is written in
    task: str                                     # as ``task`` names it, e.g. "apps:deploy-cilium"
    release: str
    chart: str                                    # as written, e.g. "cilium/cilium"
    version: str
    namespace: str
    values: dict[str, Any]                        # what the command passes (files, then --set)
    values_files: tuple[str, ...]                 # repo-relative
    missing: tuple[str, ...] = ()                 # values files the repo lacks: helm would fail
    unevaluated: tuple[str, ...] = ()             # --set-file / --set-json / unreadable --set arguments

    @property
    def where(self) -> str:
        return f"{self.taskfile}: task {self.task} (helm install {self.release} {self.chart})"


@dataclass
class _File:
    path: Path
    namespace: str
    run_dir: Path
    variables: dict[str, str] = field(default_factory=dict)


def root_taskfile(root: Path) -> Path | None:
    return next((root / n for n in ROOT_NAMES if (root / n).is_file()), None)


def helm_installs(root: Path, chart: str) -> tuple[HelmInstall, ...]:
    """Every task command that installs ``chart`` (root Taskfile and its includes, in file order)."""
    first = root_taskfile(root)
    if first is None:
        return ()
    found: list[HelmInstall] = []
    seen: set[Path] = set()
    queue = [_File(first, "", first.parent)]
    while queue:
        current = queue.pop(0)
        resolved = current.path.resolve()
        if resolved in seen or len(seen) > 64:
            continue
        seen.add(resolved)
        doc = _load(root, current.path)
        if doc is None:
            continue
        current.variables = {**current.variables, **_plain_vars(doc.get("vars"))}
        queue += _includes(root, current, doc)
        for name, task in (doc.get("tasks") or {}).items() if isinstance(doc.get("tasks"), dict) else ():
            full = f"{current.namespace}{name}"
            found += _task_installs(root, current, full, task, chart)
    return tuple(found)


def _load(root: Path, path: Path) -> dict[str, Any] | None:
    try:
        docs = parse_any(read_text(path, root), relative(path, root))
    except ConfigError:
        return None          # a Taskfile task cannot run from is not evidence of an install
    return docs[0] if docs and isinstance(docs[0], dict) else None


def _plain_vars(raw: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (raw or {}).items() if isinstance(raw, dict) else ():
        if isinstance(value, (str, int, float, bool)) and "{{" not in str(value):
            out[str(key)] = str(value)
    return out


def _includes(root: Path, current: _File, doc: dict[str, Any]) -> list[_File]:
    out: list[_File] = []
    raw = doc.get("includes")
    for name, spec in raw.items() if isinstance(raw, dict) else ():
        target = spec if isinstance(spec, str) else (spec or {}).get("taskfile") if isinstance(spec, dict) else None
        if not target or "{{" in str(target):
            continue
        path = current.path.parent / str(target)
        if path.is_dir():
            path = next((path / n for n in ROOT_NAMES if (path / n).is_file()), path / ROOT_NAMES[0])
        if not path.is_file() or not _inside(path, root):
            continue
        run_dir = current.run_dir
        if isinstance(spec, dict) and spec.get("dir"):
            run_dir = current.path.parent / str(spec["dir"])
        variables = {**current.variables, **(_plain_vars(spec.get("vars")) if isinstance(spec, dict) else {})}
        out.append(_File(path, f"{current.namespace}{name}:", run_dir, variables))
    return out


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def _commands(task: Any) -> list[str]:
    if isinstance(task, str):
        return [task]
    if isinstance(task, list):
        return [c if isinstance(c, str) else str(c.get("cmd", "")) for c in task
                if isinstance(c, str) or (isinstance(c, dict) and "cmd" in c)]
    if isinstance(task, dict):
        return _commands(task.get("cmds") or [])
    return []


def _task_installs(root: Path, file: _File, name: str, task: Any, chart: str) -> list[HelmInstall]:
    variables = {**file.variables, **(_plain_vars(task.get("vars")) if isinstance(task, dict) else {})}
    run_dir = file.run_dir / str(task["dir"]) if isinstance(task, dict) and task.get("dir") else file.run_dir
    found = []
    for command in _commands(task):
        text = _VAR.sub(lambda m: variables.get(m.group(1), m.group(0)), command)
        for words in _shell_commands(text):
            install = _helm_install(root, file, name, run_dir, words, chart)
            if install is not None:
                found.append(install)
    return found


def _shell_commands(text: str) -> list[list[str]]:
    joined = re.sub(r"\\\r?\n", " ", text)
    commands: list[list[str]] = []
    for line in joined.splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
        lexer.whitespace_split = True
        lexer.commenters = "#"
        try:
            words = list(lexer)
        except ValueError:
            continue          # unbalanced quotes: the shell would refuse the line too
        current: list[str] = []
        for word in words:
            if word in _SEPARATORS:
                commands.append(current)
                current = []
            else:
                current.append(word)
        commands.append(current)
    return [c for c in commands if c]


def _helm_install(root: Path, file: _File, task: str, run_dir: Path, words: list[str],
                  chart: str) -> HelmInstall | None:
    if "helm" not in words:
        return None
    args = words[words.index("helm") + 1:]
    if not args or args[0] not in ("install", "upgrade"):
        return None
    verb, args = args[0], args[1:]
    flags: list[tuple[str, str]] = []
    positional: list[str] = []
    index = 0
    while index < len(args):
        word = args[index]
        if word.startswith("-") and word != "-":
            name, eq, value = word.partition("=")
            if not eq and name in VALUE_FLAGS and index + 1 < len(args):
                value = args[index + 1]
                index += 1
            flags.append((name, value))
        else:
            positional.append(word)
        index += 1
    names = {n for n, _ in flags}
    if verb == "upgrade" and not names & {"--install", "-i"}:
        return None
    if len(positional) < 2 or positional[1].rstrip("/").rsplit("/", 1)[-1] != chart:
        return None
    values: dict[str, Any] = {}
    files: list[str] = []
    missing: list[str] = []
    unevaluated: list[str] = []
    for flag, value in flags:
        if flag in ("-f", "--values"):
            for part in value.split(","):
                path = run_dir / part
                rel = relative(path, root)
                files.append(rel)
                loaded = _load(root, path) if path.is_file() and _inside(path, root) else None
                if loaded is None and not (path.is_file() and _inside(path, root)):
                    missing.append(rel)
                elif loaded is not None:
                    values = merge_values(values, loaded)
    for flag, value in flags:
        if flag in ("--set", "--set-string"):
            try:
                apply_set(values, value, as_string=flag == "--set-string")
            except SetError as exc:
                unevaluated.append(f"{flag} {value}: {exc}")
        elif flag in ("--set-file", "--set-json", "--set-literal"):
            unevaluated.append(f"{flag} {value}")
    version = next((v for n, v in flags if n == "--version"), "")
    namespace = next((v for n, v in flags if n in ("--namespace", "-n")), "default")
    return HelmInstall(relative(file.path, root), task, positional[0], positional[1], version, namespace,
                       _without_nulls(values), tuple(files), tuple(missing), tuple(unevaluated))


def _without_nulls(values: Any) -> Any:
    """``null`` removes a key from the chart's values (helm coalescing); absent here means the chart default."""
    if isinstance(values, dict):
        return {k: _without_nulls(v) for k, v in values.items() if v is not None}
    if isinstance(values, list):
        return [_without_nulls(v) for v in values]
    return values
