"""The Cilium agent on a live cluster: which release it runs, read from its DaemonSet (or a pod).

    version, where = running_version(api)     # (CiliumVersion 1.17.6, "DaemonSet kube-system/cilium image ...")
"""

from __future__ import annotations

from harness.core.errors import CheckFailed, KubeApiError
from harness.model.cilium_versions import AGENT_DAEMONSET, AGENT_LABEL, AGENT_NAMESPACE, CiliumVersion, version_of_image
from harness.probes.kube import DAEMONSETS, PODS, KubeApi


def running_version(api: KubeApi) -> tuple[CiliumVersion, str]:
    """The agent's release on a cluster and where it was read; CheckFailed when no object shows it."""
    seen: list[str] = []
    try:
        ds = api.get(DAEMONSETS, AGENT_DAEMONSET, AGENT_NAMESPACE)
        pods = [] if ds is not None else api.list(PODS, AGENT_NAMESPACE, label_selector=AGENT_LABEL)
    except KubeApiError as exc:
        raise CheckFailed(f"cannot read Cilium's agent at {api.url}: {exc}") from exc
    sources = ([(f"DaemonSet {AGENT_NAMESPACE}/{AGENT_DAEMONSET}",
                 ((ds.get("spec") or {}).get("template") or {}).get("spec") or {})] if ds is not None else [])
    sources += [(f"Pod {AGENT_NAMESPACE}/{p['metadata']['name']}", p.get("spec") or {}) for p in pods[:1]]
    for where, spec in sources:
        containers = sorted(spec.get("containers") or [], key=lambda c: c.get("name") != "cilium-agent")
        for container in containers:
            image = str(container.get("image", ""))
            version = version_of_image(image)
            if version is not None:
                return version, f"{where} image {image}"
            seen.append(f"{where} image {image!r}")
    detail = "; ".join(seen) or (f"no DaemonSet {AGENT_NAMESPACE}/{AGENT_DAEMONSET} and no pod with "
                                 f"{AGENT_LABEL} in {AGENT_NAMESPACE}")
    raise CheckFailed(f"cannot tell which Cilium release runs at {api.url}: {detail}")
