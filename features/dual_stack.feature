@dual_stack
Feature: Dual-stack addressing
  Nodes, pods, services and LoadBalancer addresses exist in both families, inside the networks
  the architecture states; nodes answer ICMP in both; the cluster runs without kube-proxy.

  @needs_cluster @arch-5 @arch-42
  Scenario Outline: Every node reports its profiled <family> InternalIP
    Then every node reports an <family> InternalIP equal to its profiled address, inside the management network

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @repo @needs_cluster @arch-8 @arch-40 @arch-44
  Scenario Outline: Every node has one <family> pod CIDR of its own
    Then every node has exactly one <family> pod CIDR inside the pod network, overlapping no other node's

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @repo @needs_cluster @arch-41 @arch-45
  Scenario: Every Service's ClusterIPs lie inside the profiled service networks
    Then every ClusterIP of every Service lies inside the profiled service network of its family

  @mutating @needs_cluster @arch-41 @arch-45
  Scenario: A RequireDualStack service gets a ClusterIP in each service network
    Given a scratch namespace for this run
    When a RequireDualStack ClusterIP service is created
    Then the service has a ClusterIP inside each profiled service network

  @mutating @needs_cluster @arch-43 @arch-46 @arch-55
  Scenario: A dual-stack LoadBalancer service gets an address in each family from its pools
    Given a scratch namespace for this run
    When a dual-stack LoadBalancer service labelled for pool "bgp-default" is created
    Then the service gets an address in each family from the pools selecting its labels

  @repo @needs_cluster @arch-7
  Scenario: kube-proxy runs exactly when the profile says Cilium does not replace it
    Then kube-proxy is absent from the cluster if the profile says Cilium replaces it, present otherwise

  @needs_network @arch-5
  Scenario Outline: Every node answers <family> echo requests on its address
    Then every node answers an <family> echo request on its profiled address

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @needs_dns @arch-20 @arch-61
  Scenario Outline: Every protected host has a <family> record for the ingress address
    Then every protected host resolves in <family> to the profile's ingress address

    Examples:
      | family |
      | ipv4   |
      | ipv6   |
