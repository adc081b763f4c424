"""The command line (``python -m harness ...``): the composition root above steps, provisioning and the
harness library (bootstrap, sweep, lab, preflight, report, history, drift)."""
