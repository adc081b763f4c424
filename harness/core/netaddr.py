"""Address arithmetic for pools and networks, both families.

    >>> block = AddressBlock.parse_range("172.29.52.200", "172.29.52.220")
    >>> block.contains(ipaddress.ip_address("172.29.52.201")), block.size, block.family
    (True, 21, <Family.IPV4: 'ipv4'>)
    >>> block.overlaps(AddressBlock.parse_cidr("172.29.52.0/24")), str(block)
    (True, '172.29.52.200-172.29.52.220')
    >>> AddressBlock.parse_range("172.29.52.9", "172.29.52.1")
    Traceback (most recent call last):
    harness.core.errors.AddressError: stop 172.29.52.1 is before start 172.29.52.9
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from enum import StrEnum

from harness.core.errors import AddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class Family(StrEnum):
    """An IP family, spelled as the profile and the feature files spell it (``ipv4``, ``ipv6``).

    >>> Family("ipv6"), Family.IPV4 == "ipv4", family_of(ipaddress.ip_address("fd47::1"))
    (<Family.IPV6: 'ipv6'>, True, <Family.IPV6: 'ipv6'>)
    """

    IPV4 = "ipv4"
    IPV6 = "ipv6"

    @property
    def version(self) -> int:
        return 4 if self is Family.IPV4 else 6


FAMILIES = (Family.IPV4, Family.IPV6)


def family_of(value: IPAddress | IPNetwork) -> Family:
    return Family.IPV4 if value.version == 4 else Family.IPV6


def parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressBlock:
    """An inclusive address range; written as Cilium writes blocks (cidr, or start/stop)."""

    first: IPAddress
    last: IPAddress
    text: str

    @classmethod
    def parse_range(cls, start: str, stop: str) -> AddressBlock:
        first, last = ipaddress.ip_address(start), ipaddress.ip_address(stop)
        if first.version != last.version:
            raise AddressError(f"{start} and {stop} are of different families")
        if int(last) < int(first):
            raise AddressError(f"stop {stop} is before start {start}")
        return cls(first, last, f"{first}-{last}")

    @classmethod
    def parse_cidr(cls, cidr: str) -> AddressBlock:
        net = ipaddress.ip_network(cidr, strict=False)
        return cls(net.network_address, net.broadcast_address, str(cidr))

    @classmethod
    def from_cilium(cls, block: dict[str, str]) -> AddressBlock:
        """A Cilium pool block: ``{cidr: ...}`` or ``{start: ..., stop: ...}`` (stop defaults to start)."""
        if "cidr" in block:
            return cls.parse_cidr(block["cidr"])
        return cls.parse_range(block["start"], block.get("stop") or block["start"])

    def to_cilium(self) -> dict[str, str]:
        if "-" in self.text:
            return {"start": str(self.first), "stop": str(self.last)}
        return {"cidr": self.text}

    @property
    def family(self) -> Family:
        return family_of(self.first)

    @property
    def size(self) -> int:
        return int(self.last) - int(self.first) + 1

    def contains(self, ip: IPAddress) -> bool:
        return ip.version == self.first.version and int(self.first) <= int(ip) <= int(self.last)

    def overlaps(self, other: AddressBlock) -> bool:
        return (self.first.version == other.first.version
                and int(self.first) <= int(other.last) and int(other.first) <= int(self.last))

    def within(self, net: IPNetwork) -> bool:
        return self.first in net and self.last in net

    def __str__(self) -> str:
        return self.text
