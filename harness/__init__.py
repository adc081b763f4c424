"""The harness library, in layers (import-linter keeps them, see pyproject.toml):

    core      errors, addresses, selectors, YAML with lines, redaction, waits, the evidence log
    model     the profile (required state), Kubernetes objects, the Cilium release table, the target
    repo      a GitOps checkout as typed evidence          probes   the live adapters, one per protocol
    rules     requirements, the repo rules and the live checks, the repo judge and its history
    reporting the run report, the drift table, trends      pytest_plugin   the pytest wiring

    profile = harness.model.profile.load_profile(Path("fixtures/profiles/home-ops.yaml"))
    api = harness.probes.kube.KubeApi.from_kubeconfig(Path("~/.kube/config"), None, timeout=10)
"""
