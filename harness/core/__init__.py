"""Foundations every other part of the harness uses: the exception tree, addresses and blocks, label
selectors, YAML with line numbers, secret redaction, deadline-bounded waits, the evidence log."""
