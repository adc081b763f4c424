"""Cilium releases: which ``cilium.io`` versions a release serves for the kinds the harness uses, and
what its BGP control plane ignores.

    >>> v = CiliumVersion.parse("1.17.6")
    >>> [s.name for s in served(v, "CiliumBGPClusterConfig")]
    ['v2alpha1']
    >>> peering_policy_ignored(v) is None          # from 1.19 on: the reason a CiliumBGPPeeringPolicy does nothing
    True
    >>> str(version_of_image("quay.io/cilium/cilium:v1.19.1@sha256:abc"))
    '1.19.1'

On a cluster, harness.probes.cilium_agent.running_version(api) reads the agent's release.

The table covers Cilium 1.15 to 1.19; a release outside it is an error, never a guess. It records
upstream's CRD definitions (cilium/cilium ``pkg/k8s/apis/cilium.io/client/crds/``) and upgrade notes,
each row cited in ``lab/seed/SOURCE.md``:

* CiliumLoadBalancerIPPool: v2alpha1 only up to 1.17; v2 (storage) beside v2alpha1 from 1.18; v2alpha1
  deprecated from 1.19.
* CiliumBGPPeeringPolicy (BGP control plane v1): v2alpha1, deprecated in 1.18, removed in 1.19 (the CRD
  and its control plane: a policy left on an upgraded cluster is ignored).
* CiliumBGPClusterConfig, -PeerConfig, -Advertisement, -NodeConfig, -NodeConfigOverride (BGP control
  plane v2): absent in 1.15; v2alpha1 in 1.16 and 1.17; v2 (storage) with v2alpha1 deprecated from 1.18.

The running release is read the way ``cilium version`` (cilium-cli) reads it: the image tag of the
agent, here the ``cilium`` DaemonSet in kube-system (its pods, label ``k8s-app=cilium``, as a fallback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.core.errors import UnknownCiliumVersion

GROUP = "cilium.io"
FIRST_MINOR, LAST_MINOR = 15, 19        # the releases (1.x) this table knows
POOL = "CiliumLoadBalancerIPPool"
PEERING_POLICY = "CiliumBGPPeeringPolicy"
BGP_V2_KINDS = ("CiliumBGPClusterConfig", "CiliumBGPPeerConfig", "CiliumBGPAdvertisement",
                "CiliumBGPNodeConfig", "CiliumBGPNodeConfigOverride")
V1_REMOVED_MINOR = 19                   # 1.19 removed CiliumBGPPeeringPolicy and BGPv1
AGENT_NAMESPACE, AGENT_DAEMONSET, AGENT_LABEL = "kube-system", "cilium", "k8s-app=cilium"

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+|x|X|\*))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


@dataclass(frozen=True)
class CiliumVersion:
    major: int
    minor: int
    patch: int | None = None            # None: any patch of the minor ("1.19.x")
    pre: str = ""                       # "rc.1" of 1.18.0-rc.1

    @classmethod
    def parse(cls, text: str) -> CiliumVersion:
        """``1.17.6``, ``v1.17.6``, ``1.19.x``, ``1.18.0-rc.1``; anything else raises UnknownCiliumVersion."""
        found = _VERSION.match(str(text).strip())
        if not found:
            raise UnknownCiliumVersion(f"{text!r} is not a Cilium release (expected X.Y.Z, e.g. 1.17.6)")
        major, minor, patch, pre = found.groups()
        return cls(int(major), int(minor), int(patch) if patch and patch.isdigit() else None, pre or "")

    @classmethod
    def release(cls, text: str) -> CiliumVersion:
        """An exact release ``X.Y.Z`` inside the table (what a profile states)."""
        version = cls.parse(text)
        if version.patch is None or version.pre or not re.fullmatch(r"\d+\.\d+\.\d+", str(text).strip()):
            raise UnknownCiliumVersion(f"{text!r} is not an exact Cilium release (expected X.Y.Z, e.g. 1.17.6)")
        version.check_known()
        return version

    def check_known(self) -> None:
        if (self.major, self.minor) < (1, FIRST_MINOR) or (self.major, self.minor) > (1, LAST_MINOR):
            raise UnknownCiliumVersion(
                f"Cilium {self} is outside the releases this harness knows (1.{FIRST_MINOR} to 1.{LAST_MINOR}); "
                f"its served API versions and BGP semantics are not recorded (harness/model/cilium_versions.py)")

    def __str__(self) -> str:
        patch = "x" if self.patch is None else str(self.patch)
        return f"{self.major}.{self.minor}.{patch}" + (f"-{self.pre}" if self.pre else "")


@dataclass(frozen=True)
class Served:
    """One version of a kind's CRD: served, whether it is the storage version, whether deprecated."""

    name: str
    storage: bool
    deprecated: bool = False

    @property
    def api_version(self) -> str:
        return f"{GROUP}/{self.name}"


