"""`python -m harness drift`: profile | repo | live on the lab. The conforming fixture repo and the lab
agree everywhere; a broken fixture repo fails its row naming the file, a fault in the lab names the
live object, and both together say which side moved."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from harness.repo import materialise, variants
from harness.repo.variants import CONFORMING
from tests.faults.labrun import ROOT, FaultLab

pytestmark = pytest.mark.lab


def drift(lab: FaultLab, tmp: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out = tmp / "drift.json"
    proc = subprocess.run([sys.executable, "-m", "harness", "drift", "--lab-dir", str(lab.lab_dir), "--json",
                           str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
    table = json.loads(out.read_text()) if out.exists() else {}
    return proc.returncode, table, proc.stdout + proc.stderr


def row(table: dict[str, Any], field: str) -> dict[str, Any]:
    return next(r for r in table["rows"] if r["field"] == field)


@contextmanager
def pool_blocks(lab: FaultLab, name: str, blocks: list[dict[str, str]]) -> Iterator[None]:
    res = lab.api.resource_for("cilium.io", "CiliumLoadBalancerIPPool")
    before = (lab.api.get(res, name) or {})["spec"]["blocks"]
    patch = {"apiVersion": res.api_version, "kind": res.kind, "metadata": {"name": name}}
    lab.api.request("PATCH", res.path(None, name), body={"spec": {"blocks": blocks}},
                    content_type="application/merge-patch+json")
    try:
        yield
    finally:
        lab.api.request("PATCH", res.path(None, name), body={**patch, "spec": {"blocks": before}},
                        content_type="application/merge-patch+json")


def test_conforming_repo_and_lab_agree_on_every_field(lab: FaultLab, tmp_path: Path) -> None:
    code, table, output = drift(lab, tmp_path, "--repo", str(CONFORMING))
    assert code == 0, output
    assert table["rows"] and all(r["verdict"] == "agrees" for r in table["rows"]), output
    assert "No drift" in output
    pool = row(table, "lb_pools[bgp-ingress].blocks")
    assert pool["repo"]["where"].startswith("infrastructure/cilium-pools/loadbalancer-pools.yaml")
    assert pool["live"]["where"] == "CiliumLoadBalancerIPPool bgp-ingress at https://172.29.51.10:6443"
    # every source read every field it can: the router's running config over SSH, the disks over Talos
    assert row(table, "bgp.router.accepts.ipv6")["live"]["where"].endswith("running-config")
    assert row(table, "disks.encryption.STATE")["live"]["value"] == "luks2"
    assert "does not publish the service network" in row(table, "networks.services.ipv4")["live"]["unread"]


def test_a_broken_repo_names_its_file_against_the_live_object(lab: FaultLab, tmp_path: Path) -> None:
    variant = next(v for v in variants() if v.name == "pool-range-changed")
    code, table, output = drift(lab, tmp_path, "--repo", str(materialise(variant, tmp_path / "repo")))
    assert code == 1, output
    (moved,) = [r for r in table["rows"] if r["drift"]]
    assert (moved["field"], moved["verdict"]) == ("lb_pools[bgp-default].blocks", "repo differs")
    assert moved["repo"]["value"] == "172.29.52.100-172.29.52.149"
    assert "infrastructure/cilium-pools/loadbalancer-pools.yaml" in moved["repo"]["where"]
    assert moved["live"] == {"value": "172.29.52.100-172.29.52.199",
                             "where": "CiliumLoadBalancerIPPool bgp-default at https://172.29.51.10:6443",
                             "agrees": True}
    assert "| lb_pools[bgp-default].blocks |" in output and "**repo differs**" in output


def test_a_changed_cluster_names_the_live_object(lab: FaultLab, tmp_path: Path) -> None:
    with pool_blocks(lab, "bgp-reserved", [{"start": "172.29.52.221", "stop": "172.29.52.230"}]):
        code, table, output = drift(lab, tmp_path, "--repo", str(CONFORMING))
    assert code == 1, output
    (moved,) = [r for r in table["rows"] if r["drift"]]
    assert (moved["field"], moved["verdict"]) == ("lb_pools[bgp-reserved].blocks", "live differs")
    assert moved["live"]["value"] == "172.29.52.221-172.29.52.230"
    assert moved["live"]["where"] == "CiliumLoadBalancerIPPool bgp-reserved at https://172.29.51.10:6443"


def test_live_only_and_bad_input(lab: FaultLab, tmp_path: Path) -> None:
    code, table, output = drift(lab, tmp_path)
    assert code == 0 and table["repo"] is None, output
    assert row(table, "cilium.version")["repo"] == {"unread": "not compared"}
    for args, words in (((), "no running lab in"), (("--no-live",), "needs something to compare")):
        proc = subprocess.run([sys.executable, "-m", "harness", "drift", "--lab-dir", str(tmp_path / "none"), *args],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
