"""FRR's rules for accepting a route: prefix-list ge/le, first match, implicit denies, BGP policy defaults."""

from __future__ import annotations

import pytest

from harness.core.netaddr import AddressBlock
from harness.repo.frr_parse import parse_frr_text
from tests.edits import replace_once

BASE = """\
router bgp 64513
  neighbor cluster peer-group
  neighbor cluster remote-as 64512
  neighbor 10.0.0.11 peer-group cluster
  neighbor 10.0.0.12 remote-as 64512
  address-family ipv4 unicast
    neighbor cluster route-map IN4 in
    neighbor 10.0.0.12 route-map NOT-DEFINED in
  exit-address-family
  address-family ipv6 unicast
    neighbor cluster activate
    neighbor cluster route-map IN6 in
  exit-address-family
route-map IN4 deny 5
  match ip address prefix-list BLOCKED
route-map IN4 permit 10
  match ip address prefix-list LB
route-map IN6 permit 10
  match ipv6 address prefix-list LB6
ip prefix-list BLOCKED seq 5 permit 172.29.52.128/25 ge 30
ip prefix-list LB seq 10 permit 172.29.52.0/24 le 32
ip prefix-list LB seq 20 permit 10.1.0.0/16
ip prefix-list LB seq 30 permit 10.2.0.0/16 ge 24 le 28
ipv6 prefix-list LB6 permit fd00:52::/64 le 128
"""


@pytest.mark.parametrize(("prefix", "accepted"), [
    ("172.29.52.10/32", True),          # inside /24, le 32
    ("172.29.52.0/24", True),           # the prefix itself: len 24 <= 24 <= 32
    ("172.29.52.200/32", False),        # deny 5 matches first: BLOCKED ge 30
    ("172.29.52.128/29", True),         # BLOCKED needs length >= 30: falls to permit 10
    ("172.29.53.1/32", False),          # no entry matches: implicit deny
    ("10.1.0.0/16", True),              # no ge/le: exact length only
    ("10.1.1.0/24", False),
    ("10.2.3.0/24", True), ("10.2.3.16/28", True), ("10.2.3.1/32", False), ("10.2.0.0/16", False),
])
def test_prefix_list_and_route_map_rules(prefix: str, accepted: bool) -> None:
    router = parse_frr_text(BASE, "udm.conf")
    assert router.accepts_from("10.0.0.11", prefix) is accepted, router.explain("10.0.0.11", prefix)


def test_peer_group_inheritance_and_ipv6_activation() -> None:
    router = parse_frr_text(BASE, "udm.conf")
    assert router.remote_as("10.0.0.11") == 64512
    assert router.accepts_from("10.0.0.11", "fd00:52::1/128")
    assert router.explain("10.0.0.12", "fd00:52::1/128") == (False, "ipv6 unicast is not activated for 10.0.0.12")
    assert router.explain("10.0.0.99", "172.29.52.1/32")[0] is False


def test_undefined_inbound_route_map_denies_everything() -> None:
    router = parse_frr_text(BASE, "udm.conf")
    accepted, why = router.explain("10.0.0.12", "172.29.52.10/32")
    assert not accepted and "NOT-DEFINED is not defined" in why


def test_ebgp_without_inbound_policy_accepts_nothing_unless_disabled() -> None:
    conf = "router bgp 64513\n neighbor 10.0.0.11 remote-as 64512\n"
    assert not parse_frr_text(conf, "x").accepts_from("10.0.0.11", "172.29.52.1/32")
    relaxed = parse_frr_text(conf + " no bgp ebgp-requires-policy\n", "x")
    assert relaxed.accepts_from("10.0.0.11", "172.29.52.1/32")


def test_ipv6_prefix_under_ip_prefix_list_is_the_ipv6_command_to_frr() -> None:
    """"ip" abbreviates "ipv6" in FRR's CLI: the line is the IPv6 command, and FRR keeps it as one
    (the real bgpd does, tests/lab/test_twin.py)."""
    conf = replace_once(BASE, "ipv6 prefix-list LB6 permit", "ip prefix-list LB6 permit")
    router = parse_frr_text(conf, "udm.conf")
    assert router.accepts_from("10.0.0.11", "fd00:52::1/128")
    assert router.rejected_lines == () and not router.misfiled
    assert ("ipv6", "LB6") in router.prefix_lists


def test_ipv4_prefix_under_ipv6_prefix_list_is_rejected_and_reported() -> None:
    conf = replace_once(BASE, "ip prefix-list LB seq 10 permit", "ipv6 prefix-list LB seq 10 permit")
    router = parse_frr_text(conf, "udm.conf")
    assert router.rejected_lines == ("udm.conf:21: `ipv6 prefix-list` takes an ipv6 prefix; FRR rejects "
                                     "172.29.52.0/24 (use `ip prefix-list`)",)
    assert not router.accepts_from("10.0.0.11", "172.29.52.10/32")


def test_accepted_range_problems_name_the_first_refused_host() -> None:
    router = parse_frr_text(BASE, "udm.conf")
    inside = AddressBlock.parse_range("172.29.52.10", "172.29.52.20")
    assert router.accepted_range_problems([inside], ["10.0.0.11"]) == []
    problems = router.accepted_range_problems([AddressBlock.parse_range("172.29.52.120", "172.29.52.130")],
                                              neighbors=["10.0.0.11"])
    assert problems == ["udm.conf: 172.29.52.120-172.29.52.130 from 10.0.0.11: 172.29.52.128/32 refused: "
                        "route-map IN4 deny 5"]


def test_entry_with_an_unmodelled_match_clause_is_skipped_and_named() -> None:
    conf = replace_once(BASE, "route-map IN4 permit 10\n", "route-map IN4 permit 10\n  match community HOME\n")
    accepted, why = parse_frr_text(conf, "udm.conf").explain("10.0.0.11", "172.29.52.10/32")
    assert not accepted and "entries not evaluated: 10 (match community HOME)" in why
