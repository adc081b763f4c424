"""Text edits for test fixtures that fail loudly when their anchor is gone.

    profile.write_text(replace_once(PROFILE.read_text(), "assert: 20,", "assert: 4,"))

``str.replace`` returns the text unchanged when ``old`` is missing, so a fixture edit can silently
stop editing anything after the file it edits changes; these helpers make that a test error.
"""

from __future__ import annotations


def replace_once(text: str, old: str, new: str) -> str:
    """``text`` with its one occurrence of ``old`` replaced; AssertionError unless there is exactly one."""
    count = text.count(old)
    assert count == 1, f"expected exactly one {old!r} to replace, found {count}"
    return text.replace(old, new)
