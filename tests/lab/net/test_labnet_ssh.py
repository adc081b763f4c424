"""SSH to the udm from the client namespace runs vtysh, as against the real UDM Pro.

    pytest tests/lab/net/test_labnet_ssh.py
"""

from __future__ import annotations

import json
import subprocess

import pytest

from lab.net import LabNetwork

pytestmark = pytest.mark.lab


def test_ssh_from_client_runs_vtysh_json(labnet: LabNetwork) -> None:
    endpoint = labnet.router_ssh
    argv = ["ip", "netns", "exec", labnet.netns_name("client"),
            *endpoint.argv("vtysh -c 'show bgp summary json'")]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, f"ssh {endpoint.user}@{endpoint.host} failed: {done.stderr}"
    summary = json.loads(done.stdout)
    assert summary["ipv4Unicast"]["as"] == labnet.spec.router.asn
    assert summary["ipv4Unicast"]["routerId"] == labnet.spec.router.router_id


def test_udm_shell_has_hostname_udm_and_its_own_etc_frr(labnet: LabNetwork) -> None:
    out = subprocess.run(labnet.udm_argv(["sh", "-c", "hostname; head -1 /etc/frr/frr.conf"]),
                         capture_output=True, text=True, check=True).stdout.split("\n")
    assert out[0] == "udm", f"hostname in udm namespace: {out[0]!r}"
    assert out[1] == "frr defaults traditional", f"/etc/frr in udm is not the lab's: {out[1]!r}"
