"""The harness library: profile, probes, checks, waiting, errors and reporting.

    profile = harness.profile.load_profile(Path("fixtures/profiles/home-ops.yaml"))
    api = harness.kube.KubeApi.from_kubeconfig(Path("~/.kube/config"), None, timeout=10)
"""
