"""The repository is self-contained and holds only its own files.

1. Path scan (always runs). No file of the repo's code and tests -- the tracked and new, not ignored,
   text files under harness/, lab/, provisioning/, steps/, tests/, bench/, scripts/, features/ and
   examples/ -- names the reference material (``shared/reference``, ``../shared``, or a path join of
   ``"shared"`` and ``"reference"``) or an absolute path under /work, /home or /root. Those are where
   checkouts and people's own files live: code that names them reads something outside the checkout
   that a fresh clone does not have. Absolute paths of the operating system (/usr, /etc, /proc, /sys,
   /run, /var, /tmp, /dev, /bin, /sbin, /opt, ...) are allowed: they are the interfaces of the machine
   the lab runs on, not someone's files. Reference material is reached only through environment
   variables (tests/reference.py). An absolute path counts only as a path of its own:
   ``/proc/{pid}/root/...`` or ``clusters/home-ops`` are not under /root or /home. Exceptions are
   listed in ``ALLOWED`` with the reason, per file and text.

2. Copy check (runs when $HOME_OPS_OWNER_REPO or $HOME_OPS_CILIUM_CRDS is set, else skips saying so).
   No file of the repo is a copy of a file of the owner's GitOps snapshot or of Cilium's CRD files:
   not byte-identical, not identical once comments, blank lines and whitespace are dropped, and not
   sharing more than half of its distinctive lines with one of them (a distinctive line: stripped,
   longer than 25 characters, not an ``apiVersion:``/``kind:`` line that every manifest of that kind
   has; at least 3 shared lines, so a small file is not judged on boilerplate alone). With
   $HOME_OPS_OWNER_HISTORY set, no file is byte-identical to any blob in the owner's git history either.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from pathlib import Path

import pytest

from tests.reference import CILIUM_CRDS, OWNER_HISTORY, OWNER_REPO

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("harness", "lab", "provisioning", "steps", "tests", "bench", "scripts", "features", "examples")
SELF = "tests/test_self_contained.py"
# (file, exact text) -> why it may stay
ALLOWED: dict[tuple[str, str], str] = {}
# ... also when spelled as a path join: ROOT.parent / "shared" / "reference"
REFERENCE = re.compile(r"""shared/reference|\.\./shared|["']shared["']\s*[/,]\s*["']reference["']""")
# An absolute path of its own (not a component of a longer path) under /work, /home or /root.
PRIVATE_PATH = re.compile(r"(?<![\w.~$}{)/\\-])/(?:work|home|root)(?![\w.-])(?:/[^\s\"'`)\],;:]*)?")
MIN_CHARS = 25
MIN_SHARED = 3


def repo_files(*under: str) -> list[Path]:
    """Tracked and new (not ignored) files that exist, relative to ROOT."""
    out = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", *under],
                         cwd=ROOT, capture_output=True, check=True).stdout.decode()
    return sorted({Path(p) for p in out.split("\0") if p and (ROOT / p).is_file()})


