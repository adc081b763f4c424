"""The GitOps-repo source: a repo checkout as typed evidence (what the gate and the drift table read).

    repo = RepoState.open(Path("talos-gitops"), cluster="home-ops")      # ConfigError on unusable input
    repo.lb_pools()[0].origin        # Origin("infrastructure/cilium-pools/loadbalancer-pools.yaml", "infra...")

Modules: yamlio (reading), kustomize/transform/patching (kustomize build), flux (Flux Kustomizations),
state (RepoState and its evidence), cilium/helm/talos/frr/frr_parse (typed evidence), gitrefs
(commits), variants (broken fixture repos). What the repo breaks is judged in harness.rules.
"""

from harness.repo.frr import RouterConfig
from harness.repo.frr_parse import parse_frr
from harness.repo.state import RepoState
from harness.repo.types import Origin, RenderedObject, RepoGap, Sourced
from harness.repo.variants import Variant, load_variant, materialise, variants

__all__ = ["Origin", "RenderedObject", "RepoGap", "RepoState", "RouterConfig", "Sourced", "Variant",
           "load_variant", "materialise", "parse_frr", "variants"]
