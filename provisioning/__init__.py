"""The small bootstrap module: creates what scenarios need on a cluster, and always removes it.

    with RunContext.new(api, timeouts) as run:                  # teardown on exit, even on Ctrl-C
        ns = run.scratch_namespace()
        svc = run.lb_service(ns, "probe", labels={...}, families=("ipv4",))
"""
