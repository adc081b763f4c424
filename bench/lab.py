"""Benchmark: lab start-up, and the time from creating a LoadBalancer service to its route at the udm.

    .venv/bin/python bench/lab.py                 # median of 5 route measurements per family
    .venv/bin/python bench/lab.py --samples 20

Runs as root (the lab's namespaces). Measures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness.core.wait import wait_until  # noqa: E402
from harness.model.targets import Target  # noqa: E402
from harness.probes.kube import NAMESPACES, SERVICES, KubeApi  # noqa: E402
from harness.probes.netns import inside  # noqa: E402
from harness.probes.router import RouterProbe  # noqa: E402
from harness.probes.ssh import SshRunner  # noqa: E402
from provisioning.manifests import lb_service, namespace  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _route_latency(api: KubeApi, router: RouterProbe, family: str, index: int) -> float:
    name = f"bench-{family}-{index}"
    svc = lb_service("bench", name, labels={"io.cilium/lb-ipam-pool": "bgp-default" if family == "ipv4"
                                            else "bgp-default-ipv6"}, families=(family,))
    started = time.monotonic()
    api.create(SERVICES, svc)
    address: list[str] = []

    def routed() -> str | None:
        if not address:
            got = ((api.get(SERVICES, name, "bench") or {}).get("status") or {}).get("loadBalancer", {})
            address.extend(i["ip"] for i in got.get("ingress") or [])
            return "no address yet"
        router.invalidate()
        prefix = f"{address[0]}/{32 if family == 'ipv4' else 128}"
        peers = {p.peer for p in router.paths(family) if p.prefix == prefix}
        return None if len(peers) >= 3 else f"{len(peers)} peers"

    wait_until(routed, timeout=30, what="route at udm", interval=0.01, max_interval=0.02)
    elapsed = time.monotonic() - started
    api.delete(SERVICES, name, "bench")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-lab-") as tmp:
        lab_dir = Path(tmp)
        started = time.monotonic()
        subprocess.run([PY, "-m", "lab", "up", "--dir", str(lab_dir)], cwd=ROOT, check=True, capture_output=True)
        startup = time.monotonic() - started
        try:
            subprocess.run([PY, "-m", "harness", "bootstrap", "--lab-dir", str(lab_dir)], cwd=ROOT, check=True,
                           capture_output=True)
            target = Target.from_lab_dir(lab_dir)
            assert target.kubeconfig and target.client_netns and target.router_ssh
            ssh = target.router_ssh
            with inside(target.client_netns):
                api = KubeApi.from_kubeconfig(target.kubeconfig, target.context, 10)
                api.apply(NAMESPACES, namespace("bench"),
                          field_manager="bench")
                runner = SshRunner(host=ssh.host, port=ssh.port, user=ssh.user, key_path=ssh.key_path,
                                   known_hosts=ssh.known_hosts, timeout=10)
                router = RouterProbe(runner.run, "udm", ssh.host)
                latency = {f: [_route_latency(api, router, f, i) for i in range(args.samples)]
                           for f in ("ipv4", "ipv6")}
                runner.close()
        finally:
            subprocess.run([PY, "-m", "lab", "down", "--dir", str(lab_dir)], cwd=ROOT, capture_output=True)
    print(json.dumps({"lab_startup_s": round(startup, 2),
                      **{f"route_latency_{f}_median_s": round(statistics.median(v), 3) for f, v in latency.items()},
                      **{f"route_latency_{f}_max_s": round(max(v), 3) for f, v in latency.items()}}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
