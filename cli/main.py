"""Command line of the harness (operations around a run; the checks themselves run under pytest).

    python -m harness bootstrap [--phase NAME | --from NAME] [--dry-run] [--kubeconfig K] [--context C]
    python -m harness sweep [--run-id ID] [--dry-run]          # remove leftovers of killed runs
    python -m harness lab up|down|status [--dir DIR] [--from-repo PATH]   # the lab; --from-repo: a repo's twin
    python -m harness report --history DIR [--last N] [--html OUT]   # trends (text, HTML); exit 1 on regressions
    python -m harness preflight --kubeconfig K --talosconfig T --router-key KEY ... | --lab-dir DIR
                                                               # one line per endpoint/credential; exit 1 on FAIL
    python -m harness history --repo PATH [--since REF] [--json]   # the repo gate per commit: introduced, fixed
    python -m harness drift [--repo PATH] [--kubeconfig K ... | --lab-dir DIR | --no-live] [--markdown OUT]
                            [--json OUT]   # field | profile | repo (file) | live (object) | verdict; exit 1 on drift

Bad input gives one line on stderr and exit code 2; nothing is changed.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import ExitStack
from pathlib import Path

from harness.core.errors import ConfigError, HarnessError
from harness.model.profile import Profile, load_profile
from harness.model.targets import Target
from harness.probes.kube import KubeApi
from harness.probes.labctl import lab_command
from harness.probes.netns import inside
from harness.pytest_plugin import DEFAULT_PROFILE

DEFAULT_LAB_DIR = Path(".lab")
_STACK = ExitStack()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness", description=__doc__.splitlines()[0])
    parser.add_argument("--profile", type=Path, default=DEFAULT_PROFILE)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("bootstrap", "sweep"):
        cmd = sub.add_parser(name)
        cmd.add_argument("--kubeconfig", type=Path, help="live cluster (default: the lab in --lab-dir)")
        cmd.add_argument("--context")
        cmd.add_argument("--lab-dir", type=Path, default=DEFAULT_LAB_DIR)
        cmd.add_argument("--dry-run", action="store_true", help="print what would be done, change nothing")
    boot = sub.choices["bootstrap"]
    phase = boot.add_mutually_exclusive_group()
    phase.add_argument("--phase", help="run only this phase")
    phase.add_argument("--from", dest="start", help="resume from this phase")
    sub.choices["sweep"].add_argument("--run-id", help="only this run's leftovers")
    report = sub.add_parser("report", help="summarise the last runs kept in a history folder")
    report.add_argument("--history", type=Path, required=True, help="folder with one report folder per run")
    report.add_argument("--last", type=int, default=14, help="how many runs to read (default 14)")
    report.add_argument("--html", type=Path, help="also write the trend view (a strip per scenario, durations) here")
    pre = sub.add_parser("preflight", help="check every endpoint and credential a live run needs, one line each")
    pre.add_argument("--target", choices=("lab", "live"), help="as for pytest (default: live with --kubeconfig)")
    pre.add_argument("--kubeconfig", type=Path, help="live cluster (default: the lab in --lab-dir)")
    pre.add_argument("--context")
    pre.add_argument("--talosconfig", type=Path)
    pre.add_argument("--talos-context")
    pre.add_argument("--router-key", type=Path, help="default: the file named by the profile's key_env")
    pre.add_argument("--router-known-hosts", type=Path, help="default: the system's known_hosts")
    pre.add_argument("--ca-bundle", type=Path, help="CA of the ingress certificates (default: the system CAs)")
    pre.add_argument("--authentik-credentials", type=Path, help='JSON {"username": ..., "password": ...}')
    pre.add_argument("--lab-dir", type=Path, default=DEFAULT_LAB_DIR,
                     help="check this running lab (from its client network namespace) when no --kubeconfig")
    hist = sub.add_parser("history", help="judge every commit of a GitOps repo that changes what the gate reads; "
                                          "print the findings each introduced and fixed")
    hist.add_argument("--repo", type=Path, required=True, help="the GitOps repo (a git work tree) or a git bundle")
    hist.add_argument("--since", help="start after this ref (default: the first commit)")
    hist.add_argument("--until", default="HEAD", help="end at this ref (default: HEAD)")
    hist.add_argument("--cluster-dir", help="the cluster directory, when the repo does not tell")
    hist.add_argument("--json", action="store_true", help="JSON (one object per commit) instead of markdown")
    drift = sub.add_parser("drift", help="one table of the profile, a GitOps repo and the live cluster, field by "
                                         "field; exit 1 when a source differs from the profile")
    drift.add_argument("--repo", type=Path, help="the GitOps checkout to compare (default: none)")
    drift.add_argument("--cluster-dir", help="the repo's cluster directory, when the repo does not tell")
    drift.add_argument("--no-live", action="store_true", help="compare the profile and the repo only")
    drift.add_argument("--kubeconfig", type=Path, help="live cluster (default: the lab in --lab-dir)")
    drift.add_argument("--context")
    drift.add_argument("--talosconfig", type=Path, help="read the disks through the Talos API")
    drift.add_argument("--talos-context")
    drift.add_argument("--router-key", type=Path, help="read the router's running config over SSH "
                                                       "(default: the file named by the profile's key_env)")
    drift.add_argument("--router-known-hosts", type=Path)
    drift.add_argument("--lab-dir", type=Path, default=DEFAULT_LAB_DIR,
                       help="compare this running lab (from its client network namespace) when no --kubeconfig")
    drift.add_argument("--markdown", type=Path, help="also write the table here")
    drift.add_argument("--json", type=Path, help="also write the table as JSON here")
    lab = sub.add_parser("lab")
    lab.add_argument("action", choices=("up", "down", "status"))
    lab.add_argument("--dir", type=Path, default=DEFAULT_LAB_DIR)
    lab.add_argument("--no-bootstrap", action="store_true", help="leave the lab empty like a fresh cluster")
    lab.add_argument("--from-repo", type=Path, help="up: the twin of this GitOps checkout (its router file, "
                                                    "Cilium release and settings, objects in Flux's order)")
    return parser


def _api(args: argparse.Namespace, profile: Profile) -> KubeApi:
    target = (Target.live(args.kubeconfig, args.context, allow_mutation=True) if args.kubeconfig
              else Target.from_lab_dir(args.lab_dir))
    assert target.kubeconfig is not None, "live and lab targets always name a kubeconfig"
    if target.client_netns:  # the lab's API is reached through the lab network, from its client side
        _STACK.enter_context(inside(target.client_netns))
    return KubeApi.from_kubeconfig(target.kubeconfig, target.context, profile.timeouts.request)


def run(args: argparse.Namespace) -> int:
    profile = load_profile(args.profile)
    if args.command == "lab":
        twin = args.from_repo
        if twin is not None and (args.action != "up" or not twin.is_dir()):
            raise ConfigError(f"--from-repo {twin}: " + ("no such directory" if args.action == "up"
                                                          else "only with `lab up`"))
        extra = ("--repo", str(twin.resolve())) if twin is not None else ()
        print(lab_command(args.action, args.dir.resolve(), profile.source.resolve(), *extra).strip())
        if args.action == "up" and not args.no_bootstrap:
            args.kubeconfig, args.context, args.lab_dir = None, None, args.dir
            args.phase = args.start = None
            args.dry_run = False
            code = _twin_bootstrap(args, profile, twin) if twin is not None else _bootstrap(args, profile)
            print(lab_command("settle", args.dir.resolve(), profile.source.resolve()).strip())
            return code
        return 0
    if args.command == "bootstrap":
        return _bootstrap(args, profile)
    if args.command == "preflight":
        return _preflight(args, profile)
    if args.command == "history":
        return _history(args, profile)
    if args.command == "drift":
        return _drift(args, profile)
    if args.command == "report":
        from harness.reporting.history import render, summarise
        history = summarise(args.history, args.last)
        print(render(history))
        if args.html is not None:
            from harness.reporting.history_html import write_history_html
            print(f"trend view: {write_history_html(history, args.html)}")
        return 1 if history.has_regressions else 0
    from provisioning.sweep import sweep
    api = _api(args, profile)
    removed = sweep(api, profile.timeouts, run_id=args.run_id, dry_run=args.dry_run)
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(removed)} object(s)" + "".join(f"\n  {r}" for r in removed))
    return 0


def _preflight(args: argparse.Namespace, profile: Profile) -> int:
    from cli.preflight import Inputs, failed, live_target, preflight, summary
    if args.target == "live" and args.kubeconfig is None:
        raise ConfigError("preflight --target live needs --kubeconfig PATH")
    if args.kubeconfig is not None and args.target != "lab":
        target = live_target(profile, kubeconfig=args.kubeconfig, context=args.context, talosconfig=args.talosconfig,
                             talos_context=args.talos_context, router_key=args.router_key,
                             router_known_hosts=args.router_known_hosts, ca_bundle=args.ca_bundle, env=os.environ)
    else:
        target = Target.from_lab_dir(args.lab_dir)
        if target.client_netns:  # the lab's endpoints exist only inside its network, from its client side
            _STACK.enter_context(inside(target.client_netns))
    lines = []
    for line in preflight(Inputs(profile, target, args.authentik_credentials, os.environ)):
        print(line.render(), flush=True)
        lines.append(line)
    print(summary(lines))
    return 1 if failed(lines) else 0


def _history(args: argparse.Namespace, profile: Profile) -> int:
    import json

    from harness.repo.gitrefs import Revisions
    from harness.rules.history import as_json, render_markdown, walk
    if not args.repo.exists():
        raise ConfigError(f"--repo {args.repo}: no such directory or bundle")
    with Revisions(args.repo) as revs:
        steps = walk(profile, revs, since=args.since, until=args.until, cluster_dir=args.cluster_dir)
    print(json.dumps(as_json(steps), indent=1) if args.json else render_markdown(steps), end="")
    return 0


def _drift(args: argparse.Namespace, profile: Profile) -> int:
    from cli.live_sources import live_source
    from harness.repo import RepoState
    from harness.reporting.three_way import render_markdown, three_way, write_json
    from harness.sources.repo import repo_facts
    if args.repo is None and args.no_live:
        raise ConfigError("drift needs something to compare with the profile: --repo PATH, a live cluster, or both")
    repo = None
    if args.repo is not None:
        if not args.repo.is_dir():
            raise ConfigError(f"--repo {args.repo}: no such directory")
        state = RepoState.open(args.repo, cluster=profile.cluster_name, router_config=profile.bgp.router.config_file,
                               cluster_dir=args.cluster_dir)
        repo = repo_facts(profile, state)
    live = None if args.no_live else live_source(args, profile, _STACK, os.environ)
    table = three_way(profile, repo, live)
    text = render_markdown(table)
    print(text, end="")
    if args.markdown is not None:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(text, encoding="utf-8")
    if args.json is not None:
        write_json(table, args.json)
    return 1 if table.drifted else 0


def _twin_bootstrap(args: argparse.Namespace, profile: Profile, repo_path: Path) -> int:
    from harness.repo import RepoState
    from provisioning.twin import run_twin_bootstrap
    repo = RepoState.open(repo_path, cluster=profile.cluster_name, router_config=profile.bgp.router.config_file)
    api = _api(args, profile)
    for line in run_twin_bootstrap(api, profile, repo, timeout=profile.timeouts.apply):
        print(line, flush=True)
    return 0


def _bootstrap(args: argparse.Namespace, profile: Profile) -> int:
    from provisioning.bootstrap import run_bootstrap, select_phases
    select_phases(args.phase, args.start)  # validate names before touching anything
    api = _api(args, profile)
    for line in run_bootstrap(api, profile, only=args.phase, start=args.start, dry_run=args.dry_run,
                              timeout=profile.timeouts.apply):
        print(line, flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        with _STACK:
            return run(args)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
