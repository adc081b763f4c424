"""The CustomResourceDefinitions of the cluster's platform components, described here and built at load time:
Flux, External Secrets, cert-manager, Longhorn, and Cilium's L2 announcement policy.

    KubeApiServer(state_dir, crds=[*cilium_crds(release), *platform_crds()])   # apiextensions.k8s.io/v1
    crds_for("Kustomization", "HelmRelease")                                   # just those kinds

Like ``lab/seed/cilium_crds.py`` (whose building blocks this reuses), the lab's API server enforces what a
real one would from these schemas: types, formats, enums, patterns, lengths, required fields, defaults
and pruning; CEL rules are carried, not evaluated. The facts -- group, versions and their served /
storage / deprecated flags, names, scope, printer columns, fields with their types, enums, defaults and
required lists -- follow each project's own definitions at the release cited in ``lab/seed/SOURCE.md``;
the descriptions and the way they are written are ours.

Every field upstream defines in each kind's ``spec`` and ``status`` is here (none is pruned for having been
left out), typed down to its leaves except for a few objects kept whole, neither checked nor pruned: a
secret store's providers other than 1Password, an issuer's ACME solvers' http01/dns01, Vault and Venafi.

Each kind is served as the newest release of its project serves it, one release per project (no table of
releases as for Cilium): source-controller v1.9.1, kustomize-controller v1.9.4 and helm-controller v1.6.3
(GitRepository v1, Kustomization v1, HelmRelease v2), External Secrets v2.9.0 (v1; v1beta1 listed,
deprecated and not served, as the chart installs it by default), cert-manager v1.21.1 (v1), Longhorn
v1.12.1 (v1beta2 only: v1beta1 stopped being served in 1.9 and is gone since 1.10), Cilium
(CiliumL2AnnouncementPolicy v2alpha1 only). The owner's older releases served the same kinds under
the same versions, Flux's also under its beta versions (``lab/seed/SOURCE.md``).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lab.seed.cilium_crds import (
    AGE,
    DNS_LABEL,
    Obj,
    array,
    boolean,
    conditions,
    integer,
    obj,
    string,
    string_map,
)
from lab.seed.cilium_l2_crds import KIND as L2_POLICY
from lab.seed.cilium_l2_crds import l2_announcement_policy_crd

# -- building blocks beyond cilium_crds' ----------------------------------------------------------


def opaque() -> Obj:
    """An object kept whole: any content, neither checked nor pruned."""
    return {"type": "object", "x-kubernetes-preserve-unknown-fields": True}


def keep_unknown(schema: Obj) -> Obj:
    """``schema`` with its own fields checked and any others kept."""
    schema["x-kubernetes-preserve-unknown-fields"] = True
    return schema


def nullable(schema: Obj) -> Obj:
    schema["nullable"] = True
    return schema


def one_of_keys(schema: Obj) -> Obj:
    """An object that must set exactly one of its fields (min/maxProperties 1)."""
    schema.update(minProperties=1, maxProperties=1)
    return schema


def int_or_string() -> Obj:
    return {"anyOf": [{"type": "integer"}, {"type": "string"}], "x-kubernetes-int-or-string": True}


def strings(atomic: bool = False) -> Obj:
    return array(string(), list_type="atomic" if atomic else None)


def named(*extra: str) -> Obj:
    """A reference by ``name`` (required), with optional further string fields."""
    return obj({"name": string(), **{key: string() for key in extra}}, required=("name",))


def date_time() -> Obj:
    return string(fmt="date-time")


def go_duration(*units: str) -> Obj:
    """A Go duration string as metav1.Duration validates it: one or more <number><unit> groups."""
    return string(pattern=f"^([0-9]+(\\.[0-9]+)?({'|'.join(units)}))+$")


def interval() -> Obj:
    return go_duration("ms", "s", "m", "h")


# Kubernetes names: DNS-1123 label and subdomain; Secret / ConfigMap keys; OCI digests (algorithm:encoded).
DNS_LABEL_NAME = f"^{DNS_LABEL}$"
DNS_SUBDOMAIN = f"^{DNS_LABEL}(\\.{DNS_LABEL})*$"
DATA_KEY = "^[-._a-zA-Z0-9]+$"
OCI_DIGEST = "^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$"
# Cron schedule: a macro, "@every <duration>", or five blank-free fields.
CRON = "^(@(annually|yearly|monthly|weekly|daily|midnight|hourly)|@every [^\\s]+.*|[^\\s]+( [^\\s]+){4})$"
# A Helm --set path: name characters and [index] steps.
HELM_VALUES_PATH = "^([a-zA-Z0-9_\\-.\\\\\\/]|\\[[0-9]{1,5}\\])+$"
CONDITION_STATUS = ("True", "False", "Unknown")


def metav1_condition() -> Obj:
    """One metav1.Condition, as ``cilium_crds.conditions`` keys them by type."""
    item: Obj = conditions()["properties"]["conditions"]["items"]
    return item


def label_selector() -> Obj:
    """A metav1.LabelSelector as controller-gen writes Kubernetes' own type (no enum, no value pattern)."""
    requirement = obj({"key": string(), "operator": string(), "values": strings(atomic=True)},
                      required=("key", "operator"))
    return obj({"matchExpressions": array(requirement, list_type="atomic"),
                "matchLabels": string_map(string())}, atomic=True)


def ready_columns(*first: Obj) -> tuple[Obj, ...]:
    """Flux's columns: any of its own, then Age, Ready and the Ready condition's message."""
    ready = '.status.conditions[?(@.type=="Ready")]'
    return (*first, AGE, {"name": "Ready", "type": "string", "jsonPath": f"{ready}.status"},
            {"name": "Status", "type": "string", "jsonPath": f"{ready}.message"})


