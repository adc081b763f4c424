"""The rule set: each requirement of the architecture, and the scenario that owns its findings."""
