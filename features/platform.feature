@platform
Feature: Platform services: Flux's dependency chain, secrets from 1Password, Longhorn, certificates, the outpost's workloads
  Flux applies the stacks in the order the architecture draws; External Secrets reads 1Password
  Connect through one valid store and keeps every ExternalSecret synced, the outpost's API token among
  them; Longhorn keeps the profiled number of replicas, on the USB SSD user volume of every node; the
  protected hosts' certificates are issued by the profiled Let's Encrypt issuer; the outpost runs as
  its own Deployment with its own Redis for sessions.

  @repo @needs_cluster @arch-78
  Scenario: Flux applies the stacks in the architecture's dependency order
    Then every Kustomization of each profiled stage is applied after every Kustomization of the stage before

  @repo @needs_cluster @arch-12 @arch-67
  Scenario: Secrets come from the 1Password Connect store through External Secrets
    Then the profiled secret store is valid and every ExternalSecret, the outpost's token among them, is synced from it

  @repo @needs_cluster @arch-37
  Scenario: Longhorn keeps the profiled number of replicas
    Then Longhorn's default replica count is the profiled one

  @repo @needs_cluster @arch-22
  Scenario: Longhorn stores its data on the user volume of every node
    Then every node's Longhorn disk is the user volume, schedulable, and no other disk takes replicas

  @repo @needs_cluster @arch-59
  Scenario: The protected hosts' certificates come from the profiled issuer
    Then every protected host has a Ready certificate issued by the profiled ClusterIssuer

  @repo @needs_cluster @arch-34 @arch-64 @arch-69 @arch-72
  Scenario: The outpost runs as its own deployment with its own Redis
    Then the outpost's Deployment and its Redis run in the outpost namespace, the outpost pointed at that Redis
