"""pytest wiring: options, targets, the lab's lifecycle, and collecting ``.feature`` files directly.

    pytest features/                                     # the lab: started, used, stopped
    pytest features/ --target live --kubeconfig ~/.kube/config --context admin@home-ops

Loaded from the root conftest. The lab is started as a separate process (``python -m lab``) and
read through the endpoints it publishes; nothing here imports the lab.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import ConfigError
from harness.core.netaddr import Family
from harness.markers import register as register_markers
from harness.model.profile import Profile, load_profile
from harness.model.targets import SshEndpoint, Target, TargetKind
from harness.probes.kube import KubeApi
from harness.probes.labctl import lab_command
from harness.probes.netns import inside
from harness.probes.talos.config import load_talosconfig
from harness.repo.gitrefs import Revisions
from harness.reporting.three_way import render_markdown as render_three_way
from harness.reporting.three_way import three_way
from harness.rules.judge import RepoJudge
from harness.sources.repo import repo_facts

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("home-ops", "home-ops conformance")
    group.addoption("--target", choices=[k.value for k in TargetKind], default=None,
                    help="what to judge: the embedded lab (default without --kubeconfig), a live cluster, a repo")
    group.addoption("--profile", type=Path, default=DEFAULT_PROFILE, help="cluster profile YAML")
    group.addoption("--kubeconfig", type=Path, default=None, help="kubeconfig of the live cluster")
    group.addoption("--context", default=None, help="kubeconfig context (default: current-context)")
    group.addoption("--allow-mutation", action="store_true", help="run @mutating scenarios on a live cluster")
    group.addoption("--lab-dir", type=Path, default=None,
                    help="use the lab already running in DIR (python -m harness lab up) instead of starting one")
    group.addoption("--repo", type=Path, default=None,
                    help="GitOps checkout: judged offline (--target repo), or a lab built from it (--target twin)")
    group.addoption("--cluster-dir", default=None,
                    help="with --target repo: the repo's cluster directory (default: the path of its flux-system "
                         "Kustomization under clusters/, or the only folder there)")
    group.addoption("--baseline", default=None, metavar="REF",
                    help="with --target repo: a git ref of the repo (e.g. the PR's merge base); findings present "
                         "there are existing debt, listed and not failed; only new findings fail")
    group.addoption("--kustomize", default=None, metavar="KUBECTL",
                    help="with --target repo: also build every complete kustomization with this kubectl "
                         "(`kubectl kustomize`); its output wins where the gate's renderer differs, files kept")
    group.addoption("--repo-partial", action="store_true",
                    help="with --target repo: the checkout is a partial snapshot; list the files and Flux "
                         "Kustomization paths it refers to but lacks instead of judging them (strict: each fails "
                         "the scenarios whose evidence it stops)")
    group.addoption("--drift-report", type=Path, default=None,
                    help="with --target repo: also write the drift report (markdown) to this file")
    group.addoption("--talosconfig", type=Path, default=None, help="talosconfig of the live cluster")
    group.addoption("--talos-context", default=None, help="talosconfig context (default: its current context)")
    group.addoption("--ca-bundle", type=Path, default=None,
                    help="CA bundle the ingress certificates must verify against (live; default: system CAs)")
    group.addoption("--router-key", type=Path, default=None,
                    help="SSH private key for the router (live; default: the file named by the profile's key_env)")
    group.addoption("--router-known-hosts", type=Path, default=None,
                    help="known_hosts for the router (live; default: the system's and ~/.ssh/known_hosts)")
    group.addoption("--authentik-credentials", type=Path, default=None,
                    help='Authentik test account, JSON {"username": ..., "password": ...} (or an app password); '
                         "default: $HOME_OPS_AUTHENTIK_USER with $HOME_OPS_AUTHENTIK_PASSWORD or _PASSWORD_FILE")


class FeatureFile(pytest.Module):
    """A ``.feature`` file collected as a module whose tests are its scenarios."""

    def _getobj(self) -> types.ModuleType:
        from pytest_bdd import exceptions, scenarios
        module = types.ModuleType(f"features.{self.path.stem}")
        module.__file__ = str(self.path)
        module.__dict__["scenarios"] = scenarios
        try:
            exec(compile(f"scenarios({str(self.path)!r})", str(self.path), "exec"), module.__dict__)
        except exceptions.GherkinParseError as exc:  # a CollectError is shown as its message alone, no traceback
            raise self.CollectError(f"{self.path}:{exc.line}: malformed Gherkin: {_gherkin_problem(exc.message)}"
                                    f" (line: {exc.line_content.strip()!r})") from exc
        except exceptions.NoScenariosFound as exc:
            raise self.CollectError(f"{self.path}: no Scenario found; expected one Feature with scenarios") from exc
        return module


def _gherkin_problem(message: str) -> str:
    """The parser's first complaint, without pytest-bdd's "Unknown parsing error: Parser errors:" lead-in."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    detail = [line for line in lines if not line.endswith("Parser errors:")]
    return (detail or lines or ["unreadable"])[0]


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix == ".feature":
        return FeatureFile.from_parent(parent, path=file_path)
    return None


