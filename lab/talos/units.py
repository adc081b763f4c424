"""Human-readable sizes as Talos prints them (``pretty_size``).

    pretty_size(56_623_104)   # "57 MB"
"""

from __future__ import annotations

import math


def pretty_size(size: int) -> str:
    """Size in SI units the way go-humanize ``Bytes`` (used by Talos ``SetSize``) prints it."""
    if size < 10:
        return f"{size} B"
    exponent = int(math.floor(math.log(size, 1000)))
    value = math.floor(size / 1000**exponent * 10 + 0.5) / 10
    suffix = ["B", "kB", "MB", "GB", "TB", "PB", "EB"][exponent]
    return f"{value:.0f} {suffix}" if value >= 10 else f"{value:.1f} {suffix}"
