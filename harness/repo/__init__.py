"""The offline GitOps-repo target: a repo checkout as typed evidence, and its drift from the profile.

    repo = RepoState.open(Path("talos-gitops"), cluster="home-ops")      # ConfigError on unusable input
    print(render_drift_markdown(drift(load_profile(Path("fixtures/profiles/home-ops.yaml")), repo)))

Modules: yamlio (reading), kustomize/transform/patching (kustomize build), flux (Flux Kustomizations),
state (RepoState and its evidence), cilium/helm/talos/frr/frr_parse (typed evidence),
drift/drift_network/drift_apps (the report), variants (broken fixture repos).
"""

from harness.repo.drift import Drift, drift, render_drift_markdown
from harness.repo.frr import RouterConfig
from harness.repo.frr_parse import parse_frr
from harness.repo.state import RepoState
from harness.repo.types import Origin, RenderedObject, RepoGap, Sourced
from harness.repo.variants import Variant, load_variant, materialise, variants

__all__ = ["Drift", "Origin", "RenderedObject", "RepoGap", "RepoState", "RouterConfig", "Sourced", "Variant",
           "drift", "load_variant", "materialise", "parse_frr", "render_drift_markdown", "variants"]
