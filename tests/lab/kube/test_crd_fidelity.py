"""The lab's Cilium CRDs (lab/seed/cilium_crds.py) agree with Cilium's upstream CRD files.

Runs only when $HOME_OPS_CILIUM_CRDS names a folder of upstream files (v2/, v2alpha1/; see
lab/seed/SOURCE.md), otherwise skips saying so. Each upstream file is one Cilium release's definition
of its kind; it is compared with the lab's CRD of the newest release (harness/model/cilium_versions.py) that
serves the same versions with the same storage/deprecated flags, and one must exist: a file the table
cannot place is a failure. Compared per CRD: group, scope, names, each version's served/storage/
deprecated flags, subresources and printer columns, and every schema node's keywords (type, format,
enum, default, ranges, lengths, required, list/map types, ...) except descriptions. Patterns are ours,
generated from their definitions, so they are compared by what they accept: both must agree on a corpus
of probe strings. CEL rules are compared by count (the lab does not run them).
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

import pytest

from harness.model.cilium_versions import FIRST_MINOR, LAST_MINOR, CiliumVersion
from lab.kube.crds import load_crd_files
from lab.seed import cilium_crds
from tests.reference import cilium_crds as reference_crds

RELEASES = [CiliumVersion(1, minor, 0) for minor in range(LAST_MINOR, FIRST_MINOR - 1, -1)]   # newest first

Obj = dict[str, Any]


def _facts(schema: Any, path: str, patterns: list[tuple[str, str]]) -> Any:
    if isinstance(schema, list):
        return [_facts(item, f"{path}[{n}]", patterns) for n, item in enumerate(schema)]
    if not isinstance(schema, dict):
        return schema
    out: Obj = {}
    for key, value in schema.items():
        if key == "description":
            continue
        if key == "pattern":
            patterns.append((path, value))
            out[key] = "<pattern>"
        elif key == "x-kubernetes-validations":
            out[key] = f"{len(value)} rules"
        elif key == "required":
            out[key] = sorted(value)
        else:
            out[key] = _facts(value, f"{path}.{key}", patterns)
    return out


def _crd_facts(crd: Obj, patterns: list[tuple[str, str]]) -> Obj:
    spec = crd["spec"]
    names = dict(spec["names"], shortNames=sorted(spec["names"].get("shortNames") or []),
                 categories=sorted(spec["names"].get("categories") or []))
    versions = {}
    for v in spec["versions"]:
        versions[v["name"]] = {
            "served": v.get("served"), "storage": v.get("storage"), "deprecated": bool(v.get("deprecated")),
            "subresources": v.get("subresources") or {},
            "columns": sorted(json.dumps(c, sort_keys=True) for c in v.get("additionalPrinterColumns") or []),
            "schema": _facts(v["schema"]["openAPIV3Schema"], f"{crd['metadata']['name']}/{v['name']}", patterns),
        }
    return {"group": spec["group"], "scope": spec["scope"], "names": names, "versions": versions}


def _differences(theirs: Any, ours: Any, path: str = "") -> list[str]:
    if isinstance(theirs, dict) and isinstance(ours, dict):
        out = []
        for key in sorted(set(theirs) | set(ours)):
            if key not in ours:
                out.append(f"{path}.{key}: upstream has it, ours does not")
            elif key not in theirs:
                out.append(f"{path}.{key}: ours has it, upstream does not")
            else:
                out += _differences(theirs[key], ours[key], f"{path}.{key}")
        return out
    if isinstance(theirs, list) and isinstance(ours, list) and len(theirs) == len(ours):
        pairs = enumerate(zip(theirs, ours, strict=True))
        return [d for n, (a, b) in pairs for d in _differences(a, b, f"{path}[{n}]")]
    return [] if theirs == ours else [f"{path}: upstream {theirs!r}, ours {ours!r}"]


def _probes() -> list[str]:
    rng = random.Random(7)
    fixed = ["", " ", "0", "1", "01", "a", ":", "65535", "65536", "1:2", "65535:65535", "65536:1", "1:2:3",
             "4294967295", "4294967296", "4294967295:0:4294967295", "4294967296:0:0", "1:2:3:4",
             "1.2.3.4", " 1.2.3.4 ", "256.1.1.1", "01.2.3.4", "1.2.3", "::", "::1", "1::", "fe80::1%eth0",
             "fe80::1%", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8:9", "1::2::3", "12345::", "::ffff:1.2.3.4",
             "1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:7::", "::1:2:3:4:5:6:7", "fd47:25e1:2f96:51::1",
             "web", "-web", "web-", "a.b_c", "x" * 64, "Ready", "cilium.io/IPsAvailable", "Bad/Type/", "a,b:c"]
    numbers = [str(rng.randrange(0, 2**34)) for _ in range(300)]
    pairs = [f"{rng.randrange(0, 2**33)}:{rng.randrange(0, 2**17)}" for _ in range(300)]
    triples = [":".join(str(rng.randrange(0, 2**33)) for _ in range(3)) for _ in range(300)]
    v6 = []
    for _ in range(300):
        groups = [f"{rng.randrange(0, 2**16):x}" for _ in range(8)]
        i = rng.randrange(8)
        j = rng.randrange(i, 9)
        v6 += [":".join(groups), ":".join(groups[:i]) + "::" + ":".join(groups[j:])]
    return fixed + numbers + pairs + triples + v6


@pytest.fixture(scope="module")
def upstream() -> dict[str, Obj]:
    folder = reference_crds()
    files = sorted(Path(folder).glob("*/*.yaml"))
    assert files, f"{folder}: no */*.yaml CRD files"
    return {c["metadata"]["name"]: c for c in load_crd_files(files)}


def _flags(crd: Obj) -> list[tuple[str, bool, bool]]:
    return sorted((v["name"], bool(v.get("storage")), bool(v.get("deprecated"))) for v in crd["spec"]["versions"])


def _matching(upstream: dict[str, Obj]) -> dict[str, tuple[CiliumVersion, Obj]]:
    """Per upstream CRD, the newest release whose lab CRD serves the same versions with the same flags."""
    found = {}
    for name, theirs in upstream.items():
        for release in RELEASES:
            ours = next((c for c in cilium_crds(release) if c["metadata"]["name"] == name), None)
            if ours is not None and _flags(ours) == _flags(theirs):
                found[name] = (release, ours)
                break
    return found


def test_same_crds(upstream: dict[str, Obj]) -> None:
    modelled = {c["metadata"]["name"] for release in RELEASES for c in cilium_crds(release)}
    assert sorted(modelled) == sorted(upstream)


def test_every_upstream_file_is_one_release_of_the_table(upstream: dict[str, Obj]) -> None:
    matched = _matching(upstream)
    assert sorted(matched) == sorted(upstream), {n: _flags(c) for n, c in upstream.items() if n not in matched}


def test_every_fact_agrees(upstream: dict[str, Obj]) -> None:
    problems = []
    for name, (release, ours) in _matching(upstream).items():
        problems += _differences(_crd_facts(upstream[name], []), _crd_facts(ours, []), f"{name} ({release})")
    assert not problems, "\n".join(problems)


def test_patterns_accept_the_same_strings(upstream: dict[str, Obj]) -> None:
    found: list[dict[str, str]] = []
    ours = [crd for _, crd in _matching(upstream).values()]
    for crds in (list(upstream.values()), ours):
        patterns: list[tuple[str, str]] = []
        for crd in crds:
            _crd_facts(crd, patterns)
        found.append(dict(patterns))
    theirs, ours = found
    assert sorted(theirs) == sorted(ours)
    probes = _probes()
    disagree = [(path, probe) for path, pattern in theirs.items() for probe in probes
                if bool(re.search(pattern, probe)) != bool(re.search(ours[path], probe))]
    assert not disagree, disagree[:20]
