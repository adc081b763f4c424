"""Cilium releases (harness/model/cilium_versions.py): parsing, the served-versions table, what BGP ignores,
the running release from an agent image, and the profile's cilium.version. Offline."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from harness.core.errors import CheckFailed, KubeApiError, ProfileError, UnknownCiliumVersion
from harness.model.cilium_versions import (
    BGP_V2_KINDS,
    KINDS,
    CiliumVersion,
    api_versions,
    bgp_v2_missing,
    peering_policy_ignored,
    served,
    version_of_image,
)
from harness.model.profile import load_profile
from harness.probes.cilium_agent import running_version
from harness.probes.kube import DAEMONSETS, PODS, Resource
from tests.reference import OWNER_HISTORY

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"
V = CiliumVersion.parse


@pytest.mark.parametrize(("text", "expected"), [
    ("1.17.6", (1, 17, 6, "")), ("v1.17.6", (1, 17, 6, "")), ("1.19.x", (1, 19, None, "")),
    ("1.19", (1, 19, None, "")), ("1.18.0-rc.1", (1, 18, 0, "rc.1")), ("v1.16.9+build.3", (1, 16, 9, "")),
])
def test_parse(text: str, expected: tuple[Any, ...]) -> None:
    v = V(text)
    assert (v.major, v.minor, v.patch, v.pre) == expected


@pytest.mark.parametrize("text", ["latest", "", ">=1.18.0 <1.20.0", "1.x", "~1.19.0", "1.19.1.2"])
def test_parse_rejects_what_names_no_release(text: str) -> None:
    with pytest.raises(UnknownCiliumVersion, match="is not a Cilium release"):
        V(text)


@pytest.mark.parametrize(("text", "words"), [
    ("1.19.x", "not an exact Cilium release"), ("v1.17.6", "not an exact Cilium release"),
    ("1.18.0-rc.1", "not an exact Cilium release"),
    ("1.14.2", "outside the releases this harness knows (1.15 to 1.19)"),
    ("1.20.0", "outside the releases this harness knows"),
])
def test_exact_release_inside_the_table(text: str, words: str) -> None:
    with pytest.raises(UnknownCiliumVersion, match=words.replace("(", r"\(").replace(")", r"\)")):
        CiliumVersion.release(text)


# The table (lab/seed/SOURCE.md cites each row): per minor, the versions each kind is served as.
# "v2*" storage, "~" deprecated.
EXPECTED = {
    "CiliumLoadBalancerIPPool": {15: "v2alpha1*", 16: "v2alpha1*", 17: "v2alpha1*", 18: "v2* v2alpha1",
                                 19: "v2* ~v2alpha1"},
    "CiliumBGPPeeringPolicy": {15: "v2alpha1*", 16: "v2alpha1*", 17: "v2alpha1*", 18: "~v2alpha1*", 19: ""},
    **{kind: {15: "", 16: "v2alpha1*", 17: "v2alpha1*", 18: "v2* ~v2alpha1", 19: "v2* ~v2alpha1"}
       for kind in BGP_V2_KINDS},
}


def _spell(kind: str, minor: int) -> str:
    return " ".join(("~" if s.deprecated else "") + s.name + ("*" if s.storage else "")
                    for s in served(CiliumVersion(1, minor, 0), kind))


@pytest.mark.parametrize("kind", KINDS)
def test_served_versions_table(kind: str) -> None:
    assert {minor: _spell(kind, minor) for minor in range(15, 20)} == EXPECTED[kind]


def test_api_versions_put_the_storage_version_first_and_unknowns_fail() -> None:
    assert api_versions(V("1.19.1"), "CiliumBGPClusterConfig") == ("cilium.io/v2", "cilium.io/v2alpha1")
    assert api_versions(V("1.17.6"), "CiliumBGPClusterConfig") == ("cilium.io/v2alpha1",)
    with pytest.raises(UnknownCiliumVersion):
        served(V("1.14.9"), "CiliumLoadBalancerIPPool")
    with pytest.raises(KeyError, match="CiliumNode is not in the Cilium version table"):
        served(V("1.17.6"), "CiliumNode")


def test_v1_policy_is_ignored_from_1_19_on() -> None:
    assert [peering_policy_ignored(V(f"1.{m}.0")) for m in (15, 16, 17, 18)] == [None] * 4
    reason = peering_policy_ignored(V("1.19.1"))
    assert reason is not None and reason.startswith("Cilium 1.19.1 has no BGP control plane v1: 1.19 removed")
    assert peering_policy_ignored(V("1.20.0")) is not None     # a removal holds for later releases
    with pytest.raises(UnknownCiliumVersion):
        peering_policy_ignored(V("1.14.0"))


def test_bgp_v2_needs_1_16() -> None:
    assert bgp_v2_missing(V("1.15.19")) is not None
    assert [bgp_v2_missing(V(f"1.{m}.0")) for m in (16, 17, 18, 19, 20)] == [None] * 5


@pytest.mark.parametrize(("image", "expected"), [
    ("quay.io/cilium/cilium:v1.17.6@sha256:" + "a" * 64, "1.17.6"),
    ("quay.io/cilium/cilium:v1.19.1", "1.19.1"),
    ("registry.local:5000/cilium/cilium:v1.18.0-rc.1", "1.18.0-rc.1"),
    ("registry.local:5000/cilium/cilium", None),
    ("quay.io/cilium/cilium@sha256:" + "b" * 64, None),
    ("quay.io/cilium/cilium:latest", None),
])
def test_version_of_image(image: str, expected: str | None) -> None:
    found = version_of_image(image)
    assert (str(found) if found else None) == expected


class FakeApi:
    """KubeApi's get/list for the agent's DaemonSet and pods."""

    url = "https://cluster.example:6443"

    def __init__(self, ds: dict[str, Any] | None = None, pods: list[dict[str, Any]] | None = None,
                 fail: bool = False) -> None:
        self.ds, self.pods, self.fail = ds, pods or [], fail
        self.calls: list[tuple[str, str | None]] = []

    def get(self, res: Resource, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        if self.fail:
            raise KubeApiError("GET daemonsets: 403 Forbidden", 403, "Forbidden")
        assert (res, name, namespace) == (DAEMONSETS, "cilium", "kube-system")
        return self.ds

    def list(self, res: Resource, namespace: str | None = None, *, label_selector: str | None = None) -> list[Any]:
        assert (res, namespace, label_selector) == (PODS, "kube-system", "k8s-app=cilium")
        return self.pods


def _spec(*images: tuple[str, str]) -> dict[str, Any]:
    return {"containers": [{"name": n, "image": i} for n, i in images]}


def test_running_version_prefers_the_agent_container_of_the_daemonset() -> None:
    ds = {"spec": {"template": {"spec": _spec(("sidecar", "busybox:1.36"),
                                              ("cilium-agent", "quay.io/cilium/cilium:v1.17.6"))}}}
    version, where = running_version(FakeApi(ds))  # type: ignore[arg-type]
    assert (str(version), where) == ("1.17.6", "DaemonSet kube-system/cilium image quay.io/cilium/cilium:v1.17.6")


def test_running_version_falls_back_to_the_agent_pods() -> None:
    pod = {"metadata": {"name": "cilium-x7k2p"}, "spec": _spec(("cilium-agent", "quay.io/cilium/cilium:v1.19.1"))}
    version, where = running_version(FakeApi(None, [pod]))  # type: ignore[arg-type]
    assert (str(version), where) == ("1.19.1", "Pod kube-system/cilium-x7k2p image quay.io/cilium/cilium:v1.19.1")


@pytest.mark.parametrize(("api", "words"), [
    (FakeApi(None, []), "no DaemonSet kube-system/cilium and no pod with k8s-app=cilium in kube-system"),
    (FakeApi({"spec": {"template": {"spec": _spec(("cilium-agent", "quay.io/cilium/cilium@sha256:00"))}}}),
     "DaemonSet kube-system/cilium image 'quay.io/cilium/cilium@sha256:00'"),
    (FakeApi(fail=True), "cannot read Cilium's agent at https://cluster.example:6443: GET daemonsets: 403"),
])
def test_running_version_never_guesses(api: FakeApi, words: str) -> None:
    with pytest.raises(CheckFailed) as info:
        running_version(api)  # type: ignore[arg-type]
    assert words in str(info.value)


# -- the owner's recorded discovery (kubectl's cache of their real API server, running Cilium 1.17) ---

def _discovery(tmp_path: Path) -> dict[str, set[str]]:
    bundle = OWNER_HISTORY.require()
    clone = tmp_path / "history"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(bundle), str(clone)], check=True, timeout=120)
    base = ".kube/cache/discovery/172.29.51.10_6443/cilium.io"
    listed = subprocess.run(["git", "-C", str(clone), "ls-tree", "-r", "--name-only", "HEAD", base],
                            capture_output=True, text=True, check=True).stdout.split()
    found: dict[str, set[str]] = {}
    for path in listed:
        doc = json.loads(subprocess.run(["git", "-C", str(clone), "show", f"HEAD:{path}"], capture_output=True,
                                        text=True, check=True).stdout)
        version = doc["groupVersion"].split("/")[1]
        for resource in doc["resources"]:
            if "/" not in resource["name"]:
                found.setdefault(resource["kind"], set()).add(version)
    return found


def test_the_1_17_row_matches_the_owners_recorded_discovery(tmp_path: Path) -> None:
    """The owner's Taskfile installs Cilium 1.17.6; their API server's discovery served every kind of the
    table exactly as the 1.17 row says (the BGP kinds and pools as v2alpha1 only)."""
    recorded = _discovery(tmp_path)
    assert {kind: recorded.get(kind, set()) for kind in KINDS} == \
        {kind: {s.name for s in served(V("1.17.6"), kind)} for kind in KINDS}


# -- the profile's cilium.version ----------------------------------------------------------------

def test_profile_states_the_architectures_release() -> None:
    assert str(load_profile(PROFILE).cilium.version) == "1.17.6"


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = PROFILE.read_text()
    assert text.count(old) == 1, old
    path = tmp_path / "profile.yaml"
    path.write_text(text.replace(old, new))
    return path


@pytest.mark.parametrize(("new", "words"), [
    ('  version: 1.17\n', 'cilium.version: expected a release written as a string, e.g. "1.17.6", got 1.17'),
    ('  version: "latest"\n', "cilium.version: 'latest' is not a Cilium release"),
    ('  version: "1.19.x"\n', "cilium.version: '1.19.x' is not an exact Cilium release"),
    ('  version: "1.13.4"\n', "cilium.version: Cilium 1.13.4 is outside the releases this harness knows"),
    ('  version: "1.17.6"\n  flavour: oss\n', "cilium: unknown field"),
])
def test_bad_cilium_version_names_file_line_and_field(tmp_path: Path, new: str, words: str) -> None:
    path = _variant(tmp_path, '  version: "1.17.6"\n', new)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    if "unknown field" in words:
        assert message.startswith(f"{path}:") and words in message, message
        return
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("  version:"))
    assert message == f"{path}:{line}: {words}" or message.startswith(f"{path}:{line}: {words}"), message


def test_missing_cilium_section_is_an_error(tmp_path: Path) -> None:
    text = PROFILE.read_text()
    start = text.index("cilium:\n")
    end = text.index("timeouts:", start)
    path = tmp_path / "profile.yaml"
    path.write_text(text[:start] + text[end:])
    with pytest.raises(ProfileError, match="cilium"):
        load_profile(path)
