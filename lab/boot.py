"""The lab daemon's first second: the network first, the rest loaded while BGP connects.

    python -m lab serve --dir DIR --profile P     # lab/__main__.py -> boot.serve -> daemon.serve_on

FRR's bgpd opens its first connection about a second after it starts (its start timer), so the
daemon starts the router and the node speakers before it even imports its other stand-ins
(Kubernetes API, Cilium, Talos, edge: ~0.35 s of imports and ~0.4 s of start-up), which then load
in that second instead of after it.
"""

from __future__ import annotations

import hashlib
import signal
import threading
from pathlib import Path

from harness.model.profile import load_profile
from lab.compose import network_spec
from lab.net import LabNetwork


def lab_prefix(lab_dir: Path) -> str:
    """A short namespace prefix unique to this lab directory (so labs coexist, leftovers are found)."""
    return "hoc" + hashlib.sha256(str(lab_dir).encode()).hexdigest()[:5]


def serve(lab_dir: Path, profile_path: Path, repo: Path | None = None) -> int:
    """``repo``: build the twin of that GitOps checkout (lab/twin.py) instead of the profile's lab."""
    lab_dir = lab_dir.resolve()
    profile = load_profile(profile_path)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    twin = None
    if repo is not None:
        from lab.twin import RepoTwin
        twin = RepoTwin.open(profile, repo)
    net = LabNetwork(network_spec(profile, lab_prefix(lab_dir), twin.sessions if twin else None), lab_dir / "net",
                     router_config=twin.router_config if twin else None)
    try:
        net.up(wait=False)              # sessions establish while the rest loads and starts
        from lab import daemon  # deliberately late: the stand-ins' imports overlap BGP's start timer
    except BaseException:
        net.down()
        raise
    return daemon.serve_on(net, lab_dir, profile_path, profile, stop, twin)
