@bgp
Feature: BGP routes reach the UDM Pro
  Every node peers with the router in each family (cluster ASN and router ASN from the profile).
  The address of every advertised LoadBalancer service is accepted from every node, each node
  its own next hop, and withdrawn when the service goes; nothing outside the LB ranges is accepted.

  @needs_router
  Scenario Outline: Every node has an Established <family> session with the router
    Then every node has an Established <family> BGP session with the router

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @mutating @needs_cluster @needs_router
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

  @mutating @needs_cluster @needs_router
  Scenario: A deleted service's route is withdrawn everywhere
    Given a scratch namespace for this run
    And a LoadBalancer service labelled for pool "bgp-default" is created for ipv4
    And the service gets an ipv4 address inside pool "bgp-default"
    And the router accepts the service's ipv4 address from every node, each node its own next hop
    When the service is deleted
    Then the router withdraws the service's ipv4 address from every node

  @needs_router
  Scenario Outline: Nothing outside the LB ranges is accepted from the cluster (<family>)
    Then no node advertises, and the router accepts from no node, a <family> route outside the LB ranges

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @needs_network
  Scenario Outline: The ingress <family> address answers TCP along the routed path
    Then a TCP SYN to the ingress <family> address on port 443 is answered by the ingress, through the router

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @repo_only
  Scenario: The BGP configuration advertises every advertised pool and the router accepts it
    Then the cluster's BGP configuration advertises every advertised pool, and the router accepts its addresses from every node
