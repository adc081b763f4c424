"""Root conftest: load the harness's pytest wiring and every step module."""

pytest_plugins = [
    "harness.pytest_plugin",
    "steps.fixtures",
    "steps.lb_pools",
]
