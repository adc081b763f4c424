"""A lab run with one node's routes suppressed (``bgp-suppress node=mini02 prefix=172.29.52.0/24``): the
routing picture in report.html shows that node's prefix in red with the router's verdict on hover, every
session green, and real Chromium renders it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from harness.reporting.bgp_svg import FAIL, OK
from harness.reporting.model import parse_run_json
from lab.faults import inject
from tests.faults.labrun import FaultLab
from tests.labmark import require_lab
from tests.reporting.browser import render

pytestmark = pytest.mark.lab

# sessions (both families), the routes nothing outside the LB ranges reads (table and received-routes),
# and one service route: the scenario that fails on mini02
SELECTION = "established or outside or (bgp-default-ipv4 and accepted)"


@dataclass(frozen=True)
class LabRun:
    out: Path
    output: str


@pytest.fixture(scope="module")
def suppressed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabRun]:
    require_lab(request)
    tmp = tmp_path_factory.mktemp("lab-picture")
    lab = FaultLab.start(tmp / "lab")
    try:
        inject(lab.lab_dir, "bgp-suppress", node="mini02", prefix="172.29.52.0/24")
        verdicts = lab.run_feature("bgp.feature", "-k", SELECTION, "--report-dir", str(tmp / "report"))
    finally:
        lab.stop()
    yield LabRun(tmp / "report", verdicts.output)


def picture(run: LabRun) -> ET.Element:
    html = (run.out / "report.html").read_text()
    found = re.search(r"<svg class='routing'.*?</svg>", html, re.S)
    assert found is not None, "no routing picture in report.html"
    return ET.fromstring(found.group(0))


def groups(svg: ET.Element, kind: str) -> list[ET.Element]:
    return [g for g in svg.iter("g") if (g.get("class") or "").split()[:1] == [kind]]


def test_the_suppressed_nodes_prefix_is_red_and_its_sessions_green(suppressed: LabRun) -> None:
    svg = picture(suppressed)
    failing = [g for g in groups(svg, "prefix") if g.get("class") == "prefix fail"]
    assert failing and {g.get("data-node") for g in failing} == {"mini02"}, suppressed.output[-3000:]
    ingress = next(g for g in failing if g.get("data-prefix") == "172.29.52.200/32")   # the ingress, always there
    title = ingress.findtext("title") or ""
    assert ingress.get("data-status") == "not received" and "from mini02: mini02 did not send it" in title
    assert "accepted from mini01, mini03" in title
    for node in ("mini01", "mini03"):
        assert next(g for g in groups(svg, "prefix") if g.get("data-node") == node
                    and g.get("data-prefix") == "172.29.52.200/32").get("class") == "prefix ok"
    edges = groups(svg, "edge")
    assert len(edges) == 6 and all(g.get("class") == "edge ok" for g in edges)     # sessions are fine
    nodes = {g.get("data-node"): g.get("class") for g in groups(svg, "node")}
    assert nodes == {"mini01": "node ok", "mini02": "node fail", "mini03": "node ok"}


def test_the_failure_is_reported_and_nothing_names_pytest_bdd(suppressed: LabRun) -> None:
    run = parse_run_json(suppressed.out / "run.json")
    failed = [s for s in run.scenarios if s.outcome == "failed"]
    assert len(failed) == 1 and "missing at udm (172.29.51.1) from mini02" in failed[0].message
    assert failed[0].file == "features/bgp.feature" and failed[0].line
    assert "pytest_bdd/" not in suppressed.output
    for path in suppressed.out.iterdir():
        assert "pytest_bdd/" not in path.read_text(), path.name


def test_chromium_renders_the_picture_with_the_red_prefix(suppressed: LabRun, tmp_path: Path) -> None:
    page = render(suppressed.out / "report.html", tmp_path, size=(1200, 900), name="lab-report")
    assert not page.console, page.console
    assert '<svg class="routing"' in page.dom
    assert re.search(r'<g class="prefix fail" data-node="mini02"[^>]*data-prefix="172\.29\.52\.200/32"', page.dom)
    red = tuple(int(FAIL[i:i + 2], 16) for i in (1, 3, 5))
    green = tuple(int(OK[i:i + 2], 16) for i in (1, 3, 5))
    assert page.colours[red] > 100 and page.colours[green] > 400, (page.colours[red], page.colours[green])