def pytest_configure(config: pytest.Config) -> None:
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM tears down like Ctrl-C
    register_markers(config)                   # @arch-N coverage tags, late feature tags
    try:
        config.stash[PROFILE] = load_profile(config.getoption("--profile"))
        config.stash[TARGET_KIND] = _target_kind(config)
        _check_inputs(config, config.stash[TARGET_KIND])
        if config.stash[TARGET_KIND] == "repo":
            repo = config.getoption("--repo")
            if not repo.is_dir():
                raise ConfigError(f"--repo {repo}: no such directory")
            config.stash[REPO_JUDGE] = _repo_judge(config, repo)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from exc


def _repo_judge(config: pytest.Config, repo: Path) -> RepoJudge:
    """The repo's verdicts; strict unless --repo-partial (then what the checkout lacks is only listed);
    with --baseline, against the findings of that ref (read from a private clone: --repo is not touched)."""
    profile, opt = config.stash[PROFILE], config.getoption
    strict = not opt("--repo-partial")
    kubectl = opt("--kustomize")
    if kubectl is not None and shutil.which(kubectl) is None:
        raise ConfigError(f"--kustomize {kubectl}: no such program")
    judge = RepoJudge.open(profile, repo, opt("--cluster-dir"), strict=strict, kubectl=kubectl)
    ref = opt("--baseline")
    if ref is None:
        return judge
    with Revisions(repo) as revs:
        sha = revs.resolve(ref)
        try:
            base = RepoJudge.open(profile, revs.checkout(sha), opt("--cluster-dir"), strict=strict, kubectl=kubectl)
        except ConfigError as exc:
            raise ConfigError(f"--baseline {ref} ({sha[:12]}): {exc}") from exc
    return judge.against(base, f"{ref} ({sha[:12]})")


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def _target_kind(config: pytest.Config) -> TargetKind:
    kind = TargetKind(config.getoption("--target") or ("live" if config.getoption("--kubeconfig") else "lab"))
    if kind is TargetKind.LIVE and not config.getoption("--kubeconfig"):
        raise ConfigError("--target live needs --kubeconfig PATH")
    if kind in (TargetKind.REPO, TargetKind.TWIN) and not config.getoption("--repo"):
        raise ConfigError(f"--target {kind} needs --repo PATH")
    return kind


def _check_inputs(config: pytest.Config, kind: str) -> None:
    """Read the input files now: a bad one is one usage error, not the same error in every scenario."""
    opt = config.getoption
    if kind == "lab" and opt("--lab-dir") is not None:
        Target.from_lab_dir(opt("--lab-dir"))
    if kind != "live":
        return
    for option in ("--router-key", "--router-known-hosts", "--authentik-credentials"):
        if opt(option) is not None and not opt(option).is_file():
            raise ConfigError(f"{option} {opt(option)}: no such file")
    Target.live(opt("--kubeconfig"), opt("--context"), False, talosconfig=opt("--talosconfig"),
                ca_bundle=opt("--ca-bundle"))
    KubeApi.from_kubeconfig(opt("--kubeconfig"), opt("--context"), 1.0).close()  # parses; connects to nothing
    if opt("--talosconfig") is not None:
        load_talosconfig(opt("--talosconfig")).context(opt("--talos-context"))


PROFILE = pytest.StashKey[Profile]()
TARGET_KIND = pytest.StashKey[TargetKind]()
DESELECTED = pytest.StashKey[int]()
REPO_JUDGE = pytest.StashKey[RepoJudge]()


NEEDS = {"needs_cluster": "the Kubernetes API", "needs_router": "the router's BGP state",
         "needs_talos": "the Talos API", "needs_network": "probe traffic", "needs_dns": "the cluster's DNS"}


def _evidence_skips(kind: str, items: list[pytest.Item]) -> None:
    """Scenarios declare their evidence with tags; skip (with the reason) what this target cannot give."""
    for item in items:
        if kind == "repo" and not (item.get_closest_marker("repo") or item.get_closest_marker("repo_only")):
            needs = ", ".join(v for k, v in NEEDS.items() if item.get_closest_marker(k)) or "a running cluster"
            item.add_marker(pytest.mark.skip(reason=f"needs live evidence ({needs}); not judged from a repo"))
        elif kind != "repo" and item.get_closest_marker("repo_only"):
            item.add_marker(pytest.mark.skip(reason="judged from a GitOps repo (--target repo); on a cluster the "
                                                    "route scenarios judge the same end to end"))


