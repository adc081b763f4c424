"""Kubernetes API adapter: the only module that imports the ``kubernetes`` client.

    api = KubeApi.from_kubeconfig(Path("~/.kube/config"), context=None, timeout=10)
    services = api.list(SERVICES, label_selector="app=x")      # plain dicts; typed in harness.model.objects

Requests are raw JSON through the official client's transport (auth, TLS, proxies as kubectl
would), so responses are not deserialised into slow generated models. Every call has a timeout;
transport failures become KubeApiError naming the API URL, never the credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import urllib3
import yaml

from harness.core.errors import ConfigError, KubeApiError
from harness.probes.labctl import LAB_CA, inside_a_lab_network, issued_by_a_lab

if TYPE_CHECKING:
    from kubernetes import client

Obj = dict[str, Any]


@dataclass(frozen=True)
class Resource:
    """A served resource: where it lives and what it is called."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace)}"
        base += f"/{self.plural}"
        return base + (f"/{quote(name)}" if name else "")


NAMESPACES = Resource("", "v1", "namespaces", "Namespace", False)
NODES = Resource("", "v1", "nodes", "Node", False)
SERVICES = Resource("", "v1", "services", "Service", True)
PODS = Resource("", "v1", "pods", "Pod", True)
DAEMONSETS = Resource("apps", "v1", "daemonsets", "DaemonSet", True)
DEPLOYMENTS = Resource("apps", "v1", "deployments", "Deployment", True)
STATEFULSETS = Resource("apps", "v1", "statefulsets", "StatefulSet", True)
INGRESSES = Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True)
LEASES = Resource("coordination.k8s.io", "v1", "leases", "Lease", True)
CRDS = Resource("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", False)


class KubeApi:
    """Raw JSON access to one API server with one identity."""

    def __init__(self, api_client: client.ApiClient, timeout: float) -> None:
        self._client = api_client
        self._timeout = timeout
        self.url = str(api_client.configuration.host)
        self._discovered: dict[tuple[str, str], Resource] = {}

    @classmethod
    def from_kubeconfig(cls, path: Path, context: str | None, timeout: float) -> KubeApi:
        _check_kubeconfig(path, context)
        # imported on first use (about 0.3 s): a repo-target run or an offline test never needs it
        from kubernetes import config
        from kubernetes.config.config_exception import ConfigException
        try:
            api_client = config.new_client_from_config(  # type: ignore[no-untyped-call]
                str(path), context=context, persist_config=False)
        except (ConfigException, ValueError, TypeError, OSError) as exc:
            raise ConfigError(f"kubeconfig {path}: {_first_line(exc)}") from exc
        api_client.configuration.retries = False  # retries belong to the caller's deadline-bounded waits
        return cls(api_client, timeout)

    # -- verbs ---------------------------------------------------------------------------------
    def request(self, method: str, path: str, *, query: dict[str, str] | None = None,
                body: Any = None, content_type: str = "application/json",
                timeout: float | None = None) -> Obj:
        status, data = self._send(method, path, query, body, content_type, timeout)
        if status >= 400:
            raise _api_error(method, path, status, data)
        return json.loads(data) if data else {}

    def list(self, res: Resource, namespace: str | None = None, *, label_selector: str | None = None,
             field_selector: str | None = None) -> list[Obj]:
        query = {k: v for k, v in (("labelSelector", label_selector), ("fieldSelector", field_selector)) if v}
        body = self.request("GET", res.path(namespace), query=query)
        items: list[Obj] = body.get("items") or []
        for item in items:  # lists omit kind/apiVersion per item; put them back for callers
            item.setdefault("kind", res.kind)
            item.setdefault("apiVersion", res.api_version)
        return items

    def unserved(self, resources: Iterable[Resource]) -> tuple[str, ...]:
        """The API versions of ``resources`` this server does not serve (404 on the group version, as for
        a CRD never installed), each once, in order; any other error is raised."""
        missing: dict[str, None] = {}
        checked: set[str] = set()
        for res in resources:
            if res.api_version in checked:
                continue
            checked.add(res.api_version)
            try:
                self.request("GET", f"/apis/{res.group}/{res.version}" if res.group else f"/api/{res.version}")
            except KubeApiError as exc:
                if exc.status != 404:
                    raise
                missing[res.api_version] = None
        return tuple(missing)

    def get(self, res: Resource, name: str, namespace: str | None = None) -> Obj | None:
        try:
            return self.request("GET", res.path(namespace, name))
        except KubeApiError as exc:
            if exc.status == 404:
                return None
            raise

    def apply(self, res: Resource, obj: Obj, *, field_manager: str, force: bool = True,
              dry_run: bool = False) -> Obj:
        """Server-side apply (create if absent, else merge the fields this manager owns)."""
        meta = obj["metadata"]
        query = {"fieldManager": field_manager, "force": "true" if force else "false"}
        if dry_run:
            query["dryRun"] = "All"
        return self.request("PATCH", res.path(meta.get("namespace"), meta["name"]), query=query,
                            body=obj, content_type="application/apply-patch+yaml")

    def create(self, res: Resource, obj: Obj) -> Obj:
        return self.request("POST", res.path(obj["metadata"].get("namespace")), body=obj)

    def delete(self, res: Resource, name: str, namespace: str | None = None) -> bool:
        """Delete (foreground propagation); False when it was already gone."""
        try:
            self.request("DELETE", res.path(namespace, name),
                         body={"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": "Foreground"})
        except KubeApiError as exc:
            if exc.status == 404:
                return False
            raise
        return True

    def server_version(self) -> Obj:
        return self.request("GET", "/version")

    def resource_for(self, group: str, kind: str) -> Resource:
        """Discover the preferred served version of a kind (two requests per group, then cached)."""
        key = (group, kind)
        if key not in self._discovered:
            doc = self.request("GET", f"/apis/{group}")
            versions = [doc.get("preferredVersion", {}).get("version")] + [
                v["version"] for v in doc.get("versions", [])]
            for version in [v for v in versions if v]:
                listing = self.request("GET", f"/apis/{group}/{version}")
                for r in listing.get("resources", []):
                    if r.get("kind") == kind and "/" not in r["name"]:
                        self._discovered[key] = Resource(group, version, r["name"], kind, r["namespaced"])
                        break
                if key in self._discovered:
                    break
            else:
                raise KubeApiError(f"{kind}.{group} is not served by {self.url}", 404, "NotFound")
        return self._discovered[key]

    def api_version_of(self, group: str, kind: str) -> str:
        """``group/version`` to write ``kind`` as: the preferred served version, from discovery."""
        return self.resource_for(group, kind).api_version

    def served_versions(self, group: str, kind: str) -> tuple[str, ...]:
        """Every version of ``group`` serving ``kind``, the group's preferred version first, the rest in
        the server's order; () when none does (or the group is absent). Not cached: discovery now."""
        try:
            doc = self.request("GET", f"/apis/{group}")
        except KubeApiError as exc:
            if exc.status == 404:
                return ()
            raise
        preferred = doc.get("preferredVersion", {}).get("version")
        versions = [v for v in [preferred] + [v.get("version") for v in doc.get("versions", [])] if v]
        found = []
        for version in dict.fromkeys(versions):
            listing = self.request("GET", f"/apis/{group}/{version}")
            if any(r.get("kind") == kind and "/" not in r.get("name", "") for r in listing.get("resources", [])):
                found.append(version)
        return tuple(found)

    def close(self) -> None:
        self._client.close()  # type: ignore[no-untyped-call]

    # -- transport -----------------------------------------------------------------------------
    def _send(self, method: str, path: str, query: dict[str, str] | None, body: Any,
              content_type: str, timeout: float | None) -> tuple[int, bytes]:
        headers = {"Accept": "application/json", "Content-Type": content_type}
        method_, url, headers, _, _ = self._client.param_serialize(
            method, path, query_params=list((query or {}).items()), header_params=headers,
            auth_settings=["BearerToken"])
        payload = None if body is None else json.dumps(body)
        budget = timeout if timeout is not None else self._timeout
        try:
            resp = self._client.rest_client.pool_manager.request(
                method_, url, body=payload, headers=headers, preload_content=True,
                timeout=urllib3.Timeout(connect=min(budget, 5.0), read=budget))
        except urllib3.exceptions.HTTPError as exc:
            raise KubeApiError(f"{method} {path}: cannot reach the API at {self.url}: "
                               f"{_unreachable(exc)}") from exc
        return int(resp.status), bytes(resp.data or b"")