# -- Flux: shared pieces --------------------------------------------------------------------------

FLUX_CATEGORIES = ("all", "fluxcd")


def flux_status(**props: Obj) -> Obj:
    """A Flux status: observedGeneration (-1 until reconciled), conditions, reconcile-request marker."""
    base = {"conditions": array(metav1_condition()), "lastHandledReconcileAt": string(),
            "observedGeneration": integer("int64")}
    return _put_default(obj(dict(sorted({**base, **props}.items()))), {"observedGeneration": -1})


def _put_default(schema: Obj, value: Any) -> Obj:
    schema["default"] = value
    return schema


def kustomize_selector() -> Obj:
    """The kustomize selector picking the objects a patch or an ignore rule applies to."""
    return obj({key: string() for key in
                ("annotationSelector", "group", "kind", "labelSelector", "name", "namespace", "version")})


def dependency() -> Obj:
    return obj({"name": string(), "namespace": string(), "readyExpr": string()}, required=("name",))


def health_check_exprs() -> Obj:
    return array(obj({"apiVersion": string(), "current": string(), "failed": string(), "inProgress": string(),
                      "kind": string()}, required=("apiVersion", "current")))


def kube_config() -> Obj:
    return obj({"configMapRef": named(), "secretRef": named("key")}, rules=(
        ("has(self.configMapRef) || has(self.secretRef)", "set configMapRef or secretRef"),
        ("!has(self.configMapRef) || !has(self.secretRef)", "set only one of configMapRef and secretRef"),
    ))


def common_metadata() -> Obj:
    return obj({"annotations": string_map(string()), "labels": string_map(string())})


def image_override() -> Obj:
    return obj({"digest": string(), "name": string(), "newName": string(), "newTag": string()}, required=("name",))


def patch() -> Obj:
    return obj({"patch": string(), "target": kustomize_selector()}, required=("patch",))


def artifact() -> Obj:
    return obj({
        "digest": string(pattern=OCI_DIGEST),
        "lastUpdateTime": date_time(),
        "metadata": string_map(string()),
        "path": string(),
        "revision": string(),
        "size": integer("int64"),
        "url": string(),
    }, required=("digest", "lastUpdateTime", "path", "revision", "url"))


def history_entry(required: Iterable[str], **props: Obj) -> Obj:
    return obj(dict(sorted(props.items())), required=required)


# -- GitRepository (source.toolkit.fluxcd.io) -----------------------------------------------------

def git_repository_schema(_: str) -> Obj:
    include = obj({"fromPath": string(), "repository": named(), "toPath": string()}, required=("repository",))
    spec = obj({
        "ignore": string(),
        "include": array(include),
        "interval": interval(),
        "provider": string(enum=("generic", "aws", "azure", "github")),
        "proxySecretRef": named(),
        "recurseSubmodules": boolean(),
        "ref": obj({key: string() for key in ("branch", "commit", "name", "semver", "tag")}),
        "secretRef": named(),
        "serviceAccountName": string(),
        "sparseCheckout": strings(),
        "suspend": boolean(),
        "timeout": _put_default(go_duration("ms", "s", "m"), "60s"),
        "url": string(pattern="^(http|https|ssh)://.*$"),
        "verify": obj({"mode": string(enum=("head", "HEAD", "Tag", "TagAndHEAD"), default="HEAD"),
                       "secretRef": named()}, required=("secretRef",)),
    }, required=("interval", "url"), rules=(
        ("!has(self.serviceAccountName) || (has(self.provider) && (self.provider == 'azure'"
         " || self.provider == 'aws'))", "serviceAccountName needs provider azure or aws"),
    ), about="A Git repository to fetch at an interval, and which revision of it.")
    status = flux_status(
        artifact=artifact(), includedArtifacts=array(artifact()), observedIgnore=string(),
        observedInclude=array(include), observedRecurseSubmodules=boolean(), observedSparseCheckout=strings(),
        sourceVerificationMode=string())
    return _root(spec, status)


# -- Kustomization (kustomize.toolkit.fluxcd.io) --------------------------------------------------

def kustomization_schema(_: str) -> Obj:
    substitute_from = obj({"kind": string(enum=("Secret", "ConfigMap")), "name": string(min_len=1, max_len=253),
                           "optional": boolean(default=False)}, required=("kind", "name"))
    spec = obj({
        "buildMetadata": array(string(enum=("originAnnotations", "transformerAnnotations"))),
        "commonMetadata": common_metadata(),
        "components": strings(),
        "decryption": obj({"provider": string(enum=("sops",)), "secretRef": named(),
                           "serviceAccountName": string()}, required=("provider",)),
        "deletionPolicy": string(enum=("MirrorPrune", "Delete", "WaitForTermination", "Orphan")),
        "dependsOn": array(dependency()),
        "force": boolean(default=False),
        "healthCheckExprs": health_check_exprs(),
        "healthChecks": array(obj({"apiVersion": string(), "kind": string(), "name": string(),
                                   "namespace": string()}, required=("kind", "name"))),
        "ignore": array(obj({"paths": strings(), "target": kustomize_selector()}, required=("paths",))),
        "ignoreMissingComponents": boolean(),
        "images": array(image_override()),
        "interval": interval(),
        "kubeConfig": kube_config(),
        "namePrefix": string(min_len=1, max_len=200),
        "nameSuffix": string(min_len=1, max_len=200),
        "patches": array(patch()),
        "path": string(),
        "postBuild": obj({"substitute": string_map(string()), "substituteFrom": array(substitute_from),
                          "substituteStrategy": string(enum=("WithVariables", "Always"))}),
        "prune": boolean(),
        "retryInterval": interval(),
        "serviceAccountName": string(),
        "sourceRef": obj({"apiVersion": string(),
                          "kind": string(enum=("OCIRepository", "GitRepository", "Bucket", "ExternalArtifact")),
                          "name": string(), "namespace": string()}, required=("kind", "name")),
        "suspend": boolean(),
        "targetNamespace": string(min_len=1, max_len=63),
        "timeout": interval(),
        "wait": boolean(),
    }, required=("interval", "prune", "sourceRef"),
        about="Kustomize overlay at a path of a source, applied (and pruned) at an interval, after its dependencies.")
    history = history_entry(
        ("digest", "firstReconciled", "lastReconciled", "lastReconciledDuration", "lastReconciledStatus",
         "totalReconciliations"),
        digest=string(), firstReconciled=date_time(), lastReconciled=date_time(), lastReconciledDuration=string(),
        lastReconciledStatus=string(), metadata=string_map(string()), totalReconciliations=integer("int64"))
    inventory = obj({"entries": array(obj({"id": string(), "v": string()}, required=("id", "v")))},
                    required=("entries",))
    status = flux_status(history=array(history), inventory=inventory, lastAppliedOriginRevision=string(),
                         lastAppliedRevision=string(), lastAttemptedRevision=string())
    return _root(spec, status)