_V2A1 = Served("v2alpha1", storage=True)
_V2_AND_V2A1 = (Served("v2", storage=True), Served("v2alpha1", storage=False))
_V2_AND_OLD_V2A1 = (Served("v2", storage=True), Served("v2alpha1", storage=False, deprecated=True))
# kind -> rows (first minor, versions served from that minor on); a minor takes the last row at or below it
_TABLE: dict[str, tuple[tuple[int, tuple[Served, ...]], ...]] = {
    POOL: ((15, (_V2A1,)), (18, _V2_AND_V2A1), (19, _V2_AND_OLD_V2A1)),
    PEERING_POLICY: ((15, (_V2A1,)), (18, (Served("v2alpha1", storage=True, deprecated=True),)), (19, ())),
    **{kind: ((15, ()), (16, (_V2A1,)), (18, _V2_AND_OLD_V2A1)) for kind in BGP_V2_KINDS},
}
KINDS = tuple(_TABLE)


def served(version: CiliumVersion, kind: str) -> tuple[Served, ...]:
    """The versions of ``kind`` a cluster running ``version`` serves, storage version first; () when absent."""
    version.check_known()
    rows = _TABLE.get(kind)
    if rows is None:
        raise KeyError(f"{kind} is not in the Cilium version table (kinds: {', '.join(KINDS)})")
    found: tuple[Served, ...] = ()
    for first, versions in rows:
        if version.minor >= first:
            found = versions
    return found


def api_versions(version: CiliumVersion, kind: str) -> tuple[str, ...]:
    """``("cilium.io/v2", "cilium.io/v2alpha1")``-style names, storage version first."""
    return tuple(s.api_version for s in served(version, kind))


def peering_policy_ignored(version: CiliumVersion) -> str | None:
    """Why a CiliumBGPPeeringPolicy has no effect under ``version`` (None: BGPv1 still runs). The removal
    holds for every later release too; an older release outside the table raises UnknownCiliumVersion."""
    if (version.major, version.minor) < (1, V1_REMOVED_MINOR):
        version.check_known()
        return None
    return (f"Cilium {version} has no BGP control plane v1: 1.{V1_REMOVED_MINOR} removed CiliumBGPPeeringPolicy, "
            f"so the policy is ignored (nothing it describes is peered or announced); use CiliumBGPClusterConfig, "
            f"CiliumBGPPeerConfig and CiliumBGPAdvertisement ({GROUP}/v2)")


def bgp_v2_missing(version: CiliumVersion) -> str | None:
    """Why BGPv2 objects have no effect under ``version`` (None: the release has BGPv2, 1.16 and later)."""
    if (version.major, version.minor) >= (1, 16):
        return None
    version.check_known()
    return (f"Cilium {version} has no BGP control plane v2 (CiliumBGPClusterConfig and the other BGPv2 kinds "
            f"came with 1.16): such objects are ignored")


def version_of_image(image: str) -> CiliumVersion | None:
    """The release an image reference carries in its tag (``repo/cilium:v1.17.6@sha256:...``); None without one."""
    ref = image.split("@", 1)[0]
    _, sep, tag = ref.rpartition(":")
    if not sep or "/" in tag:
        return None
    try:
        return CiliumVersion.parse(tag)
    except UnknownCiliumVersion:
        return None
