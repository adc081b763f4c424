"""The lab daemon: one process holding every stand-in until SIGTERM.

    python -m lab serve --dir DIR --profile P      # normally started by `python -m lab up`

It prints ``ready`` on stdout once every endpoint answers, after writing ``DIR/lab.json``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from harness.profile import Profile, load_profile
from lab.cilium.ipam_controller import LbIpamController
from lab.kube import KubeApiServer
from lab.seed import CRD_FILES, node_objects

MANIFEST = "lab.json"


def _start_kube(stack: ExitStack, lab_dir: Path, profile: Profile) -> KubeApiServer:
    cidrs = [str(profile.networks.services.get(f)) for f in profile.networks.services.families]
    kube = KubeApiServer(lab_dir / "kube", service_cidrs=cidrs, crd_files=CRD_FILES)
    kube.start()
    stack.callback(kube.stop)
    store: Any = kube.store
    for node, status in node_objects(profile):
        store.create(node)
        store.update_status("v1", "Node", None, node["metadata"]["name"], status)
    return kube


def _write_manifest(lab_dir: Path, manifest: dict[str, Any]) -> None:
    tmp = lab_dir / (MANIFEST + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(manifest, out, indent=2)
    tmp.replace(lab_dir / MANIFEST)


def serve(lab_dir: Path, profile_path: Path, faults: Path | None) -> int:
    lab_dir = lab_dir.resolve()
    profile = load_profile(profile_path)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    with ExitStack() as stack:
        kube = _start_kube(stack, lab_dir, profile)
        ipam = LbIpamController(kube.store)
        stack.callback(ipam.close)
        _write_manifest(lab_dir, {
            "pid": os.getpid(), "profile": str(profile_path), "kubeconfig": str(kube.kubeconfig_path),
            "context": "lab", "api_url": kube.url,
        })
        print("ready", flush=True)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        stop.wait()
        print("lab: stopping", file=sys.stderr, flush=True)
    return 0