# -- HelmRelease (helm.toolkit.fluxcd.io) ---------------------------------------------------------

def helm_release_schema(_: str) -> Obj:
    chart_ref_kinds = ("OCIRepository", "HelmChart", "ExternalArtifact")
    name, namespace = string(min_len=1, max_len=253), string(min_len=1, max_len=63)
    chart_spec = obj({
        "chart": string(min_len=1, max_len=2048),
        "ignoreMissingValuesFiles": boolean(),
        "interval": interval(),
        "reconcileStrategy": string(enum=("ChartVersion", "Revision"), default="ChartVersion"),
        "sourceRef": obj({"apiVersion": string(), "kind": string(enum=("HelmRepository", "GitRepository", "Bucket")),
                          "name": name, "namespace": namespace}, required=("kind", "name")),
        "valuesFiles": strings(),
        "verify": obj({"provider": string(enum=("cosign", "notation"), default="cosign"), "secretRef": named()},
                      required=("provider",)),
        "version": string(default="*"),
    }, required=("chart", "sourceRef"))
    strategy_names = ("RemediateOnFailure", "RetryOnFailure")
    ssa = string(enum=("enabled", "disabled", "auto"))

    def remediation(upgrade: bool) -> Obj:
        props = {"ignoreTestFailures": boolean(), "remediateLastFailure": boolean(), "retries": integer()}
        if upgrade:
            props["strategy"] = string(enum=("rollback", "uninstall"))
        return obj(props)

    def strategy(rule: tuple[str, str]) -> Obj:
        return obj({"name": string(enum=strategy_names), "retryInterval": interval()}, required=("name",),
                   rules=(rule,))

    crds = string(enum=("Skip", "Create", "CreateReplace"))
    shared = {"disableHooks": boolean(), "disableOpenAPIValidation": boolean(), "disableSchemaValidation": boolean(),
              "disableTakeOwnership": boolean(), "disableWait": boolean(), "disableWaitForJobs": boolean(),
              "timeout": interval()}
    install = obj(dict(sorted({
        **shared, "crds": crds, "createNamespace": boolean(), "remediation": remediation(False),
        "replace": boolean(), "serverSideApply": boolean(), "skipCRDs": boolean(),
        "strategy": strategy(("!has(self.retryInterval) || self.name != 'RemediateOnFailure'",
                              "retryInterval is not for RemediateOnFailure")),
    }.items())))
    upgrade = obj(dict(sorted({
        **shared, "chartNameChangeStrategy": string(enum=("InPlaceUpdate", "Reinstall")), "cleanupOnFail": boolean(),
        "crds": crds, "force": boolean(), "preserveValues": boolean(), "remediation": remediation(True),
        "serverSideApply": ssa,
        "strategy": strategy(("!has(self.retryInterval) || self.name == 'RetryOnFailure'",
                              "retryInterval is only for RetryOnFailure")),
    }.items())))
    rollback = obj({"cleanupOnFail": boolean(), "disableHooks": boolean(), "disableWait": boolean(),
                    "disableWaitForJobs": boolean(), "force": boolean(), "recreate": boolean(),
                    "serverSideApply": ssa, "timeout": interval()})
    uninstall = obj({"deletionPropagation": string(enum=("background", "foreground", "orphan"), default="background"),
                     "disableHooks": boolean(), "disableWait": boolean(), "keepHistory": boolean(),
                     "timeout": interval()})
    test = obj({"enable": boolean(),
                "filters": array(obj({"exclude": boolean(), "name": name}, required=("name",))),
                "ignoreFailures": boolean(), "timeout": interval()})
    ignore_rule = obj({"paths": strings(), "target": kustomize_selector()}, required=("paths",))
    values_from = obj({
        "kind": string(enum=("Secret", "ConfigMap")), "literal": boolean(), "name": name, "optional": boolean(),
        "targetPath": string(max_len=250, pattern=HELM_VALUES_PATH),
        "valuesKey": string(max_len=253, pattern=DATA_KEY),
    }, required=("kind", "name"))
    spec = obj({
        "chart": obj({"metadata": common_metadata(), "spec": chart_spec}, required=("spec",)),
        "chartRef": obj({"apiVersion": string(), "kind": string(enum=chart_ref_kinds), "name": name,
                         "namespace": namespace}, required=("kind", "name")),
        "commonMetadata": common_metadata(),
        "dependsOn": array(dependency()),
        "driftDetection": obj({"ignore": array(ignore_rule),
                               "mode": string(enum=("enabled", "warn", "disabled"))}),
        "healthCheckExprs": health_check_exprs(),
        "install": install,
        "interval": interval(),
        "kubeConfig": kube_config(),
        "maxHistory": integer(),
        "persistentClient": boolean(),
        "postRenderStrategy": string(enum=("nohooks", "combined", "separate")),
        "postRenderers": array(obj({"kustomize": obj({"images": array(image_override()),
                                                      "patches": array(patch())})})),
        "releaseName": string(min_len=1, max_len=53),
        "rollback": rollback,
        "serviceAccountName": name,
        "storageNamespace": namespace,
        "suspend": boolean(),
        "targetNamespace": namespace,
        "test": test,
        "timeout": interval(),
        "uninstall": uninstall,
        "upgrade": upgrade,
        "values": {"x-kubernetes-preserve-unknown-fields": True},
        "valuesFrom": array(values_from),
        "waitStrategy": obj({"name": string(enum=("poller", "legacy"))}, required=("name",)),
    }, required=("interval",), rules=(
        ("(has(self.chart) && !has(self.chartRef)) || (!has(self.chart) && has(self.chartRef))",
         "set exactly one of chart and chartRef"),
    ), about="A Helm chart release: which chart, from where, with which values, after which dependencies.")
    test_hook = obj({"lastCompleted": date_time(), "lastStarted": date_time(), "phase": string()})
    history = history_entry(
        ("chartName", "chartVersion", "configDigest", "digest", "firstDeployed", "lastDeployed", "name",
         "namespace", "status", "version"),
        action=string(), apiVersion=string(), appVersion=string(), chartName=string(), chartVersion=string(),
        configDigest=string(), deleted=date_time(), digest=string(), firstDeployed=date_time(),
        lastDeployed=date_time(), name=string(), namespace=string(), ociDigest=string(), status=string(),
        testHooks=string_map(test_hook), version=integer())
    inventory = obj({"entries": array(obj({"id": string(), "v": string()}, required=("id", "v")))},
                    required=("entries",))
    status = flux_status(
        failures=integer("int64"), helmChart=string(), history=array(history), installFailures=integer("int64"),
        inventory=inventory, lastAttemptedConfigDigest=string(), lastAttemptedGeneration=integer("int64"),
        lastAttemptedReleaseAction=string(enum=("install", "upgrade")),
        lastAttemptedReleaseActionDuration=string(), lastAttemptedRevision=string(),
        lastAttemptedRevisionDigest=string(), lastAttemptedValuesChecksum=string(), lastHandledForceAt=string(),
        lastHandledResetAt=string(), lastReleaseRevision=integer(), observedCommonMetadataDigest=string(),
        observedPostRenderersDigest=string(), storageNamespace=namespace, upgradeFailures=integer("int64"))
    return _root(spec, status)


