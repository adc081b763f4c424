@lb_pools
Feature: LoadBalancer IP pools
  Cilium's LB IPAM hands every LoadBalancer service an address from the pool whose
  service selector matches the service's labels. The pools, their blocks and selectors,
  and the ingress address are the architecture's (see the cluster profile).

  @repo @needs_cluster @arch-10 @arch-26 @arch-27 @arch-28
  Scenario: Every profiled pool exists with its blocks and service selector
    Then every LB pool in the profile exists on the cluster with the same blocks and service selector

  @repo @needs_cluster @arch-56
  Scenario: No two pools overlap
    Then no two LB pools on the cluster share an address and none reports a conflict

  @repo @needs_cluster @arch-19 @arch-60
  Scenario: The ingress controller's service holds the profile's ingress addresses
    Then the ingress controller's service holds the profile's ingress address in every family

  @mutating @needs_cluster @arch-26 @arch-43 @arch-46 @arch-54 @arch-55
  Scenario Outline: A service labelled for pool <pool> gets an <family> address inside it
    Given a scratch namespace for this run
    When a LoadBalancer service labelled for pool "<pool>" is created for <family>
    Then the service gets an <family> address inside pool "<pool>"

    Examples:
      | pool             | family |
      | bgp-default      | ipv4   |
      | bgp-ingress      | ipv4   |
      | bgp-reserved     | ipv4   |
      | bgp-default-ipv6 | ipv6   |

  @mutating @needs_cluster @arch-54
  Scenario: A service naming a pool that does not exist stays pending
    Given a scratch namespace for this run
    When a LoadBalancer service labelled for the absent pool "conformance-no-such-pool" is created for ipv4
    Then the service stays without an address, and Cilium says why
