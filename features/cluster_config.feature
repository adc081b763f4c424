@cluster_config
Feature: Cluster-wide settings: all-control-plane nodes, the control-plane VIP, Cilium's configuration and release, the UDM Pro's DNS
  Every node is a control-plane node that also runs workloads; the API endpoint is the control-plane
  nodes' shared address, announced on the management network by the one node holding it (L2, Talos's
  VIP); Cilium's agent runs the profiled release with the BGP control plane on, kube-proxy replaced as
  the profile says and XDP acceleration off; the UDM Pro answers for the protected hosts.

  @repo @needs_cluster @arch-1 @arch-2 @arch-35 @arch-36
  Scenario: Every node is a schedulable control-plane node
    Then every profiled node is a control-plane node that takes workloads

  @repo @needs_cluster @arch-7 @arch-9 @arch-11
  Scenario: Cilium's agent runs with the profiled settings
    Then Cilium's agent configuration has the profiled BGP control plane, kube-proxy replacement and XDP acceleration

  @repo @needs_cluster @arch-10
  Scenario: Cilium runs the profiled release
    Then the Cilium agent runs the profiled release

  @repo @needs_talos @arch-47 @arch-52
  Scenario: The control-plane address is one node's shared address on the management network
    Then the API endpoint's address is held by exactly one control-plane node, on its management link

  @needs_dns @arch-62
  Scenario Outline: The UDM Pro answers every protected host on its <family> address
    Then the router's <family> address resolves every protected host to the ingress addresses

    Examples:
      | family |
      | ipv4   |
      | ipv6   |

  @needs_cluster @arch-84 @arch-85
  Scenario: Flux has applied the GitOps repository everywhere
    Then every Flux GitRepository, Kustomization and HelmRelease is Ready, each Kustomization at its source's revision