# -- External Secrets (external-secrets.io) -------------------------------------------------------

ESO_GENERATORS_V1BETA1 = ("ACRAccessToken", "ClusterGenerator", "ECRAuthorizationToken", "Fake", "GCRAccessToken",
                          "GithubAccessToken", "QuayAccessToken", "Password", "SSHKey", "STSSessionToken", "UUID",
                          "VaultDynamicSecret", "Webhook", "Grafana")
ESO_GENERATORS_V1 = ("ACRAccessToken", "BeyondtrustWorkloadCredentialsDynamicSecret", "ClusterGenerator",
                     "CloudsmithAccessToken", "ECRAuthorizationToken", "Fake", "GCRAccessToken", "GithubAccessToken",
                     "GitlabDeployToken", "QuayAccessToken", "Password", "SSHKey", "STSSessionToken", "UUID",
                     "VaultDynamicSecret", "Webhook", "Grafana", "MFA")
STORE_KINDS = ("SecretStore", "ClusterSecretStore")
DECODING = ("Auto", "Base64", "Base64URL", "None")


def k8s_name() -> Obj:
    return string(min_len=1, max_len=253, pattern=DNS_SUBDOMAIN)


def secret_key_ref() -> Obj:
    """A key of a Secret, in the store's namespace unless one is given."""
    return obj({"key": string(min_len=1, max_len=253, pattern=DATA_KEY), "name": k8s_name(),
                "namespace": string(min_len=1, max_len=63, pattern=DNS_LABEL_NAME)})


def eso_conditions(types: Iterable[str] = ()) -> Obj:
    kinds = tuple(types)
    return array(obj({"lastTransitionTime": date_time(), "message": string(), "reason": string(),
                      "status": string(), "type": string(enum=kinds or None)}, required=("status", "type")))


def remote_ref(version: str, find: bool = False) -> Obj:
    """Where a value lives in the provider; v1beta1 defaults the strategies, v1 leaves them unset."""
    old = version == "v1beta1"
    props: dict[str, Obj] = {
        "conversionStrategy": string(enum=("Default", "Unicode"), default="Default" if old else None),
        "decodingStrategy": string(enum=DECODING, default="None" if old else None),
    }
    if not old:
        props["nullBytePolicy"] = string(enum=("Ignore", "Fail"))
    if find:
        props.update(name=obj({"regexp": string()}), path=string(), tags=string_map(string()))
        return obj(dict(sorted(props.items())))
    props.update(key=string(), metadataPolicy=string(enum=("None", "Fetch"), default="None" if old else None),
                 property=string(), version=string())
    return obj(dict(sorted(props.items())), required=("key",))


