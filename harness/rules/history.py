"""The gate over a repo's history: per commit, the findings it introduced and those it fixed.

    with Revisions(Path("talos-gitops")) as revs:
        steps = walk(profile, revs, since="v1.0")            # one Step per commit that changes what the gate reads
    print(render_markdown(steps)); json.dumps(as_json(steps))

A commit is judged like ``pytest features/ --target repo --repo <checkout>`` in strict mode, in this
process: the checkout is rendered and compared with the profile (harness.rules.judge), findings are
compared by requirement and subject with the previous commit judged. Commits whose gate inputs (every
YAML file, Kustomization file and the router config, by blob: ``Revisions.fingerprint``) equal the
previous commit's are not judged again; parsed files are cached by content (yamlio), so each distinct
file is parsed once per walk. A commit the gate cannot run on (a usage error) is a step with ``error``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.core.errors import ConfigError
from harness.model.profile import Profile
from harness.repo.gitrefs import Commit, Revisions
from harness.rules.drift import Drift
from harness.rules.judge import RepoJudge


@dataclass(frozen=True)
class Finding:
    key: tuple[str, str]
    scenario: str                  # the judgement owning it ("report only" when none)
    text: str


@dataclass(frozen=True)
class Step:
    commit: Commit
    introduced: tuple[Finding, ...] = ()
    fixed: tuple[Finding, ...] = ()
    findings: int = 0              # findings at this commit
    error: str = ""                # the usage error the gate gives at this commit
    blocking: tuple[str, ...] = ()  # what strict mode stops at (missing files), when any
    seconds: float = 0.0
    reused: bool = False           # same gate inputs as the commit before: not judged again


@dataclass
class _State:
    findings: dict[tuple[str, str], Finding] = field(default_factory=dict)


def judge_checkout(profile: Profile, root: Any, cluster_dir: str | None = None) -> tuple[dict[tuple[str, str], Finding],
                                                                                         list[str]]:
    judge = RepoJudge.open(profile, root, cluster_dir)
    found: dict[tuple[str, str], Finding] = {}
    for d in judge.drifts:
        if d.applied:
            found.setdefault(d.key, Finding(d.key, str(d.requirement), str(d)))
    return found, judge.blocking_gaps()


def walk(profile: Profile, revs: Revisions, since: str | None = None, until: str = "HEAD",
         cluster_dir: str | None = None, progress: Callable[[Step], None] | None = None) -> list[Step]:
    return list(iter_walk(profile, revs, since, until, cluster_dir, progress))


def iter_walk(profile: Profile, revs: Revisions, since: str | None = None, until: str = "HEAD",
              cluster_dir: str | None = None, progress: Callable[[Step], None] | None = None) -> Iterator[Step]:
    extra = (profile.bgp.router.config_file,) if profile.bgp.router.config_file else ()
    previous: dict[tuple[str, str], Finding] = {}
    if since is not None:
        previous, _ = _judge(profile, revs, revs.resolve(since), cluster_dir)[:2]
    last_print: str | None = None
    cache: dict[str, tuple[dict[tuple[str, str], Finding], list[str], str]] = {}
    for commit in revs.commits(since, until):
        started = time.monotonic()
        print_ = revs.fingerprint(commit.sha, extra)
        reused = print_ == last_print
        if print_ not in cache:
            cache.clear()     # one entry: consecutive commits share inputs, older ones rarely come back
            cache[print_] = _judge(profile, revs, commit.sha, cluster_dir)
        current, blocking, error = cache[print_]
        last_print = print_
        step = Step(commit, tuple(v for k, v in current.items() if k not in previous),
                    tuple(v for k, v in previous.items() if k not in current), len(current), error,
                    tuple(blocking), time.monotonic() - started, reused)
        if not error:
            previous = current
        if progress is not None:
            progress(step)
        yield step


def _judge(profile: Profile, revs: Revisions, sha: str, cluster_dir: str | None
           ) -> tuple[dict[tuple[str, str], Finding], list[str], str]:
    root = revs.checkout(sha)
    try:
        found, blocking = judge_checkout(profile, root, cluster_dir)
    except ConfigError as exc:
        return {}, [], str(exc).replace(str(root), "<repo>")
    return found, blocking, ""


def changed(steps: list[Step]) -> list[Step]:
    return [s for s in steps if s.introduced or s.fixed or s.error]


def _item(f: Finding) -> str:
    return f"- [{f.scenario}] {f.text}"


def render_markdown(steps: list[Step]) -> str:
    judged = [s for s in steps if not s.reused]
    errors = [s for s in steps if s.error]
    lines = [f"# Gate history: {len(steps)} commit(s), {len(judged)} judged (the others change nothing the gate "
             f"reads), {len(errors)} usage error(s)", ""]
    for step in changed(steps):
        c = step.commit
        lines.append(f"## {c.short} {c.date[:10]} {c.subject}")
        if step.error:
            lines.append(f"- usage error: {step.error}")
        if step.introduced:
            lines += ["", f"introduced ({len(step.introduced)}):", *map(_item, step.introduced)]
        if step.fixed:
            lines += ["", f"fixed ({len(step.fixed)}):", *map(_item, step.fixed)]
        lines.append("")
    return "\n".join(lines) + "\n"


def as_json(steps: list[Step]) -> list[dict[str, Any]]:
    def one(f: Finding) -> dict[str, str]:
        return {"requirement": f.key[0], "subject": f.key[1], "scenario": f.scenario, "text": f.text}
    return [{"commit": s.commit.sha, "date": s.commit.date, "subject": s.commit.subject, "judged": not s.reused,
             "findings": s.findings, "introduced": [one(f) for f in s.introduced], "fixed": [one(f) for f in s.fixed],
             "error": s.error or None, "strict_mode_blocking": list(s.blocking), "seconds": round(s.seconds, 3)}
            for s in steps]


__all__ = ["Drift", "Finding", "Step", "as_json", "changed", "iter_walk", "judge_checkout", "render_markdown", "walk"]
