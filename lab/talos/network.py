"""A node's network addresses as Talos reports them: AddressStatus resources in the ``network`` namespace,
read from the lab node's real interfaces (``ip -j addr show`` in its namespace), not from the profile.

    for resource in address_statuses(json.loads(ip_json)): print(resource.id)   # "eth0/172.29.51.10/32"

Shape as Talos v1.10.5 writes it (siderolabs/talos ``pkg/machinery/resources/network/address_status.go``
L20-39: type ``AddressStatuses.net.talos.dev``, spec keys address, local/broadcast/anycast/multicast
(omitempty), linkIndex, linkName, family, scope, flags, priority; id ``<linkName>/<address>``,
``network.go`` L33-35; owner ``network.AddressStatusController``). Enum words as ``nethelpers`` prints
them: family ``inet4``/``inet6`` (``family.go`` L14-15), scope ``global``/``site``/``link``/``host``
(``arpalltargets_enumer.go`` L3157-3167), flags comma-joined names such as ``permanent``
(``address_flags.go`` L14-25, L62-76). Talos's VIP controller puts the shared address on the
configured link as a host prefix (``/32``), announced with gratuitous ARP.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lab.talos.facts import LabResource

ADDRESS_STATUSES = "AddressStatuses.net.talos.dev"
NETWORK_NAMESPACE = "network"
OWNERS = {ADDRESS_STATUSES: "network.AddressStatusController"}
FOREVER = 4294967295      # the kernel's "infinite" lifetime: a statically configured (permanent) address
_FAMILIES = {"inet": "inet4", "inet6": "inet6"}


def address_statuses(links: Sequence[dict[str, Any]]) -> list[LabResource]:
    """AddressStatus resources for every address of ``links`` (``ip -j addr show`` output)."""
    found = []
    for link in links:
        name, index = str(link.get("ifname", "")), int(link.get("ifindex", 0))
        for info in link.get("addr_info") or []:
            family = _FAMILIES.get(str(info.get("family")))
            if family is None or "local" not in info:
                continue
            prefix = f"{info['local']}/{info['prefixlen']}"
            spec: dict[str, Any] = {"address": prefix}
            if family == "inet4":
                spec["local"] = info["local"]
            if info.get("broadcast"):
                spec["broadcast"] = info["broadcast"]
            flags = ["permanent"] if info.get("valid_life_time") == FOREVER else []
            if info.get("tentative"):
                flags.insert(0, "tentative")
            spec.update({"linkIndex": index, "linkName": name, "family": family,
                         "scope": str(info.get("scope", "global")), "flags": ",".join(flags), "priority": 0})
            found.append(LabResource(ADDRESS_STATUSES, f"{name}/{prefix}", spec))
    return found
