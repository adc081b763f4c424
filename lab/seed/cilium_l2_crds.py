"""The CiliumL2AnnouncementPolicy CustomResourceDefinition, described here and built at load time.

    crd = l2_announcement_policy_crd()      # apiextensions.k8s.io/v1, cilium.io/v2alpha1 only

Kept apart from ``lab/seed/cilium_crds.py``: the versions that module registers follow the release table of
``harness/model/cilium_versions.py``, which does not list this kind. It needs no table: it has only ever
been defined as ``cilium.io/v2alpha1``, the storage version (upstream's ``crds/v2/`` holds no definition of
it, up to the newest one cited), so one definition fits every release the lab models. Cluster-scoped;
``spec`` is optional, and an unset node or service selector means all nodes or all services. Facts cited in
``lab/seed/SOURCE.md``; the building blocks are ``cilium_crds``'s.
"""

from __future__ import annotations

from harness.model.cilium_versions import Served
from lab.seed.cilium_crds import AGE, Obj, _crd, _version, array, boolean, obj, selector, string

KIND = "CiliumL2AnnouncementPolicy"


def l2_announcement_spec() -> Obj:
    return obj({
        "externalIPs": boolean(),
        "interfaces": array(string()),
        "loadBalancerIPs": boolean(),
        "nodeSelector": selector(),
        "serviceSelector": selector(),
    }, about="Which nodes answer ARP / NDP for which services' addresses, on which interfaces (regexes).")


def l2_announcement_policy_crd() -> Obj:
    """The CRD as every supported Cilium release registers it, freshly built."""
    version = _version(Served("v2alpha1", storage=True), l2_announcement_spec(), status=True, columns=[AGE],
                       spec_required=False)
    return _crd(KIND, ("l2announcement",), ("cilium",), [version])