def _lines(resp: Any) -> Iterator[bytes]:
    buffer = b""
    for chunk in resp.stream(4096):
        buffer += chunk
        while b"\n" in buffer:
            line, buffer = buffer.split(b"\n", 1)
            yield line
    if buffer:
        yield buffer


def _api_error(method: str, path: str, status: int, data: bytes) -> KubeApiError:
    try:
        body = json.loads(data)
        message, reason = body.get("message", ""), body.get("reason")
    except ValueError:
        message, reason = data[:200].decode("utf-8", "replace"), None
    return KubeApiError(f"{method} {path}: {status} {reason or ''}: {message}".replace("  ", " "),
                        status, reason)


def _check_kubeconfig(path: Path, context: str | None) -> None:
    """Fail early, in one line, on a kubeconfig the client would choke on obscurely."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"kubeconfig {path}: cannot read: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"kubeconfig {path}{where}: malformed YAML") from exc
    if not isinstance(doc, dict) or not doc.get("contexts"):
        raise ConfigError(f"kubeconfig {path}: no contexts defined")
    names = [c.get("name") for c in doc["contexts"] if isinstance(c, dict)]
    wanted = context or doc.get("current-context")
    if not wanted:
        raise ConfigError(f"kubeconfig {path}: no current-context and no --context given")
    if wanted not in names:
        raise ConfigError(f"kubeconfig {path}: context {wanted!r} not found; it has: {', '.join(map(str, names))}")
    if issued_by_a_lab(doc) and not inside_a_lab_network():
        raise ConfigError(f"kubeconfig {path} belongs to an embedded lab ({LAB_CA}): use --lab-dir so the "
                          f"probes run inside the lab's network namespace, never from the host's")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _unreachable(exc: urllib3.exceptions.HTTPError) -> str:
    """The root cause ("[Errno 111] Connection refused"), without urllib3's pool and retry wrapping."""
    reason = getattr(exc, "reason", None) or exc   # MaxRetryError carries the underlying error
    if isinstance(reason, urllib3.exceptions.NewConnectionError):
        return _first_line(reason).rsplit(": ", 1)[-1]
    return _first_line(reason)
