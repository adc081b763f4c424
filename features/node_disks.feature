@node_disks
Feature: Encrypted system partitions and SSD selection, read through the Talos API
  Talos nodes have no shell: node facts come from the Talos API, as `talosctl get` reads them.
  STATE and EPHEMERAL are encrypted (provider from the profile); Talos is installed on the internal
  disk picked by model; exactly one USB SSD per node carries the Longhorn user volume.

  @repo @needs_talos @arch-6
  Scenario Outline: <volume> is encrypted and ready on every node
    Then on every node the <volume> volume is encrypted with the profile's provider and ready

    Examples:
      | volume    |
      | STATE     |
      | EPHEMERAL |

  @repo @needs_talos @arch-3
  Scenario: Talos is installed on the disk the install selector picks
    Then on every node the disk carrying STATE has a model matching the profile's install disk selector

  @repo @needs_talos @arch-4 @arch-39
  Scenario: Exactly one non-rotational USB disk matches the user-volume selector
    Then on every node exactly one disk matches the user volume's disk model, and it is a non-rotational USB disk

  @repo @needs_talos @arch-4
  Scenario: The user volume exists on that disk with the profile's filesystem and is mounted
    Then on every node the user volume is ready on the selected disk with the profile's filesystem, and mounted