def source_ref(version: str) -> Obj:
    generators = ESO_GENERATORS_V1BETA1 if version == "v1beta1" else ESO_GENERATORS_V1
    return one_of_keys(obj({
        "generatorRef": obj({"apiVersion": string(default="generators.external-secrets.io/v1alpha1"),
                             "kind": string(enum=generators), "name": k8s_name()}, required=("kind", "name")),
        "storeRef": obj({"kind": string(enum=STORE_KINDS), "name": k8s_name()}),
    }))


def external_secret_schema(version: str) -> Obj:
    v1 = version == "v1"
    rewrite_props: dict[str, Obj] = {
        "regexp": obj({"source": string(), "target": string()}, required=("source", "target")),
        "transform": obj({"template": string()}, required=("template",)),
    }
    if v1:
        rewrite_props["merge"] = obj({
            "conflictPolicy": string(enum=("Ignore", "Error"), default="Error"),
            "into": string(default=""),
            "priority": strings(),
            "priorityPolicy": string(enum=("IgnoreNotFound", "Strict"), default="Strict"),
            "strategy": string(enum=("Extract", "JSON"), default="Extract"),
        })
    data_from = obj({"extract": remote_ref(version), "find": remote_ref(version, find=True),
                     "rewrite": array(one_of_keys(obj(dict(sorted(rewrite_props.items()))))),
                     "sourceRef": source_ref(version)})
    template_item = obj({"key": string(min_len=1, max_len=253, pattern=DATA_KEY),
                         "templateAs": string(enum=("Values", "KeysAndValues"), default="Values")},
                        required=("key",))
    template_source = obj({"items": array(template_item), "name": k8s_name()}, required=("items", "name"))
    template_from: dict[str, Obj] = {
        "configMap": template_source, "literal": string(), "secret": copy.deepcopy(template_source),
        "target": string(default="Data", enum=None if v1 else ("Data", "Annotations", "Labels")),
    }
    template_meta: dict[str, Obj] = {"annotations": string_map(string()), "labels": string_map(string())}
    if v1:
        template_from["valuesDecodingStrategy"] = string(enum=DECODING)
        template_meta["finalizers"] = strings()
    template = obj({
        "data": string_map(string()),
        "engineVersion": string(enum=("v2",), default="v2"),
        "mergePolicy": string(enum=("Replace", "Merge"), default="Replace"),
        "metadata": obj(dict(sorted(template_meta.items()))),
        "templateFrom": array(obj(dict(sorted(template_from.items())))),
        "type": string(),
    })
    creation = ("Owner", "Orphan", "Merge", "None") + (("CreateOrMerge",) if v1 else ())
    target_props: dict[str, Obj] = {
        "creationPolicy": string(enum=creation, default="Owner"),
        "deletionPolicy": string(enum=("Delete", "Merge", "Retain"), default="Retain"),
        "immutable": boolean(),
        "name": k8s_name(),
        "template": template,
    }
    if v1:
        target_props["manifest"] = obj({"apiVersion": string(min_len=1), "kind": string(min_len=1)},
                                       required=("apiVersion", "kind"))
    spec_props: dict[str, Obj] = {
        "data": array(obj({"remoteRef": remote_ref(version), "secretKey": string(min_len=1, max_len=253,
                                                                                  pattern=DATA_KEY),
                           "sourceRef": source_ref(version)}, required=("remoteRef", "secretKey"))),
        "dataFrom": array(data_from),
        "refreshInterval": string(default="1h0m0s"),
        "refreshPolicy": string(enum=("CreatedOnce", "Periodic", "OnChange")),
        "secretStoreRef": obj({"kind": string(enum=STORE_KINDS), "name": k8s_name()}),
        "target": _put_default(obj(dict(sorted(target_props.items()))),
                               {"creationPolicy": "Owner", "deletionPolicy": "Retain"}),
    }
    if v1:
        window = obj({"duration": string(), "schedule": string(min_len=1, pattern=CRON)},
                     required=("duration", "schedule"))
        spec_props["syncWindows"] = obj({"kind": string(enum=("allow", "deny")),
                                         "windows": array(window, min_items=1)}, required=("kind", "windows"))
    spec = obj(dict(sorted(spec_props.items())),
               about="Which values to read from a secret store, and the Secret to write them into.")
    status = obj({
        "binding": obj({"name": string(default="")}, atomic=True),
        "conditions": eso_conditions(("Ready", "Deleted") if v1 else ()),
        "refreshTime": nullable(date_time()),
        "syncedResourceVersion": string(),
    })
    return _root(spec, status)


def onepassword_provider() -> Obj:
    """1Password Connect: its host, the vaults to search (name -> order), the Connect token's Secret."""
    token = obj({"connectTokenSecretRef": secret_key_ref()}, required=("connectTokenSecretRef",))
    return obj({"auth": obj({"secretRef": token}, required=("secretRef",)), "connectHost": string(),
                "vaults": string_map(integer())}, required=("auth", "connectHost", "vaults"))


def onepassword_sdk_provider() -> Obj:
    """1Password through its SDK and a service account token (v1 only)."""
    return obj({
        "auth": obj({"serviceAccountSecretRef": secret_key_ref()}, required=("serviceAccountSecretRef",)),
        "cache": obj({"maxSize": integer(lo=1, default=100), "ttl": string(default="5m")}),
        "environment": string(),
        "integrationInfo": obj({"name": string(default="1Password SDK"), "version": string(default="v1.0.0")}),
        "vault": string(),
    }, required=("auth",), rules=(
        ("[has(self.vault),has(self.environment)].filter(x,x==true).size() <= 1",
         "set at most one of vault and environment"),
    ))


