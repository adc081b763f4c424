"""Label selectors and address blocks, as the API server and Cilium evaluate them."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from harness.core.netaddr import AddressBlock
from harness.core.selectors import labels_selecting, matches, normalise


@pytest.mark.parametrize(("selector", "labels", "expected"), [
    ({}, {"a": "1"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "1", "b": "2"}, True),
    ({"matchLabels": {"a": "1"}}, {"a": "2"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": ["1", "2"]}]}, {"a": "2"}, True),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn", "values": ["1"]}]}, {}, True),
    ({"matchExpressions": [{"key": "a", "operator": "Exists"}]}, {"b": "1"}, False),
    ({"matchExpressions": [{"key": "a", "operator": "DoesNotExist"}]}, {"b": "1"}, True),
])
def test_selector_matching(selector: dict, labels: dict, expected: bool) -> None:
    assert matches(selector, labels) is expected


def test_labels_selecting_satisfies_the_selector() -> None:
    sel = {"matchExpressions": [{"key": "io.cilium/lb-ipam-pool", "operator": "In", "values": ["x", "y"]}]}
    assert labels_selecting(sel) == {"io.cilium/lb-ipam-pool": "x"}
    with pytest.raises(ValueError):
        labels_selecting({"matchExpressions": [{"key": "k", "operator": "NotIn", "values": ["a"]},
                                               {"key": "k", "operator": "Exists"}],
                          "matchLabels": {"k": "a"}})


def test_normalise_ignores_order() -> None:
    a = {"matchExpressions": [{"key": "k", "operator": "In", "values": ["b", "a"]}]}
    b = {"matchExpressions": [{"key": "k", "operator": "In", "values": ["a", "b"]}], "matchLabels": {}}
    assert normalise(a) == normalise(b)


def test_blocks_ranges_and_cidrs() -> None:
    rng = AddressBlock.from_cilium({"start": "172.29.52.200", "stop": "172.29.52.220"})
    assert rng.size == 21 and rng.contains(ip_address("172.29.52.210"))
    assert not rng.contains(ip_address("172.29.52.221"))
    v6 = AddressBlock.from_cilium({"cidr": "fd47:25e1:2f96:51:100::/120"})
    assert v6.family == "ipv6" and v6.size == 256 and not v6.overlaps(rng)
    assert rng.overlaps(AddressBlock.parse_cidr("172.29.52.192/28"))
    assert rng.to_cilium() == {"start": "172.29.52.200", "stop": "172.29.52.220"}
    with pytest.raises(ValueError):
        AddressBlock.parse_range("172.29.52.9", "172.29.52.1")
