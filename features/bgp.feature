@bgp
Feature: BGP routes reach the UDM Pro
  Every node peers with the router in each family (cluster ASN and router ASN from the profile),
  on the sessions the profile's bgp.sessions names: the owner's IPv4 session per node carrying both
  families (IPv6 unicast activated on it), or one session per family. A family counts only when it
  is negotiated, not merely listed. The address of every advertised LoadBalancer service is accepted
  from every node as a valid path, each node its own next hop (over an IPv4 session an IPv6 path's
  next hop is the node's IPv4 address, IPv4-mapped), and withdrawn when the service goes; nothing
  outside the LB ranges is accepted, and what each node sent is read before policy, never assumed.

  @needs_router @arch-9 @arch-23 @arch-24 @arch-48 @arch-49 @arch-50
  Scenario Outline: Every node has an Established <family> session with the router
    Then every node has an Established <family> BGP session with the router

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @mutating @needs_cluster @needs_router @arch-25 @arch-49 @arch-53 @arch-62
  Scenario Outline: The <family> address of a service in pool <pool> is accepted from every node
    Given a scratch namespace for this run
    And a LoadBalancer service labelled for pool "<pool>" is created for <family>
    And the service gets an <family> address inside pool "<pool>"
    Then the router accepts the service's <family> address from every node, each node its own next hop

    Examples:
      | pool             | family |
      | bgp-default      | ipv4   |
      | bgp-ingress      | ipv4   |
      | bgp-reserved     | ipv4   |
      | bgp-default-ipv6 | ipv6   |

  @mutating @needs_cluster @needs_router @arch-25
  Scenario: A deleted service's route is withdrawn everywhere
    Given a scratch namespace for this run
    And a LoadBalancer service labelled for pool "bgp-default" is created for ipv4
    And the service gets an ipv4 address inside pool "bgp-default"
    And the router accepts the service's ipv4 address from every node, each node its own next hop
    When the service is deleted
    Then the router withdraws the service's ipv4 address from every node

  @repo @needs_router @arch-53
  Scenario Outline: Nothing outside the LB ranges is accepted from the cluster (<family>)
    Then no node advertises, and the router accepts from no node, a <family> route outside the LB ranges

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @needs_network @arch-19 @arch-60
  Scenario Outline: The ingress <family> address answers TCP along the routed path
    Then a TCP SYN to the ingress <family> address on port 443 is answered by the ingress, through the router

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @repo @needs_router @arch-23 @arch-24 @arch-25
  Scenario: The BGP configuration advertises every advertised pool and the router accepts it
    Then the cluster's BGP configuration advertises every advertised pool, and the router accepts its addresses from every node