def cluster_secret_store_schema(version: str) -> Obj:
    v1 = version == "v1"
    providers = {"onepassword": onepassword_provider()}
    if v1:
        providers["onepasswordSDK"] = onepassword_sdk_provider()
    condition = obj({
        "namespaceRegexes": strings(),
        "namespaceSelector": label_selector(),
        "namespaces": array(string(min_len=1, max_len=63, pattern=DNS_LABEL_NAME)),
    })
    spec = obj({
        "conditions": array(condition),
        "controller": string(),
        "provider": keep_unknown(one_of_keys(obj(providers))),
        "refreshInterval": int_or_string() if v1 else integer(),
        "retrySettings": obj({"maxRetries": integer("int32"), "retryInterval": string()}),
    }, required=("provider",), about="A secret backend every namespace the conditions allow may read from.")
    status = obj({"capabilities": string(), "conditions": eso_conditions()})
    return _root(spec, status)


# -- cert-manager (cert-manager.io) ---------------------------------------------------------------

KEY_USAGES = ("signing", "digital signature", "content commitment", "key encipherment", "key agreement",
              "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth",
              "client auth", "code signing", "email protection", "s/mime", "ipsec end system", "ipsec tunnel",
              "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc")
SIGNATURE_ALGORITHMS = ("SHA256WithRSA", "SHA384WithRSA", "SHA512WithRSA", "ECDSAWithSHA256", "ECDSAWithSHA384",
                        "ECDSAWithSHA512", "PureEd25519")


def cm_conditions() -> Obj:
    """cert-manager's own condition type, keyed by type."""
    return array(obj({"lastTransitionTime": date_time(), "message": string(),
                      "observedGeneration": integer("int64"), "reason": string(),
                      "status": string(enum=CONDITION_STATUS), "type": string()}, required=("status", "type")),
                 list_type="map", keys=("type",))


def certificate_schema(_: str) -> Obj:
    def keystore(**extra: Obj) -> Obj:
        return obj({"create": boolean(), "password": string(), "passwordSecretRef": named("key"), **extra},
                   required=("create",))

    names = obj({key: strings(atomic=True) for key in ("dnsDomains", "emailAddresses", "ipRanges", "uriDomains")})
    subject = obj({**{key: strings(atomic=True) for key in (
        "countries", "localities", "organizationalUnits", "organizations", "postalCodes", "provinces",
        "streetAddresses")}, "serialNumber": string()})
    spec = obj({
        "additionalOutputFormats": array(obj({"type": string(enum=("DER", "CombinedPEM"))}, required=("type",)),
                                         list_type="atomic"),
        "commonName": string(),
        "dnsNames": strings(atomic=True),
        "duration": string(),
        "emailAddresses": strings(atomic=True),
        "encodeUsagesInRequest": boolean(),
        "ipAddresses": strings(atomic=True),
        "isCA": boolean(),
        "issuerRef": named("group", "kind"),
        "keystores": obj({"jks": keystore(alias=string()), "pkcs12": keystore(
            profile=string(enum=("LegacyRC2", "LegacyDES", "Modern2023", "Modern2026")))}),
        "literalSubject": string(),
        "nameConstraints": obj({"critical": boolean(), "excluded": names, "permitted": copy.deepcopy(names)}),
        "otherNames": array(obj({"oid": string(), "utf8Value": string()}), list_type="atomic"),
        "privateKey": obj({"algorithm": string(enum=("RSA", "ECDSA", "Ed25519")),
                           "encoding": string(enum=("PKCS1", "PKCS8")),
                           "rotationPolicy": string(enum=("Never", "Always")), "size": integer()}),
        "renewBefore": string(),
        "renewBeforePercentage": integer("int32"),
        "renewal": obj({"policy": string(enum=("RenewBefore", "Disabled")), "windows": array(obj({
            "cron": string(min_len=1), "timezone": string(min_len=1),
            "windowDuration": go_duration("s", "m", "h")}, required=("cron", "windowDuration")),
            list_type="atomic")}),
        "revisionHistoryLimit": integer("int32"),
        "secretName": string(),
        "secretTemplate": common_metadata(),
        "signatureAlgorithm": string(enum=SIGNATURE_ALGORITHMS),
        "subject": subject,
        "uris": strings(atomic=True),
        "usages": array(string(enum=KEY_USAGES), list_type="atomic"),
    }, required=("issuerRef", "secretName"), about="An X.509 certificate to keep issued and fresh in a Secret.")
    ari = obj({"explanationURL": string(), "lastChecked": date_time(), "lastError": string(),
               "nextCheck": date_time(),
               "suggestedWindow": obj({"end": date_time(), "start": date_time()}, required=("end", "start"))})
    status = obj({
        "acme": obj({"ari": ari}),
        "conditions": cm_conditions(),
        "failedIssuanceAttempts": integer(),
        "lastFailureTime": date_time(),
        "nextPrivateKeySecretName": string(),
        "notAfter": date_time(),
        "notBefore": date_time(),
        "renewalTime": date_time(),
        "revision": integer(),
    })
    return _root(spec, status)


