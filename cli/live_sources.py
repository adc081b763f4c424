"""The live column of ``python -m harness drift``: the cluster (``--kubeconfig``) or a running lab, read
through the same adapters as a run (the lab from its client network namespace).

    facts = live_source(args, profile, stack, os.environ)     # SourceFacts("live", ...)
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping
from contextlib import ExitStack, closing
from pathlib import Path

from cli.preflight import live_target
from harness.core.errors import ConfigError, HarnessError
from harness.model.facts import SourceFacts
from harness.model.profile import Profile
from harness.model.targets import Target
from harness.probes.kube import KubeApi
from harness.probes.netns import inside
from harness.probes.ssh import SshRunner
from harness.probes.talos import TalosClient
from harness.sources.live import live_facts

RUNNING_CONFIG = "vtysh -c " + shlex.quote("show running-config")


def live_source(args: argparse.Namespace, profile: Profile, stack: ExitStack, env: Mapping[str, str]) -> SourceFacts:
    if args.kubeconfig is not None:
        target = live_target(profile, kubeconfig=args.kubeconfig, context=args.context,
                             talosconfig=args.talosconfig, talos_context=args.talos_context,
                             router_key=args.router_key, router_known_hosts=args.router_known_hosts,
                             ca_bundle=None, env=env)
    else:
        lab_dir: Path = args.lab_dir
        if not (lab_dir / "lab.json").is_file():
            raise ConfigError(f"no running lab in {lab_dir} (python -m harness lab up), and no --kubeconfig; "
                              "or compare the repo only with --no-live")
        target = Target.from_lab_dir(lab_dir)
        if target.client_netns:      # the lab's endpoints exist only inside its network, from its client side
            stack.enter_context(inside(target.client_netns))
    assert target.kubeconfig is not None, "live and lab targets always name a kubeconfig"
    api = stack.enter_context(closing(KubeApi.from_kubeconfig(target.kubeconfig, target.context,
                                                              profile.timeouts.request)))
    config, where, router_unread = _router_config(target, profile)
    talos, talos_unread = None, "no --talosconfig given: the disks are not read"
    if target.talosconfig is not None:
        try:
            talos = TalosClient.from_talosconfig(target.talosconfig, target.talos_context,
                                                 timeout=profile.timeouts.request)
        except HarnessError as exc:
            talos_unread = f"the Talos API cannot be used: {exc}"
        else:
            stack.callback(talos.close)
    return live_facts(profile, api, router_config=config, router_where=where, router_unread=router_unread,
                      talos=talos, talos_unread=talos_unread)


def _router_config(target: Target, profile: Profile) -> tuple[str | None, str, str]:
    ssh = target.router_ssh
    where = f"{profile.bgp.router.name} ({ssh.host})" if ssh else profile.bgp.router.name
    if ssh is None or ssh.key_path is None:
        return None, where, (f"no SSH key for the router (--router-key, or ${profile.bgp.router.ssh.key_env}): "
                             "its running configuration is not read")
    try:
        with SshRunner(host=ssh.host, port=ssh.port, user=ssh.user, key_path=ssh.key_path,
                       known_hosts=ssh.known_hosts, timeout=profile.timeouts.request) as runner:
            return runner.run(RUNNING_CONFIG), where, ""
    except HarnessError as exc:
        return None, where, f"the router's running configuration cannot be read: {exc}"

