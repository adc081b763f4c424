"""The lab's network: namespaces for the UDM Pro, the Talos nodes and a probe client.

    net = LabNetwork(NetworkSpec.home_ops("t1"), Path("/tmp/lab/net")); net.up()
    net.speaker("mini01").announce("172.29.52.200/32", "ipv4")   # seen by FRR on the udm

FRR (zebra + bgpd) and sshd play the udm, one gobgpd per node speaks BGP for the node,
and everything lives in network namespaces named ``<prefix>-<role>``; nothing is added to
the root namespace. ``cleanup_stale(prefix)`` removes what a killed run left behind.
"""

from lab.net.gobgp import GoBgpSpeaker, Speaker
from lab.net.lab import LabNetwork
from lab.net.netns import NetnsError, cleanup_stale
from lab.net.router_view import BgpRoute, BgpSession, ReceivedRoute, RouterView
from lab.net.spec import ClientSpec, NetworkSpec, NodeSpec, RouterSpec
from lab.net.sshd import SshEndpoint
from lab.net.wait import LabNetTimeout

__all__ = [
    "BgpRoute", "BgpSession", "ClientSpec", "GoBgpSpeaker", "LabNetTimeout", "LabNetwork",
    "NetnsError", "NetworkSpec", "NodeSpec", "ReceivedRoute", "RouterSpec", "RouterView",
    "Speaker", "SshEndpoint", "cleanup_stale",
]