def cluster_issuer_schema(_: str) -> Obj:
    urls = strings(atomic=True)
    solver = obj({"dns01": opaque(), "http01": opaque(), "selector": obj({
        "dnsNames": strings(atomic=True), "dnsZones": strings(atomic=True), "matchLabels": string_map(string())}),
        "waitInsteadOfSelfCheck": string()})
    acme = obj({
        "caBundle": string(fmt="byte"),
        "disableAccountKeyGeneration": boolean(),
        "email": string(),
        "enableDurationFeature": boolean(),
        "externalAccountBinding": obj({"keyAlgorithm": string(enum=("HS256", "HS384", "HS512")), "keyID": string(),
                                       "keySecretRef": named("key")}, required=("keyID", "keySecretRef")),
        "preferredChain": string(max_len=64),
        "privateKeySecretRef": named("key"),
        "profile": string(),
        "server": string(),
        "skipTLSVerify": boolean(),
        "solvers": array(solver, list_type="atomic"),
    }, required=("privateKeySecretRef", "server"))
    spec = obj({
        "acme": acme,
        "ca": obj({"crlDistributionPoints": urls, "issuingCertificateURLs": copy.deepcopy(urls),
                   "ocspServers": copy.deepcopy(urls), "secretName": string()}, required=("secretName",)),
        "selfSigned": obj({"crlDistributionPoints": strings(atomic=True)}),
        "vault": opaque(),
        "venafi": opaque(),
    }, about="How certificates are signed for any namespace: ACME, a CA in a Secret, self-signed, ...")
    status = obj({
        "acme": obj({"lastPrivateKeyHash": string(), "lastRegisteredEmail": string(), "uri": string()}),
        "conditions": cm_conditions(),
    })
    return _root(spec, status, spec_required=True)


# -- Longhorn (longhorn.io) -----------------------------------------------------------------------

def lh_conditions() -> Obj:
    return nullable(array(obj({key: string() for key in (
        "lastProbeTime", "lastTransitionTime", "message", "reason", "status", "type")})))


def setting_schema(_: str) -> Obj:
    """A Longhorn setting: its value sits at the top level (a string whatever it means), no spec."""
    return obj({"apiVersion": string(), "kind": string(), "metadata": {"type": "object"},
                "status": obj({"applied": boolean()}, required=("applied",)), "value": string()},
               required=("value",))


def longhorn_node_schema(_: str) -> Obj:
    disk = obj({
        "allowScheduling": boolean(),
        "diskDriver": string(enum=("", "auto", "aio", "nvme")),
        "diskType": string(enum=("filesystem", "block")),
        "evictionRequested": boolean(),
        "path": string(),
        "storageReserved": integer("int64"),
        "tags": strings(),
    })
    spec = obj({
        "allowScheduling": boolean(),
        "disks": string_map(disk),
        "evictionRequested": boolean(),
        "instanceManagerCPURequest": integer(),
        "name": string(),
        "tags": strings(),
    }, about="Longhorn's view of a Kubernetes node: may replicas go there, and on which disks.")
    attribute = obj({"id": integer(), "name": string(), "rawString": string(), "rawValue": integer("int64"),
                     "threshold": integer(), "value": integer(), "whenFailed": string(), "worst": integer()})
    health = obj({
        "attributes": array(attribute), "capacity": integer("int64"), "diskName": string(), "diskType": string(),
        "firmwareVersion": string(), "healthStatus": string(enum=("FAILED", "PASSED", "UNKNOWN", "WARNING")),
        "modelName": string(), "serialNumber": string(), "source": string(enum=("SMART", "SPDK")),
        "temperature": integer(),
    })
    disk_status = obj({
        "conditions": lh_conditions(),
        "diskDriver": string(), "diskName": string(), "diskPath": string(), "diskType": string(),
        "diskUUID": string(), "filesystemType": string(),
        "healthData": string_map(health),
        "healthDataLastCollectedAt": date_time(),
        "instanceManagerName": string(),
        "scheduledBackingImage": nullable(string_map(integer("int64"))),
        "scheduledReplica": nullable(string_map(integer("int64"))),
        "storageAvailable": integer("int64"), "storageMaximum": integer("int64"),
        "storageScheduled": integer("int64"),
    })
    status = obj({
        "autoEvicting": boolean(),
        "conditions": lh_conditions(),
        "cpuPolicy": string(),
        "diskStatus": nullable(string_map(disk_status)),
        "region": string(),
        "snapshotCheckStatus": obj({"lastPeriodicCheckedAt": date_time()}),
        "zone": string(),
    })
    return _root(spec, status, spec_required=False)


# -- CustomResourceDefinition objects -------------------------------------------------------------

def _root(spec: Obj, status: Obj, spec_required: bool = False) -> Obj:
    """The openAPIV3Schema of a kind with ``spec`` and ``status`` (spec optional unless upstream requires it)."""
    props = {"apiVersion": string(), "kind": string(), "metadata": {"type": "object"}, "spec": spec,
             "status": status}
    return obj(props, required=("spec",) if spec_required else ())


@dataclass(frozen=True)
class Version:
    """One version of a CRD: served, storage, deprecated."""

    name: str
    storage: bool = False
    served: bool = True
    deprecated: bool = False
    selectable: tuple[str, ...] = ()     # JSON paths usable in field selectors (selectableFields)


@dataclass(frozen=True)
class _Kind:
    """How to build one kind's CRD: group, names, scope, versions, schema per version name, columns."""

    group: str
    plural: str
    namespaced: bool
    short_names: tuple[str, ...]
    categories: tuple[str, ...]
    versions: tuple[Version, ...]
    schema: Callable[[str], Obj]
    columns: tuple[Obj, ...] = (AGE,)


def _column(name: str, path: str, kind: str = "string", priority: int | None = None) -> Obj:
    out: Obj = {"name": name, "type": kind, "jsonPath": path}
    if priority is not None:
        out["priority"] = priority
    return out


ESO_READY = '.status.conditions[?(@.type=="Ready")]'
CM_READY = '.status.conditions[?(@.type == "Ready")]'
LH_CONDITION = ".status.conditions[?(@.type=='{}')].status"

