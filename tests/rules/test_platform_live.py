"""The platform rules read from a cluster (harness/rules/platform.py), on objects recorded in the shapes
their controllers write (fixtures/upstream/{external-secrets,cert-manager,longhorn}/, cited in each
SOURCE.md): Ready and failing conditions, older versions, objects not reconciled yet, Longhorn 1.10's
per-engine setting values."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from harness.model.profile import Profile, load_profile
from harness.rules import platform as pf

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = ROOT / "fixtures" / "upstream"
URL = "https://172.29.51.10:6443"
HOSTS = ("longhorn", "alertmanager", "hubble", "homeassistant")


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile(ROOT / "fixtures" / "profiles" / "home-ops.yaml")


def sample(path: str) -> dict[str, Any]:
    return json.loads((UPSTREAM / path).read_text())  # type: ignore[no-any-return]


# -- External Secrets -----------------------------------------------------------------------------------

def test_valid_store_and_synced_secrets_pass(profile: Profile) -> None:
    stores = [sample("external-secrets/clustersecretstore-valid.json")]
    listed = sample("external-secrets/list-externalsecrets.json")["items"]
    assert all((i.get("status") or {}).get("conditions") for i in listed)
    assert pf.secrets_problems(profile, stores, [sample("external-secrets/externalsecret-synced.json")], URL) == []


@pytest.mark.parametrize("store, reason", [
    ("clustersecretstore-invalid.json", "InvalidProviderConfig: unable to validate store"),
    ("clustersecretstore-invalid-no-client.json", "InvalidProviderConfig: unable to create client"),
    ("clustersecretstore-invalid-after-valid.json", "InvalidProviderConfig"),
    ("clustersecretstore-invalid-v0.18.json", "ValidationFailed: unable to validate store"),
])
def test_invalid_store_names_its_reason(profile: Profile, store: str, reason: str) -> None:
    found = pf.secrets_problems(profile, [sample(f"external-secrets/{store}")],
                                [sample("external-secrets/externalsecret-synced.json")], URL)
    assert len(found) == 1
    assert found[0].startswith(f"ClusterSecretStore onepassword-connect at {URL} is not Ready (False): {reason}")


@pytest.mark.parametrize("secret, seen", [
    ("externalsecret-sync-error.json", "is not Ready (False): SecretSyncedError: could not get secret data"),
    ("externalsecret-sync-error-after-sync.json", "is not Ready (False): SecretSyncedError"),
    ("externalsecret-v1beta1-no-status.json", "has no Ready condition: its controller has not reconciled it"),
])
def test_unsynced_external_secret_is_named(profile: Profile, secret: str, seen: str) -> None:
    found = pf.secrets_problems(profile, [sample("external-secrets/clustersecretstore-valid.json")],
                                [sample(f"external-secrets/{secret}")], URL)
    assert len(found) == 1
    assert found[0].startswith(f"ExternalSecret authentik-proxy/authentik-proxy-token at {URL} {seen}")


def test_no_store_and_no_token(profile: Profile) -> None:
    assert pf.secrets_problems(profile, [], [], URL) == [
        f"ClusterSecretStore onepassword-connect at {URL}: expected it (1Password Connect); the cluster has none",
        f"ExternalSecret authentik-proxy/authentik-proxy-token at {URL}: expected the outpost's API token to come "
        "from 1Password through it; there is none"]


def test_token_from_another_store(profile: Profile) -> None:
    token = sample("external-secrets/externalsecret-synced.json")
    token["spec"]["secretStoreRef"] = {"name": "vault"}
    found = pf.secrets_problems(profile, [sample("external-secrets/clustersecretstore-valid.json")], [token], URL)
    assert found == [f"ExternalSecret authentik-proxy/authentik-proxy-token at {URL}: expected secretStoreRef "
                     "ClusterSecretStore onepassword-connect, seen SecretStore vault"]


def test_empty_list_shape_reads_as_no_secrets() -> None:
    assert sample("external-secrets/list-externalsecrets-empty.json")["items"] == []


# -- Longhorn ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("file, problems", [
    ("setting-default-replica-count.json", []),                 # 1.10: {"v1":"2","v2":"2"} in a string
    ("setting-default-replica-count-1.9.json", []),             # 1.9 and earlier: "2"
    ("setting-default-replica-count-v1beta1.json", []),
    ("setting-default-replica-count-not-applied.json", ["expected value 2; seen '{\"v1\":\"3\",\"v2\":\"3\"}'"]),
])
def test_replica_setting_versions(profile: Profile, file: str, problems: list[str]) -> None:
    found = pf.longhorn_replica_problems(profile, [sample(f"longhorn/{file}")], URL)
    assert [f.split(": ", 1)[1] for f in found] == problems
    assert all(f.startswith(f"Setting longhorn-system/default-replica-count at {URL}") for f in found)


@pytest.mark.parametrize("value, count", [(2, 2), ("2", 2), (" 3 ", 3), ('{"v1":"2","v2":"1"}', 2), ("two", None),
                                          ('{"v2":"2"}', None), ("{not json", None), (True, None), (None, None)])
def test_replica_count_shapes(value: Any, count: int | None) -> None:
    assert pf.replica_count(value) == count


def test_unreadable_setting_value_is_said_so(profile: Profile) -> None:
    setting = sample("longhorn/setting-default-replica-count.json")
    setting["value"] = "{broken"
    (found,) = pf.longhorn_replica_problems(profile, [setting], URL)
    assert "which is not a replica count this check can read" in found


def test_absent_setting(profile: Profile) -> None:
    (found,) = pf.longhorn_replica_problems(profile, [], URL)
    assert "there is no such Setting" in found


def _nodes() -> list[dict[str, Any]]:
    first = sample("longhorn/node-disks.json")
    out = []
    for name in ("mini01", "mini02", "mini03"):
        node = copy.deepcopy(first)
        node["metadata"]["name"] = name
        out.append(node)
    return out


def test_every_node_on_the_user_volume_passes(profile: Profile) -> None:
    assert pf.longhorn_disk_problems(profile, _nodes(), URL) == []


def test_node_with_only_the_default_disk(profile: Profile) -> None:
    nodes = [n for n in _nodes() if n["metadata"]["name"] != "mini03"]
    nodes.append(sample("longhorn/node-default-disk-only.json"))
    found = pf.longhorn_disk_problems(profile, nodes, URL)
    where = f"Longhorn Node longhorn-system/mini03 at {URL}"
    assert found[0].startswith(f"{where}: expected a disk at /var/mnt/longhorn-ssd (the user volume longhorn-ssd); "
                               "seen default-disk-")
    assert any(f.startswith(f"{where}: disk default-disk-") and "also takes replicas" in f for f in found)
    assert all("mini01" not in f and "mini02" not in f for f in found)


@pytest.mark.parametrize("file, words", [("node-disk-not-schedulable.json", "is not Schedulable (False: DiskPressure"),
                                         ("node-disk-not-ready.json", "is not Schedulable (False")])
def test_disk_conditions_are_read(profile: Profile, file: str, words: str) -> None:
    odd = sample(f"longhorn/{file}")
    nodes = [n for n in _nodes() if n["metadata"]["name"] != odd["metadata"]["name"]] + [odd]
    found = pf.longhorn_disk_problems(profile, nodes, URL)
    assert any(words in f and odd["metadata"]["name"] in f for f in found), found


def test_missing_longhorn_node(profile: Profile) -> None:
    found = pf.longhorn_disk_problems(profile, _nodes()[:2], URL)
    assert found == [f"Longhorn Node longhorn-system/mini03 at {URL}: expected it, with a disk at "
                     "/var/mnt/longhorn-ssd; Longhorn has no such node"]


# -- cert-manager -------------------------------------------------------------------------------------------

def _certificates() -> list[dict[str, Any]]:
    cert = sample("cert-manager/certificate-ready.json")
    cert["spec"]["dnsNames"] = [f"{h}.k8s.home.geoffdavis.com" for h in HOSTS]
    return [cert]


def test_ready_certificate_from_the_issuer_passes(profile: Profile) -> None:
    assert pf.certificate_problems(profile, _certificates(), [sample("cert-manager/clusterissuer-acme-ready.json")],
                                   URL) == []


def test_wildcard_certificate_covers_the_hosts(profile: Profile) -> None:
    certs = _certificates()
    certs[0]["spec"]["dnsNames"] = ["*.k8s.home.geoffdavis.com"]
    assert pf.certificate_problems(profile, certs, [sample("cert-manager/clusterissuer-acme-ready.json")], URL) == []
    certs[0]["spec"]["dnsNames"] = ["*.home.geoffdavis.com"]   # one label only: does not cover a.k8s.home...
    assert len(pf.certificate_problems(profile, certs, [sample("cert-manager/clusterissuer-acme-ready.json")],
                                       URL)) == len(HOSTS)


@pytest.mark.parametrize("file, words", [
    ("certificate-issuing-failed.json",
     "is not Ready (False): DoesNotExist: Issuing certificate as Secret does not exist"),
    ("certificate-no-status.json", "has no Ready condition: its controller has not reconciled it"),
])
def test_unready_certificate(profile: Profile, file: str, words: str) -> None:
    cert = sample(f"cert-manager/{file}")
    cert["spec"]["dnsNames"] = [f"{h}.k8s.home.geoffdavis.com" for h in HOSTS]
    found = pf.certificate_problems(profile, [cert], [sample("cert-manager/clusterissuer-acme-ready.json")], URL)
    assert found and all(f.startswith(f"Certificate {cert['metadata']['namespace']}/longhorn-tls at {URL} {words}")
                         for f in found)


def test_renewal_failure_of_a_valid_certificate_is_not_a_failure(profile: Profile) -> None:
    cert = sample("cert-manager/certificate-renewal-failed.json")
    cert["spec"]["dnsNames"] = [f"{h}.k8s.home.geoffdavis.com" for h in HOSTS]
    assert pf.certificate_problems(profile, [cert], [sample("cert-manager/clusterissuer-acme-ready.json")], URL) == []


@pytest.mark.parametrize("file", ["clusterissuer-not-ready.json", "clusterissuer-not-ready-acme-error.json"])
def test_issuer_not_ready(profile: Profile, file: str) -> None:
    found = pf.certificate_problems(profile, _certificates(), [sample(f"cert-manager/{file}")], URL)
    assert found == [f for f in found if f.startswith(f"ClusterIssuer letsencrypt-prod at {URL} is not Ready (False): "
                                                      "ErrRegisterACMEAccount")] and found


def test_host_without_certificate_and_other_issuer(profile: Profile) -> None:
    certs = _certificates()
    certs[0]["spec"]["dnsNames"] = ["longhorn.k8s.home.geoffdavis.com"]
    certs[0]["spec"]["issuerRef"] = {"name": "selfsigned-issuer"}       # kind defaults to Issuer
    found = pf.certificate_problems(profile, certs, [sample("cert-manager/clusterissuer-acme-ready.json")], URL)
    assert f"Certificate longhorn-system/longhorn-tls at {URL} (for longhorn.k8s.home.geoffdavis.com): expected " \
           "issuerRef ClusterIssuer letsencrypt-prod, seen Issuer selfsigned-issuer" in found
    assert f"certificate for hubble.k8s.home.geoffdavis.com at {URL}: expected a Certificate from ClusterIssuer " \
           "letsencrypt-prod naming it in dnsNames; there is none" in found


# -- the outpost's workloads ---------------------------------------------------------------------------------

def _deployment(name: str, ready: int, env: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"kind": "Deployment", "metadata": {"name": name, "namespace": "authentik-proxy"},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "c", "env": env or []}]}}},
            "status": {"replicas": 2, "readyReplicas": ready} if ready else {"replicas": 2}}


def test_outpost_and_redis_ready_and_wired(profile: Profile) -> None:
    env = [{"name": "AUTHENTIK_REDIS__HOST", "value": "authentik-proxy-redis"}]
    workloads = [_deployment("authentik-proxy", 2, env), _deployment("authentik-proxy-redis", 2)]
    services = [{"metadata": {"name": "authentik-proxy-redis", "namespace": "authentik-proxy"}}]
    assert pf.outpost_problems(profile, workloads, services, URL) == []
    workloads[1]["status"] = {"replicas": 2}      # readyReplicas omitted when 0, as the API omits it
    assert pf.outpost_problems(profile, workloads, services, URL) == [
        f"Deployment authentik-proxy/authentik-proxy-redis at {URL} has 0 of 2 replicas ready"]
