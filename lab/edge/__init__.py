"""The lab's ingress edge: DNS (knot + external-dns), ingress-nginx, a CA, Authentik and its outpost.

    edge = EdgeLab(kube.store, net, EdgeSpec.from_profile(profile, net.spec), lab_dir / "edge")
    edge.start(); ...; edge.stop()

See ``lab.edge.edge`` for the controller and the fault hooks (``FAULTS``).
"""

from lab.edge.authentik import Credentials
from lab.edge.edge import FAULTS, EdgeLab, EdgeSyncTimeout
from lab.edge.spec import EdgeSpec

__all__ = ["FAULTS", "Credentials", "EdgeLab", "EdgeSpec", "EdgeSyncTimeout"]
