"""Root conftest: load the harness's pytest wiring and every step module."""

pytest_plugins = [
    "harness.pytest_plugin",
    "harness.reporting.plugin",
    "steps.fixtures",
    "steps.services",
    "steps.lb_pools",
    "steps.bgp",
    "steps.node_disks",
    "steps.authentik",
    "steps.dual_stack",
    "steps.cluster_config",
    "steps.platform",
    "steps.router_config",   # after steps.bgp: its step for the router's configuration takes over bgp's
]
