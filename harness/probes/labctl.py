"""What the harness knows of the embedded lab, in one place: how to run it (``python -m lab``, an
external program: the harness never imports it), the CA its API server's certificate is issued by, and
how its client network namespace is named.

    lab_command("up", Path(".lab"), Path("fixtures/profiles/home-ops.yaml"))
    issued_by_a_lab(kubeconfig_doc) and not inside_a_lab_network()    # refuse: the lab is only reachable inside
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.x509.oid import NameOID

from harness.core.errors import HarnessError
from harness.core.netaddr import parse_ip

ROOT = Path(__file__).resolve().parents[2]


def lab_command(action: str, lab_dir: Path, profile_path: Path, *extra: str) -> str:
    """Run ``python -m lab ACTION`` (the lab is an external program to the harness)."""
    argv = [sys.executable, "-m", "lab", action, "--dir", str(lab_dir), "--profile", str(profile_path), *extra]
    proc = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env={**os.environ}, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1]
        raise HarnessError(f"lab {action} failed: {last}")
    return proc.stdout


LAB_CA = "lab-kubernetes-ca"


def issued_by_a_lab(doc: dict[str, Any]) -> bool:
    """True when a cluster of the kubeconfig trusts the lab's CA and is not on loopback: its address
    mirrors the owner's network and exists only inside the lab's namespaces."""
    for entry in doc.get("clusters") or []:
        cluster = (entry or {}).get("cluster") or {}
        host = urlsplit(str(cluster.get("server", ""))).hostname or ""
        ip = parse_ip(host)
        if host == "localhost" or (ip is not None and ip.is_loopback):
            continue
        data = cluster.get("certificate-authority-data")
        try:
            cert = x509.load_pem_x509_certificate(base64.b64decode(data or ""))
        except ValueError:
            continue
        if any(a.value == LAB_CA for a in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)):
            return True
    return False


def inside_a_lab_network() -> bool:
    """Whether this thread is in a lab's client namespace (/run/netns/<prefix>-client)."""
    netns = Path("/run/netns")
    mine = os.stat("/proc/thread-self/ns/net").st_ino
    return netns.is_dir() and any(p.name.endswith("-client") and p.stat().st_ino == mine for p in netns.iterdir())
