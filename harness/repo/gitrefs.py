"""Read other revisions of a GitOps repo without touching its work tree: a private shared clone.

    with Revisions(Path("talos-gitops")) as revs:
        root = revs.checkout("origin/main")          # a directory holding that commit's files
        revs.commits(since="v1.0")                   # oldest first

The clone (``git clone --shared --no-checkout``) borrows the repo's objects and lives in a temporary
directory; each ``checkout`` moves its work tree to the commit (git writes only what changed). The repo
under test is never written to. A git bundle works as the source too.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from harness.core.errors import ConfigError

# What the gate reads: manifests, kustomizations, talconfig and its patches, Taskfiles (all YAML).
RELEVANT_SUFFIXES = (".yaml", ".yml")
RELEVANT_NAMES = ("Kustomization",)


@dataclass(frozen=True)
class Commit:
    sha: str
    date: str            # committer date, ISO 8601
    subject: str

    @property
    def short(self) -> str:
        return self.sha[:7]


def _git(args: list[str], cwd: Path | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False,
                          env={**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"})
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise ConfigError(f"git {' '.join(args[:3])}: {last}")
    return proc.stdout


def repo_top(path: Path) -> tuple[Path, str]:
    """The git work tree holding ``path`` and ``path`` relative to it ("" at the top)."""
    if path.is_file():                       # a bundle
        return path, ""
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd=path).strip())
    except ConfigError as exc:
        raise ConfigError(f"--repo {path}: not inside a git repository ({exc})") from exc
    return top, path.resolve().relative_to(top.resolve()).as_posix().strip(".")


class Revisions:
    """A private clone of ``source`` (a work tree or a bundle) for reading its commits."""

    def __init__(self, source: Path) -> None:
        self.source, self.subdir = repo_top(source)
        self._tmp = Path(tempfile.mkdtemp(prefix="home-ops-revs-"))
        self.clone = self._tmp / "repo"
        args = ["clone", "--quiet", "--no-checkout"]
        if self.source.is_dir():
            args.append("--shared")
        _git([*args, str(self.source), str(self.clone)])
        self.current: str | None = None
        # "HEAD" is the source's HEAD (the clone's own HEAD moves with every checkout)
        self.head = _git(["rev-parse", "--verify", "HEAD^{commit}"],
                         cwd=self.source if self.source.is_dir() else self.clone).strip()

    def __enter__(self) -> Revisions:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self._tmp, ignore_errors=True)

    def resolve(self, ref: str) -> str:
        """A commit id for ``ref`` as the source repo names it (branches, tags, HEAD~3, ids)."""
        if ref == "HEAD" or ref.startswith(("HEAD~", "HEAD^")):
            ref = self.head + ref[4:]
        for candidate in (ref, f"origin/{ref}"):
            try:
                return _git(["rev-parse", "--verify", "--quiet", f"{candidate}^{{commit}}"], cwd=self.clone).strip()
            except ConfigError:
                continue
        if self.source.is_dir():   # a ref only the source knows (its HEAD, a remote-tracking branch)
            sha = _git(["rev-parse", "--verify", f"{ref}^{{commit}}"], cwd=self.source).strip()
            _git(["fetch", "--quiet", str(self.source), sha], cwd=self.clone)
            return sha
        raise ConfigError(f"no commit {ref!r} in {self.source}")

    def checkout(self, ref: str) -> Path:
        sha = self.resolve(ref)
        if sha != self.current:
            _git(["checkout", "--quiet", "--force", "--detach", sha], cwd=self.clone)
            self.current = sha
        return self.clone / self.subdir if self.subdir else self.clone

    def commits(self, since: str | None = None, until: str = "HEAD") -> list[Commit]:
        """Commits of ``until``'s history after ``since`` (all without it), oldest first."""
        head = self.resolve(until)
        span = f"{self.resolve(since)}..{head}" if since else head
        out = _git(["log", "--reverse", "--format=%H%x00%cI%x00%s", span], cwd=self.clone)
        return [Commit(*line.split("\0", 2)) for line in out.splitlines() if line]

    def fingerprint(self, sha: str, extra: tuple[str, ...] = ()) -> str:
        """The blobs of every file the gate reads at ``sha`` (YAML, Kustomization files, ``extra``):
        commits with equal fingerprints are judged once."""
        listing = _git(["ls-tree", "-r", "-z", sha], cwd=self.clone)
        digest = hashlib.sha1()
        for entry in listing.split("\0"):
            if not entry:
                continue
            meta, _, path = entry.partition("\t")
            if self.subdir and not path.startswith(self.subdir + "/"):
                continue
            name = path.rsplit("/", 1)[-1]
            if name.endswith(RELEVANT_SUFFIXES) or name in RELEVANT_NAMES or path in extra:
                digest.update(f"{path}\0{meta.split()[-1]}\n".encode())
        return digest.hexdigest()
