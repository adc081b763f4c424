"""Cilium stand-ins for the lab: LB IPAM and BGP advertisement semantics over a Store.

    LbIpamController(store)                        # Services get status.loadBalancer.ingress
    BgpController(store, {"mini01": speaker})      # speakers announce what Cilium would

The pure functions behind them are :func:`lab.cilium.ipam.reconcile` and
:func:`lab.cilium.bgp.advertisements`; both take plain API dicts.
"""

from lab.cilium.bgp import Desired, NodeDesired, Peer, advertisements
from lab.cilium.bgp_controller import BgpController, Speaker
from lab.cilium.ipam import IpamConfig, IpamResult, ServiceOutcome, reconcile
from lab.cilium.ipam_controller import LbIpamController

__all__ = [
    "BgpController",
    "Desired",
    "IpamConfig",
    "IpamResult",
    "LbIpamController",
    "NodeDesired",
    "Peer",
    "ServiceOutcome",
    "Speaker",
    "advertisements",
    "reconcile",
]
