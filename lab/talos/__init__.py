"""Talos API stand-in: COSI State over gRPC mTLS, answering from real per-node disk images.

    with TalosLab(Path("/tmp/lab/talos")) as lab:      # builds images, serves 127.0.0.1:<port>
        print(lab.endpoint, lab.talosconfig)

hardware.py describes nodes (and fault builders), layout.py/images.py build GPT images with
sfdisk, cryptsetup and mkfs.xfs, probe.py parses them back, facts.py/volumes.py turn findings into
Talos resources, server.py serves them.
"""

from lab.talos.hardware import FAULTS, NodeHardware, apply_faults, default_cluster
from lab.talos.server import TalosLab

__all__ = ["FAULTS", "NodeHardware", "TalosLab", "apply_faults", "default_cluster"]
