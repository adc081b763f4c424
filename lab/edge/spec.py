"""What the lab's ingress edge serves: the zone, the DNS servers, the ingress class and addresses.

    spec = EdgeSpec.from_profile(load_profile(Path("fixtures/profiles/home-ops.yaml")), net.spec)
    spec.client_id("longhorn.k8s.home.geoffdavis.com")   # the lab's OAuth client of that host

Every value comes from the cluster profile and the lab network spec; nothing downstream
hard-codes a host, address or namespace.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from harness.model.profile import ByFamily, Profile
from lab.net.spec import NetworkSpec

FAMILIES = ("ipv4", "ipv6")


@dataclass(frozen=True)
class EdgeSpec:
    """The edge's shape; ``*_by_family`` tuples hold ``(family, address)`` pairs."""

    zone: str                                      # the protected domain, e.g. k8s.home.geoffdavis.com
    dns_servers: tuple[tuple[str, str], ...]       # the udm's addresses (profile identity.dns_servers)
    ingress_class: str                             # nginx-internal
    ingress_addresses: tuple[tuple[str, str], ...]  # profile ingress.addresses
    controller_namespace: str                      # the ingress controller's Service, whose
    controller_service: str                        # status external-dns publishes (publish-service)
    authentik_host: str
    outpost_namespace: str                         # where the authentik-proxy Service lives
    outpost_service: str = "authentik-proxy"
    outpost_port: int = 9000
    nodes: tuple[str, ...] = ("mini01", "mini02", "mini03")
    txt_owner_id: str = "lab"                      # external-dns --txt-owner-id
    lab_user: str = "akadmin"

    def __post_init__(self) -> None:
        for family, _ in (*self.dns_servers, *self.ingress_addresses):
            if family not in FAMILIES:
                raise ValueError(f"EdgeSpec: family must be one of {FAMILIES}, got {family!r}")
        if not self.authentik_host.endswith("." + self.zone):
            raise ValueError(f"EdgeSpec: authentik host {self.authentik_host!r} "
                             f"is not under the zone {self.zone!r}")

    def dns_server(self, family: str) -> str:
        return dict(self.dns_servers)[family]

    def ingress_address(self, family: str) -> str:
        return dict(self.ingress_addresses)[family]

    def in_zone(self, host: str) -> bool:
        return host == self.zone or host.endswith("." + self.zone)

    @staticmethod
    def client_id(host: str) -> str:
        """The lab's OAuth2 client id of the proxy provider serving ``host`` (stable per host)."""
        return hashlib.sha256(f"lab-proxy-provider:{host}".encode()).hexdigest()[:40]

    @classmethod
    def from_profile(cls, profile: Profile, net: NetworkSpec) -> EdgeSpec:
        ident, ing = profile.identity, profile.ingress
        return cls(
            zone=ident.protected_domain,
            dns_servers=pairs(ident.dns_servers),
            ingress_class=ing.class_name,
            ingress_addresses=pairs(ing.addresses),
            controller_namespace=ing.namespace,
            controller_service=ing.service,
            authentik_host=ident.authentik_host,
            outpost_namespace=ident.outpost_namespace,
            nodes=tuple(n.name for n in net.nodes),
        )


def pairs(by_family: ByFamily[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((family, str(value)) for family, value in by_family.values)