@pytest.hookimpl(tryfirst=True)  # before `-m` selects: `-m "not lab"` leaves out the scenarios a lab judges
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.stash[TARGET_KIND] in (TargetKind.LAB, TargetKind.TWIN):
        for item in items:
            if item.path.suffix == ".feature":
                item.add_marker(pytest.mark.lab)
                # a lab the run starts is bootstrapped and settled before its first scenario, whatever
                # that scenario reads (a router-only scenario must not see a cluster not yet applied):
                # the `kube` fixture (which bootstraps a fresh lab) comes first in every scenario's setup
                names = getattr(item, "fixturenames", None)
                if isinstance(names, list) and "kube" not in names:
                    names.insert(0, "kube")
    _evidence_skips(config.stash[TARGET_KIND], items)
    if config.stash[TARGET_KIND] != "live" or config.getoption("--allow-mutation"):
        return
    keep = [i for i in items if i.get_closest_marker("mutating") is None]
    dropped = [i for i in items if i.get_closest_marker("mutating") is not None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = keep
    config.stash[DESELECTED] = len(dropped)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    profile = config.stash.get(PROFILE, None)
    if profile is not None and profile.notes:
        terminalreporter.write_sep("-", "the profile itself: worth a look")
        for note in profile.notes:
            terminalreporter.write_line(note)
    judge = config.stash.get(REPO_JUDGE, None)
    if judge is not None:
        report = judge.report()
        terminalreporter.write_sep("-", f"drift: profile vs {judge.where} ({len(judge.drifts)} value(s) differ)")
        terminalreporter.write_line(report)
        path = config.getoption("--drift-report")
        if path is not None:      # the findings, then field by field (the repo column of `harness drift`)
            fields = render_three_way(three_way(config.stash[PROFILE], repo_facts(config.stash[PROFILE], judge.repo),
                                                None))
            path.write_text(report + "\n\n## Field by field: profile | repo\n\n" + fields, encoding="utf-8")
    dropped = config.stash.get(DESELECTED, 0)
    if dropped:
        terminalreporter.write_line(
            f"read-only run: {dropped} @mutating scenario(s) deselected (--allow-mutation includes them)")


@pytest.fixture(scope="session")
def repo_judge(pytestconfig: pytest.Config) -> RepoJudge | None:
    """The repo's verdicts (--target repo), or None on a cluster."""
    return pytestconfig.stash.get(REPO_JUDGE, None)


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config) -> Profile:
    return pytestconfig.stash[PROFILE]


@pytest.fixture(scope="session")
def target(pytestconfig: pytest.Config, profile: Profile) -> Iterator[Target]:
    kind = pytestconfig.stash[TARGET_KIND]
    opt = pytestconfig.getoption
    if kind == "live":
        yield Target.live(opt("--kubeconfig"), opt("--context"), bool(opt("--allow-mutation")),
                          router_ssh=_live_router(profile, opt("--router-key"), opt("--router-known-hosts")),
                          talosconfig=opt("--talosconfig"), talos_context=opt("--talos-context"),
                          ca_bundle=opt("--ca-bundle"))
        return
    if kind == "repo":
        yield Target(TargetKind.REPO, repo=opt("--repo"))
        return
    lab_dir = opt("--lab-dir")
    if lab_dir is not None:
        yield from _in_lab(Target.from_lab_dir(lab_dir))
        return
    twin = ("--repo", str(Path(opt("--repo")).resolve())) if kind == TargetKind.TWIN else ()
    with tempfile.TemporaryDirectory(prefix="home-ops-lab-") as tmp:
        lab_dir = Path(tmp)
        lab_command("up", lab_dir, profile.source, *twin)
        try:
            yield from _in_lab(Target.from_lab_dir(lab_dir).with_fresh_lab())
        finally:
            lab_command("down", lab_dir, profile.source)


def _live_router(profile: Profile, key: Path | None, known_hosts: Path | None) -> SshEndpoint:
    router = profile.bgp.router
    if key is None and os.environ.get(router.ssh.key_env):
        key = Path(os.environ[router.ssh.key_env])
    host = router.addresses.get(Family.IPV4) or router.addresses.require(Family.IPV6, "router address")
    return SshEndpoint(str(host), router.ssh.port, router.ssh.user, key, known_hosts)


def _in_lab(target: Target) -> Iterator[Target]:
    """Probe from the lab's client namespace: no packet of the run can leave the lab."""
    if target.client_netns is None:
        yield target
        return
    with inside(target.client_netns):
        yield target
