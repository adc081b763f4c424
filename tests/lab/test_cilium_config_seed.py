"""lab/seed/cilium_config.py: the cilium-config ConfigMap follows the profile, as the chart renders it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from harness.model.profile import load_profile
from harness.rules.cluster_config import cilium_config_problems, expected_cilium_config
from lab.seed.cilium_config import cilium_config

PROFILE = load_profile(Path(__file__).resolve().parents[2] / "fixtures" / "profiles" / "home-ops.yaml")


def test_seed_renders_the_profiles_settings_as_strings() -> None:
    cm = cilium_config(PROFILE)
    assert (cm["kind"], cm["metadata"]["namespace"], cm["metadata"]["name"]) == ("ConfigMap", "kube-system",
                                                                                 "cilium-config")
    data = cm["data"]
    assert all(isinstance(v, str) for v in data.values())
    assert data["enable-bgp-control-plane"] == "true" and data["kube-proxy-replacement"] == "true"
    assert data["bpf-lb-acceleration"] == "disabled"
    assert data["enable-ipv4"] == data["enable-ipv6"] == "true"
    assert cilium_config_problems(PROFILE, cm, "lab") == []


def test_seed_follows_another_profile() -> None:
    other = replace(PROFILE, kube_proxy_replaced=False,
                    cilium=replace(PROFILE.cilium, bgp_control_plane=False, lb_acceleration="native"))
    data = cilium_config(other)["data"]
    assert {k: data[k] for k in expected_cilium_config(other)} == {
        "enable-bgp-control-plane": "false", "kube-proxy-replacement": "false", "bpf-lb-acceleration": "native"}
    assert cilium_config_problems(PROFILE, cilium_config(other), "lab") == [
        "ConfigMap kube-system/cilium-config at lab has enable-bgp-control-plane: 'false'; expected "
        "enable-bgp-control-plane: 'true' (the profile's cilium.bgp_control_plane)",
        "ConfigMap kube-system/cilium-config at lab has kube-proxy-replacement: 'false'; expected "
        "kube-proxy-replacement: 'true' (the profile's cluster.kube_proxy)",
        "ConfigMap kube-system/cilium-config at lab has bpf-lb-acceleration: 'native'; expected "
        "bpf-lb-acceleration: 'disabled' (the profile's cilium.lb_acceleration: XDP acceleration)"]
    assert cilium_config_problems(PROFILE, None, "lab") == [
        "no ConfigMap kube-system/cilium-config at lab: cannot tell how Cilium's agent is configured"]
