"""The lab's BGP control plane hook: desired routes per node pushed into per-node speakers.

    ctl = BgpController(store, {"mini01": speaker1, "mini02": speaker2})
    ctl.last_desired.problems          # what Cilium would log / report in conditions

Any change to Services, Nodes, CiliumNodes, EndpointSlices or BGP objects recomputes
:func:`lab.cilium.bgp.advertisements` and diffs each node's speaker: withdraw what is no
longer wanted, announce what is missing. Next hops are the speaker's business.

Local endpoints default to what ``discovery.k8s.io/v1`` EndpointSlices in the store say
(ready, not terminating, by ``nodeName``); a Service without slices counts as having
endpoints on every node. Pass ``local_endpoints`` to decide it yourself.

``version`` (a CiliumVersion) makes the agent that release: it reads each BGP kind under the
versions that release serves, ignores CiliumBGPPeeringPolicy from 1.19 (BGPv1 removed) and the
BGPv2 kinds before 1.16, and says so in ``last_desired.problems``. Without it every kind is read
under every version any release serves, with 1.16-1.18 semantics (v1 and v2 both honoured).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from harness.model.cilium_versions import PEERING_POLICY, CiliumVersion, api_versions
from lab.cilium._watch import Controller, list_versions
from lab.cilium.bgp import Desired, advertisements
from lab.store_api import Store

EndpointMap = Mapping[tuple[str, str], Iterable[str]]
WATCHED_KINDS = frozenset(
    {
        "Service",
        "Node",
        "CiliumNode",
        "EndpointSlice",
        "CiliumBGPPeeringPolicy",
        "CiliumBGPClusterConfig",
        "CiliumBGPPeerConfig",
        "CiliumBGPAdvertisement",
    }
)
V2 = ("cilium.io/v2", "cilium.io/v2alpha1")      # every version some release serves (no version given)
V1 = ("cilium.io/v2alpha1",)


class Speaker(Protocol):
    def announce(self, prefix: str, family: str) -> None: ...
    def withdraw(self, prefix: str, family: str) -> None: ...
    def announced(self) -> set[tuple[str, str]]: ...


class BgpController(Controller):
    WATCHED_KINDS = WATCHED_KINDS

    def __init__(
        self,
        store: Store,
        speakers: Mapping[str, Speaker],
        *,
        local_endpoints: Callable[[], EndpointMap] | None = None,
        version: CiliumVersion | None = None,
        background: bool = False,
    ) -> None:
        self._store = store
        self._version = version
        self._speakers = dict(speakers)
        self._endpoints = local_endpoints or self._endpoints_from_slices
        self.last_desired: Desired | None = None
        # one worker per speaker: a pass talks to every node's speaker, and they are independent
        self._pool = ThreadPoolExecutor(max_workers=max(1, len(self._speakers)), thread_name_prefix="bgp-speaker")
        self._start(store, background=background)

    def _reconcile_once(self) -> None:
        desired = advertisements(
            self._nodes(),
            self._store.list("v1", "Service"),
            self._objects(PEERING_POLICY),
            self._objects("CiliumBGPClusterConfig"),
            self._objects("CiliumBGPPeerConfig"),
            self._objects("CiliumBGPAdvertisement"),
            local_endpoints=self._endpoints(),
            version=self._version,
        )
        self.last_desired = desired
        pending = []
        for name, speaker in sorted(self._speakers.items()):
            node = desired.nodes.get(name)
            pending.append(self._pool.submit(_apply, speaker, node.routes() if node else frozenset()))
        for done in pending:
            done.result()   # every speaker is brought up to date; the first failure is the pass's

    def close(self) -> None:
        super().close()
        self._pool.shutdown(wait=True)

    def _objects(self, kind: str) -> list[dict[str, Any]]:
        """Objects of a BGP kind under the versions the release serves (a CRD left behind by an
        upgrade still holds objects; which of them the agent acts on is ``advertisements``' call)."""
        if self._version is None:
            return list_versions(self._store, V1 if kind == PEERING_POLICY else V2, kind)
        versions = api_versions(self._version, kind) or (V1 if kind == PEERING_POLICY else V2)
        return list_versions(self._store, versions, kind)

    def _nodes(self) -> list[dict[str, Any]]:
        """Nodes, with pod CIDRs taken from the same-named CiliumNode when it has them."""
        cilium = {str(n["metadata"]["name"]): n for n in list_versions(self._store, ("cilium.io/v2",), "CiliumNode")}
        nodes = []
        for node in self._store.list("v1", "Node"):
            ipam = ((cilium.get(str(node["metadata"]["name"])) or {}).get("spec") or {}).get("ipam")
            if ipam and ipam.get("podCIDRs"):
                node = {**node, "spec": {**(node.get("spec") or {}), "ipam": ipam}}
            nodes.append(node)
        return nodes

    def _endpoints_from_slices(self) -> EndpointMap:
        result: dict[tuple[str, str], set[str]] = {}
        for eps in list_versions(self._store, ("discovery.k8s.io/v1",), "EndpointSlice"):
            meta = eps.get("metadata") or {}
            service = (meta.get("labels") or {}).get("kubernetes.io/service-name")
            if not service:
                continue
            nodes = result.setdefault((str(meta.get("namespace", "default")), str(service)), set())
            nodes.update(str(ep["nodeName"]) for ep in eps.get("endpoints") or [] if _serving(ep))
        return result


def _serving(endpoint: Mapping[str, Any]) -> bool:
    """Ready (nil means ready), not terminating, and placed on a node."""
    cond = endpoint.get("conditions") or {}
    return bool(endpoint.get("nodeName")) and cond.get("ready") is not False and not cond.get("terminating")


def _apply(speaker: Speaker, wanted: frozenset[tuple[str, str]]) -> None:
    current = speaker.announced()
    for prefix, family in sorted(current - wanted):
        speaker.withdraw(prefix, family)
    for prefix, family in sorted(wanted - current):
        speaker.announce(prefix, family)
