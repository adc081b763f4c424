"""The profile loader: the real profile parses; every malformed one names file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.errors import ProfileError
from harness.model.profile import load_profile

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "fixtures" / "profiles" / "home-ops.yaml"


def test_home_ops_profile_encodes_the_architecture() -> None:
    profile = load_profile(PROFILE)
    assert profile.node_names == ("mini01", "mini02", "mini03")
    assert str(profile.pool("bgp-ingress").blocks[0]) == "172.29.52.200-172.29.52.220"
    assert profile.bgp.cluster_asn == 64512 and profile.bgp.router.asn == 64513
    assert str(profile.ingress.addresses.get("ipv4")) == "172.29.52.200"
    assert profile.pool("bgp-default-ipv6").families == ("ipv6",)
    assert profile.kube_proxy_replaced


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = PROFILE.read_text()
    assert old in text, old
    path = tmp_path / "profile.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


@pytest.mark.parametrize(("old", "new", "field", "words"), [
    ("start: 172.29.52.200,", "start: 172.29.52.300,", "lb_pools[1].blocks[0].start", "not an IP address"),
    ("cluster_asn: 64512", "cluster_asn: many", "bgp.cluster_asn", "expected an integer"),
    ("\n  pool: bgp-ingress", "\n  pool: bgp-nope", "ingress.pool", "no LB pool named 'bgp-nope'"),
    ("    - longhorn.k8s.home.geoffdavis.com", "    - longhorn.example.org", "identity.hosts[0]",
     "not under the protected domain"),
    ("kube_proxy: replaced-by-cilium", "kube_proxy: maybe", "cluster.kube_proxy", "expected one of"),
    ("  name: home-ops\n", "  name: home-ops\n  colour: blue\n", "cluster", "unknown field(s) colour"),
    ("{ipv4: 172.29.51.11,", "{ipv4: 'fd47::11',", "cluster.nodes[0].addresses.ipv4", "not an ipv4 value"),
    ("filesystem: xfs", "filesystem: zfs", "disks.user_volume.filesystem", "expected one of"),
    ("  - name: bgp-reserved", "  - name: bgp-default", "lb_pools", "duplicate pool name(s): bgp-default"),
    ("timeouts: {apply: 30,", "timeouts: {apply: -1,", "timeouts.apply", "positive number"),
])
def test_malformed_profile_names_file_line_and_field(tmp_path: Path, old: str, new: str, field: str,
                                                     words: str) -> None:
    path = _broken(tmp_path, old, new)
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    message = str(info.value)
    assert message.startswith(f"{path}:"), message
    assert f": {field}: " in message and words in message, message
    line = int(message.split(":")[1])
    assert 1 <= line <= len(path.read_text().splitlines())


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("cluster:\n  name: [unclosed\n")
    with pytest.raises(ProfileError, match=r"bad.yaml:\d+: <root>: malformed YAML"):
        load_profile(path)


def test_missing_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "absent.yaml")


def test_missing_required_section(tmp_path: Path) -> None:
    path = _broken(tmp_path, "disks:\n", "disk:\n")
    with pytest.raises(ProfileError, match="unknown field"):
        load_profile(path)


def test_the_profile_says_what_in_itself_deserves_a_look() -> None:
    """The architecture's IPv6 pod network has host bits set and, read as Kubernetes and Cilium read it,
    is the management /64 itself: said with every run, never an error (the values are the owner's)."""
    notes = load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml").notes
    assert any("networks.pods.ipv6 fd47:25e1:2f96:51:2000::/64 has host bits set: it means fd47:25e1:2f96:51::/64"
               in n for n in notes), notes
    assert any("overlaps networks.load_balancer.ipv6 fd47:25e1:2f96:51:100::/120" in n for n in notes), notes
    assert not any("ipv4" in n for n in notes), notes
