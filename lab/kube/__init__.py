"""The lab Kubernetes API server stand-in: real HTTPS, real kubectl, in-memory objects.

srv = KubeApiServer(Path("/tmp/lab/kube"), crds=lab.seed.cilium_crds())   # or crd_files=[Path(...)]
srv.start(); print(srv.kubeconfig_path); srv.stop()
"""

from .server import KubeApiServer

__all__ = ["KubeApiServer"]
