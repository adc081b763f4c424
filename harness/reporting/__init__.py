"""Evidence, diagnostics and run reports (HTML, Markdown, run.json, JUnit, cucumber JSON).

    attach("router", "BGP table at udm", probe.raw_table())        # shown under the current scenario
    with diagnostic("cluster objects", lambda: cluster_state(cluster)): yield   # collected only when it fails

The pytest side lives in :mod:`harness.reporting.plugin`; run history in :mod:`harness.reporting.history`
(its HTML trend view in :mod:`.history_html`); the routing picture in :mod:`.routing` (the router's
answers kept as evidence) and :mod:`.bgp_svg`; the drift table in :mod:`.drift`.
"""

from harness.core.evidence import Evidence, attach, diagnostic, register_diagnostic

__all__ = ["Evidence", "attach", "diagnostic", "register_diagnostic"]