KINDS: dict[str, _Kind] = {
    "GitRepository": _Kind(
        "source.toolkit.fluxcd.io", "gitrepositories", True, ("gitrepo",), (*FLUX_CATEGORIES, "fluxcd-sources"),
        (Version("v1", storage=True),), git_repository_schema, ready_columns(_column("URL", ".spec.url"))),
    "Kustomization": _Kind(
        "kustomize.toolkit.fluxcd.io", "kustomizations", True, ("ks",), (*FLUX_CATEGORIES, "fluxcd-appliers"),
        (Version("v1", storage=True),), kustomization_schema, ready_columns()),
    "HelmRelease": _Kind(
        "helm.toolkit.fluxcd.io", "helmreleases", True, ("hr",), (*FLUX_CATEGORIES, "fluxcd-appliers"),
        (Version("v2", storage=True),), helm_release_schema, ready_columns()),
    # v1beta1 is listed but served only with the chart's crds.unsafeServeV1Beta1 (default false).
    "ClusterSecretStore": _Kind(
        "external-secrets.io", "clustersecretstores", False, ("css",), ("external-secrets",),
        (Version("v1", storage=True), Version("v1beta1", served=False, deprecated=True)),
        cluster_secret_store_schema,
        (_column("AGE", ".metadata.creationTimestamp", "date"), _column("Status", f"{ESO_READY}.reason"),
         _column("Capabilities", ".status.capabilities"), _column("Ready", f"{ESO_READY}.status"))),
    "ExternalSecret": _Kind(
        "external-secrets.io", "externalsecrets", True, ("es",), ("external-secrets",),
        (Version("v1", storage=True, selectable=(".spec.secretStoreRef.name", ".spec.secretStoreRef.kind",
                                                 ".spec.target.name", ".spec.refreshInterval")),
         Version("v1beta1", served=False, deprecated=True)),
        external_secret_schema,
        (_column("StoreType", ".spec.secretStoreRef.kind"), _column("Store", ".spec.secretStoreRef.name"),
         _column("Refresh Interval", ".spec.refreshInterval"), _column("Status", f"{ESO_READY}.reason"),
         _column("Ready", f"{ESO_READY}.status"), _column("Last Sync", ".status.refreshTime", "date"))),
    "Certificate": _Kind(
        "cert-manager.io", "certificates", True, ("cert", "certs"), ("cert-manager",),
        (Version("v1", storage=True, selectable=tuple(f".spec.issuerRef.{k}" for k in ("group", "kind", "name"))),),
        certificate_schema,
        (_column("Ready", f"{CM_READY}.status"), _column("Secret", ".spec.secretName"),
         _column("Issuer", ".spec.issuerRef.name", priority=1),
         _column("Status", f"{CM_READY}.message", priority=1), AGE)),
    "ClusterIssuer": _Kind(
        "cert-manager.io", "clusterissuers", False, ("ciss",), ("cert-manager",),
        (Version("v1", storage=True),), cluster_issuer_schema,
        (_column("Ready", f"{CM_READY}.status"), _column("Status", f"{CM_READY}.message", priority=1), AGE)),
    "Setting": _Kind(
        "longhorn.io", "settings", True, ("lhs",), (), (Version("v1beta2", storage=True),), setting_schema,
        (_column("Value", ".value"), _column("Applied", ".status.applied", "boolean"), AGE)),
    "Node": _Kind(
        "longhorn.io", "nodes", True, ("lhn",), (), (Version("v1beta2", storage=True),), longhorn_node_schema,
        (_column("Ready", LH_CONDITION.format("Ready")), _column("AllowScheduling", ".spec.allowScheduling", "boolean"),
         _column("Schedulable", LH_CONDITION.format("Schedulable")), AGE)),
}
ALL_KINDS = (*KINDS, L2_POLICY)


def _crd(kind: str, how: _Kind) -> Obj:
    versions = []
    for v in how.versions:
        built: Obj = {"name": v.name, "served": v.served, "storage": v.storage,
                      "schema": {"openAPIV3Schema": how.schema(v.name)},
                      "additionalPrinterColumns": copy.deepcopy(list(how.columns)),
                      "subresources": {"status": {}}}
        if v.deprecated:
            built["deprecated"] = True
        if v.selectable:
            built["selectableFields"] = [{"jsonPath": path} for path in v.selectable]
        versions.append(built)
    names: Obj = {"kind": kind, "listKind": f"{kind}List", "plural": how.plural, "singular": kind.lower(),
                  "shortNames": list(how.short_names)}
    if how.categories:
        names["categories"] = list(how.categories)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{how.plural}.{how.group}",
                     "annotations": {"conformance.home-ops/source": "lab/seed/SOURCE.md"}},
        "spec": {"group": how.group, "scope": "Namespaced" if how.namespaced else "Cluster", "names": names,
                 "versions": versions},
    }


def crds_for(*kinds: str) -> list[Obj]:
    """The CRDs of ``kinds`` (kind names, e.g. "HelmRelease"; Longhorn's are "Setting" and "Node"), in the
    order given, freshly built; an unknown kind is a ValueError naming the known ones."""
    unknown = [k for k in kinds if k not in ALL_KINDS]
    if unknown:
        raise ValueError(f"no platform CRD for {', '.join(unknown)}; known: {', '.join(ALL_KINDS)}")
    return [l2_announcement_policy_crd() if kind == L2_POLICY else _crd(kind, KINDS[kind]) for kind in kinds]


def platform_crds() -> list[Obj]:
    """Every platform CRD the lab serves, freshly built (callers may keep and change them)."""
    return crds_for(*ALL_KINDS)