def text_of(path: Path) -> str | None:
    data = path.read_bytes()
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def path_findings(rel: str, text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        hits = [m.group(0) for m in REFERENCE.finditer(line)] + [m.group(0) for m in PRIVATE_PATH.finditer(line)]
        hits = [h for h in hits if not any(f == rel and h in allowed for f, allowed in ALLOWED)]
        found += [f"{rel}:{number}: {hit!r} in: {line.strip()[:120]}" for hit in hits]
    return found


def test_path_rule_examples() -> None:
    flagged = ["/work/shared/x", "open('/home/me/f')", "cwd=/root", "../shared/reference/crds", "x = '/work'",
               'ROOT.parent / "shared" / "reference" / "talos-gitops"', "os.path.join(up, 'shared', 'reference')"]
    fine = ["/usr/bin/kubectl", "/proc/{pid}/root/run/frr", "clusters/home-ops/kustomization.yaml", "/etc/hosts",
            "https://example.org/home/page", "namespaces/home-ops-conformance", "/var/lib/x", "/tmp/lab", "~/.ssh/k"]
    assert all(path_findings("x.py", line) for line in flagged), [f for f in flagged if not path_findings("x.py", f)]
    assert not [f for f in fine if path_findings("x.py", f)]


def test_no_code_or_test_names_paths_outside_the_checkout() -> None:
    findings = []
    for rel in repo_files(*SCANNED):
        if rel.as_posix() == SELF:
            continue
        text = text_of(ROOT / rel)
        if text is not None:
            findings += path_findings(rel.as_posix(), text)
    assert not findings, "paths outside the checkout (use tests/reference.py and an environment variable):\n" + \
        "\n".join(findings)


# -- copies --------------------------------------------------------------------------------------

_COMMENT = re.compile(r"(^|\s)#.*$")
_SPACE = re.compile(r"\s+")


def normalised(text: str) -> str:
    """Comments, blank lines and all whitespace dropped (YAML/shell/FRR '#' comments)."""
    lines = (_SPACE.sub("", _COMMENT.sub("", line)) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def distinctive(text: str) -> set[str]:
    lines = {_SPACE.sub(" ", line.strip()) for line in text.splitlines()}
    return {line for line in lines if len(line) > MIN_CHARS and not line.startswith(("apiVersion:", "kind:"))}


def copy_findings(ours: dict[str, bytes], theirs: dict[str, bytes]) -> list[str]:
    prepared = []
    for name, data in theirs.items():
        text = data.decode("utf-8", "replace")
        prepared.append((name, data, normalised(text), distinctive(text)))
    found = []
    for rel, data in ours.items():
        text = data.decode("utf-8", "replace")
        norm, lines = normalised(text), distinctive(text)
        for name, their_data, their_norm, their_lines in prepared:
            shared = lines & their_lines
            if data == their_data:
                found.append(f"{rel}: byte-identical to {name}")
            elif norm and norm == their_norm:
                found.append(f"{rel}: identical to {name} once comments and whitespace are dropped")
            elif len(shared) >= MIN_SHARED and len(shared) * 2 > len(lines):
                found.append(f"{rel}: {len(shared)} of its {len(lines)} distinctive lines are in {name}, "
                             f"e.g. {sorted(shared)[0]!r}")
    return found


def _reference_files(folders: Iterable[tuple[str, Path]]) -> dict[str, bytes]:
    out = {}
    for label, folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and ".git" not in path.relative_to(folder).parts:
                out[f"{label}/{path.relative_to(folder).as_posix()}"] = path.read_bytes()
    return out


def _our_files() -> dict[str, bytes]:
    return {rel.as_posix(): (ROOT / rel).read_bytes() for rel in repo_files() if rel.as_posix() != SELF}


def test_copy_rules_examples() -> None:
    theirs = {"ref/a.yaml": b"# owner's words\nkey: value-long-enough-to-count-here\nother: also-a-long-line-of-text\n"
                            b"third: yet-another-long-line-of-text\n"}
    assert copy_findings({"same": theirs["ref/a.yaml"]}, theirs)
    assert copy_findings({"recommented": b"key:   value-long-enough-to-count-here # ours\n\nother: also-a-long-"
                                         b"line-of-text\nthird: yet-another-long-line-of-text\n"}, theirs)
    assert copy_findings({"mostly": b"key: value-long-enough-to-count-here\nother: also-a-long-line-of-text\n"
                                    b"third: yet-another-long-line-of-text\nmine: a-line-of-our-own-making-here\n"},
                         theirs)
    assert not copy_findings({"own": b"key: value-long-enough-to-count-here\nmine: a-line-of-our-own-making\n"
                                     b"more: another-line-of-our-own-making\n"}, theirs)


def test_no_file_copies_the_owners_repo_or_the_cilium_crds() -> None:
    folders = [(ref.env, path) for ref in (OWNER_REPO, CILIUM_CRDS) if (path := ref.path()) is not None]
    if not folders:
        pytest.skip(f"{OWNER_REPO.env} and {CILIUM_CRDS.env} not set: the reference material to compare with is "
                    "not part of this repo; .ci/run sets them")
    findings = copy_findings(_our_files(), _reference_files(folders))
    assert not findings, "files copied from the reference material:\n" + "\n".join(findings)


def test_no_file_is_a_blob_of_the_owners_history(tmp_path: Path) -> None:
    bundle = OWNER_HISTORY.require()
    git = tmp_path / "history.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(git)], check=True, capture_output=True)
    listing = subprocess.run(["git", "cat-file", "--batch-all-objects", "--batch-check"], cwd=git,
                             capture_output=True, text=True, check=True).stdout
    blobs = {line.split()[0] for line in listing.splitlines() if line.split()[1:2] == ["blob"]}
    assert blobs, f"{bundle}: no blobs"
    files = [rel.as_posix() for rel in repo_files() if rel.as_posix() != SELF]
    hashes = subprocess.run(["git", "hash-object", "--stdin-paths", "--no-filters"], cwd=ROOT, input="\n".join(files),
                            capture_output=True, text=True, check=True).stdout.split()
    copies = [f for f, h in zip(files, hashes, strict=True) if h in blobs and (ROOT / f).stat().st_size > 0]
    assert not copies, "files identical to a blob of the owner's history:\n" + "\n".join(copies)
