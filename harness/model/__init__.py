"""The typed model: the profile (required state), Kubernetes objects as the checks read them, the Cilium
release table, the target a run reads, and the facts both sources (repo and live) give about a cluster."""
