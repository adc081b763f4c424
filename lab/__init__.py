"""The embedded lab: local stand-ins that speak the real protocols.

    $ python -m lab up --dir /tmp/lab      # start every stand-in, print endpoints
    $ python -m lab down --dir /tmp/lab    # stop what that run started

The lab only *serves* endpoints (Kubernetes API, router over SSH, DNS, HTTP, Talos API).
Nothing in ``harness/`` imports it; the harness reads the endpoints the lab publishes.
"""
