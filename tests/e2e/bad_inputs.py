"""The bad inputs of tests/e2e/test_e2e_bad_inputs.py: files written once per module, and the cases.

    files = BadFiles.write(tmp_dir, lab)            # malformed profiles, kubeconfigs, talosconfigs, waivers, ...
    for case in CASES: case.argv(lab, files)        # ["-m", "pytest", ...] run from the lab's client netns

Each case says how the error must show: ``usage`` (one line on stderr), ``collect`` (one collection
error line on stdout) or ``scenario`` (the run fails, every failing scenario's JUnit message names it).
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from tests.e2e.e2e_lab import PROFILE, E2ELab
from tests.edits import replace_once

UNUSED = "172.29.51.12"   # mini02 inside the lab network: no API server, DNS server or apid listens there


@dataclass(frozen=True)
class BadFiles:
    dir: Path

    def __getattr__(self, name: str) -> Path:
        return self.dir / name.replace("_", "-")

    @classmethod
    def write(cls, root: Path, lab: E2ELab) -> BadFiles:
        files = cls(root)
        _profiles(files)
        _waivers(files)
        _kube_and_talos(files, lab)
        _ssh(files, lab)
        _features(files)
        (root / "a-file").write_text("not a directory\n")
        return files


def _profile_variant(path: Path, change: Callable[[dict], None]) -> None:  # type: ignore[type-arg]
    doc = yaml.safe_load(PROFILE.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _profiles(f: BadFiles) -> None:
    real = PROFILE.read_text()
    f.profile_yaml.write_text(replace_once(real, "kube_proxy: replaced-by-cilium", "kube_proxy: [oops"))
    f.profile_type.write_text(replace_once(real, "kube_proxy: replaced-by-cilium", "kube_proxy: [cilium]"))
    f.profile_key.write_text(replace_once(real, "pending_hold: 1}", "pending_hold: 1, bogus: 1}"))
    f.profile_address.write_text(replace_once(real, "ipv4: 172.29.51.11,", "ipv4: 999.29.51.11,"))
    f.profile_timeout.write_text(replace_once(real, "apply: 30,", "apply: soon,"))
    _profile_variant(f.profile_port, lambda d: d["bgp"]["router"]["ssh"].update(port=2222))
    _profile_variant(f.profile_dns, lambda d: d["identity"].update(
        dns_servers={"ipv4": UNUSED, "ipv6": "fd47:25e1:2f96:51::12"}))


def _waivers(f: BadFiles) -> None:
    f.waivers_date.write_text("- scenario: x\n  reason: y\n  expires: 2026-13-01\n")
    f.waivers_field.write_text("- scenario: x\n  expires: 2026-07-01\n")
    f.waivers_key.write_text("- scenario: x\n  reason: y\n  expires: 2026-07-01\n  owner: me\n")


def _kube_and_talos(f: BadFiles, lab: E2ELab) -> None:
    f.kubeconfig_yaml.write_text("apiVersion: v1\nclusters: [\n")
    kube = yaml.safe_load(lab.kubeconfig.read_text())
    kube["clusters"][0]["cluster"]["server"] = f"https://{UNUSED}:6443"
    f.kubeconfig_unreachable.write_text(yaml.safe_dump(kube))
    kube = yaml.safe_load(lab.kubeconfig.read_text())     # the right server, a CA that did not sign it
    kube["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(lab.other_ca.read_bytes()).decode()
    f.kubeconfig_wrong_ca.write_text(yaml.safe_dump(kube))
    f.talosconfig_yaml.write_text("context: x\ncontexts: {x: [\n")
    talos = yaml.safe_load(lab.talosconfig.read_text())
    context = next(iter(talos["contexts"].values()))
    context["endpoints"] = [f"{UNUSED}:50000"]
    f.talosconfig_unreachable.write_text(yaml.safe_dump(talos))
    context["endpoints"] = [f"{lab.profile.nodes[0].addresses.get('ipv4')}:50000"]
    context["ca"] = base64.b64encode(lab.other_ca.read_bytes()).decode()
    f.talosconfig_wrong_ca.write_text(yaml.safe_dump(talos))


def _ssh(f: BadFiles, lab: E2ELab) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "not-the-router's", "-f",
                    str(f.other_key)], check=True, capture_output=True)
    kind, blob = f.dir.joinpath("other-key.pub").read_text().split()[:2]
    router = lab.profile.bgp.router.addresses.get("ipv4")
    f.known_hosts_wrong.write_text(f"{router} {kind} {blob}\n")          # a changed host key
    f.known_hosts_empty.write_text("# the router's host key was never added\n")   # an unknown one


def _features(f: BadFiles) -> None:
    f.feature_table.mkdir()
    (f.feature_table / "broken.feature").write_text(
        "Feature: broken\n  Scenario Outline: o <a>\n    Then x <a>\n\n    Examples:\n      | a | b |\n      | 1 |\n")
    f.feature_empty.mkdir()
    (f.feature_empty / "empty.feature").write_text("Feature: one\nFeature: two\n")
    f.feature_tag.mkdir()
    (f.feature_tag / "tagged.feature").write_text(
        "@no_such_tag\nFeature: tagged\n  Scenario: s\n    Then every LB pool in the profile exists on the cluster"
        " with the same blocks and service selector\n")
    f.feature_step.mkdir()
    (f.feature_step / "undefined.feature").write_text(
        "Feature: undefined\n  Scenario: s\n    Then something nobody wrote a step for\n")


Argv = Callable[[E2ELab, BadFiles], list[str]]


@dataclass(frozen=True)
class Case:
    id: str
    argv: Argv
    expected: str          # text the one line must contain ({lab}, {files} are formatted in)
    shows: str = "usage"   # usage | collect | scenario
    env: tuple[tuple[str, str], ...] = ()

    def expect(self, lab: E2ELab, files: BadFiles) -> str:
        return self.expected.format(lab=lab.lab_dir, files=files.dir, api=lab.api.url)


def on_lab(*args: str) -> Argv:
    return lambda lab, f: ["-m", "pytest", "features/lb_pools.feature", "--lab-dir", str(lab.lab_dir),
                           *(a.format(files=f.dir) for a in args)]


def live(feature: str, *args: str, **paths: str) -> Argv:
    """A ``--target live`` run at the lab, with some of its options replaced (``kubeconfig="kubeconfig-yaml"``)."""
    def argv(lab: E2ELab, f: BadFiles) -> list[str]:
        options = dict(zip(lab.live_args()[::2], lab.live_args()[1::2], strict=True))
        options.update({f"--{k.replace('_', '-')}": str(f.dir / v) for k, v in paths.items()})
        return ["-m", "pytest", f"features/{feature}", *(x for kv in options.items() for x in kv),
                *(a.format(files=f.dir) for a in args)]
    return argv


def feature_copy(folder: str) -> Argv:
    """A feature file under tmp, run with the project's conftest and configuration."""
    return lambda lab, f: ["-m", "pytest", "-p", "conftest", "-c", "pyproject.toml", "--rootdir", ".",
                           str(f.dir / folder), "--lab-dir", str(lab.lab_dir)]


def command(module: str, *args: str) -> Argv:
    return lambda lab, f: ["-m", module, *(a.format(lab=lab.lab_dir, files=f.dir) for a in args)]

