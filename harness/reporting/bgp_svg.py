"""The routing picture: plain inline SVG of a RoutingState (no scripts, no fonts, no external references).

    svg = render_svg(state)          # "<svg ...>...</svg>", placed as is in report.html

The router on the left, one box per node on the right, one line per session and family between
them (green: Established and negotiated; red otherwise, dashed when there is no session), and
next to each node the prefixes it advertised with the router's verdict (accepted / filtered /
not received ...). Every edge, prefix and node carries an SVG ``<title>`` (the browser shows it on
hover) with the verdict and, for failing ones, the failed scenarios' lines naming it. Elements
carry ``class`` (``edge``/``prefix``/``node`` plus ``ok``/``fail``) and ``data-node``,
``data-family``, ``data-prefix``, ``data-status`` so tests and readers can find them.
Inline SVG in HTML needs no ``xmlns``; the output is also well-formed XML.
"""

from __future__ import annotations

from html import escape

from harness.core.redact import redact
from harness.reporting.routing import Edge, PrefixMark, RoutingState

OK = "#43a047"
FAIL = "#e53935"
INK = "#222"
MUTED = "#666"
PAD = 16
ROUTER_W, ROUTER_H = 170, 64
NODE_X, NODE_W, NODE_H = 470, 170, 60
STUB = 150          # the level end of each edge, where its label sits
PREFIX_X = NODE_X + NODE_W + 24
LINE = 18
CHAR = 7.2          # average width of a 12px sans-serif character, for sizing the canvas
FONT = "font-family='system-ui,sans-serif' font-size='12'"
HALO = "stroke='#fff' stroke-width='4' paint-order='stroke'"   # labels stay legible where they cross a line
PREFIX_HEAD = "prefixes each node sent, and the router's verdict"


def _e(text: str) -> str:
    return escape(redact(text), quote=True)


def _title(text: str) -> str:
    return f"<title>{_e(text)}</title>"


def render_svg(state: RoutingState) -> str:
    prefixes_of = {n: [p for p in state.prefixes if p.node == n] for n in state.nodes}
    edges_of = {n: [e for e in state.edges if e.node == n] for n in state.nodes}
    top = PAD + 22
    blocks: list[tuple[str, int, int]] = []        # (node, y, height)
    y = top
    for node in state.nodes:
        height = max(_node_height(edges_of[node], prefixes_of[node]) + 12, LINE * len(prefixes_of[node]) + 12,
                     20 * len(edges_of[node]) + 24)
        blocks.append((node, y, height))
        y += height + 10
    bottom = max(y, top + ROUTER_H + 20)
    longest = max([len(_label(p)) for p in state.prefixes] + [len(PREFIX_HEAD)])
    width = int(PREFIX_X + longest * CHAR + PAD)
    height = bottom + 40
    router_y = top + max(0, (bottom - top - ROUTER_H) // 2)

    parts = [f"<svg class='routing' width='{width}' height='{height}' viewBox='0 0 {width} {height}' role='img' "
             f"aria-label='{_e('BGP sessions and routes at ' + state.router)}' {FONT}>",
             f"<rect x='0' y='0' width='{width}' height='{height}' fill='#fff'/>",
             f"<text x='{PAD}' y='{PAD + 6}' fill='{MUTED}'>router</text>"
             f"<text x='{NODE_X}' y='{PAD + 6}' fill='{MUTED}'>nodes (session per family)</text>"
             f"<text x='{PREFIX_X}' y='{PAD + 6}' fill='{MUTED}'>{PREFIX_HEAD}</text>"]
    for node, block_y, _ in blocks:
        for index, edge in enumerate(edges_of[node]):
            parts.append(_edge(edge, index, len(edges_of[node]), router_y, block_y))
    parts.append(_router(state.router, router_y))
    for node, block_y, _ in blocks:
        parts.append(_node(node, block_y, edges_of[node], prefixes_of[node]))
        parts.extend(_prefix(p, block_y + 4 + i * LINE) for i, p in enumerate(prefixes_of[node]))
    parts.append(_legend(bottom + 14))
    parts.append("</svg>")
    return "\n".join(parts)


def _router(where: str, y: int) -> str:
    name, _, address = where.partition(" (")
    return (f"<g class='router' data-router='{_e(where)}'>{_title('the router: ' + where)}"
            f"<rect x='{PAD}' y='{y}' width='{ROUTER_W}' height='{ROUTER_H}' rx='8' fill='#eceff1' stroke='#455a64' "
            f"stroke-width='1.5'/><text x='{PAD + 12}' y='{y + 26}' font-weight='bold' fill='{INK}'>{_e(name)}</text>"
            f"<text x='{PAD + 12}' y='{y + 46}' fill='{MUTED}'>{_e(address.rstrip(')'))}</text></g>")


def _edge(edge: Edge, index: int, count: int, router_y: int, block_y: int) -> str:
    x1 = PAD + ROUTER_W
    y1 = router_y + ROUTER_H // 2 + (index - (count - 1) / 2) * 10
    x2 = NODE_X
    y2 = block_y + 18 + index * 20
    colour = OK if edge.ok else FAIL
    dash = " stroke-dasharray='6 4'" if edge.state == "no session" else ""
    status = "ok" if edge.ok else "fail"
    short = "not negotiated" if edge.state.startswith("Established,") else edge.state
    # a diagonal from the router, then a level stub into the node: no other edge crosses the stub's label
    return (f"<g class='edge {status}' data-node='{_e(edge.node)}' data-family='{_e(edge.family)}' "
            f"data-status='{_e(edge.state)}'>{_title(edge.detail)}"
            f"<polyline points='{x1},{y1:.0f} {x2 - STUB},{y2} {x2},{y2}' fill='none' stroke='{colour}' "
            f"stroke-width='{2.5 if edge.ok else 3.5}' stroke-linejoin='round'{dash}/>"
            f"<text x='{x2 - 6}' y='{y2 - 7}' text-anchor='end' fill='{colour}' {HALO}>"
            f"{_e(edge.family)} {_e(short)}</text>"
            f"</g>")


def _peers(edges: list[Edge], prefixes: list[PrefixMark]) -> list[str]:
    """The node's session addresses as the router knows them, each once."""
    return list(dict.fromkeys(peer for peer in [*(e.peer for e in edges), *(p.peer for p in prefixes)] if peer))


def _node_height(edges: list[Edge], prefixes: list[PrefixMark]) -> int:
    return max(NODE_H, 36 + 16 * len(_peers(edges, prefixes)))


def _node(node: str, y: int, edges: list[Edge], prefixes: list[PrefixMark]) -> str:
    failing = [e.detail.splitlines()[0] for e in edges if not e.ok] + [p.detail.splitlines()[0] for p in prefixes
                                                                        if not p.ok]
    addresses = _peers(edges, prefixes)
    peers = ", ".join(addresses)
    status = "fail" if failing else "ok"
    summary = f"{node}" + (f" ({peers})" if peers else "") + (
        ": " + "; ".join(failing) if failing else ": every session and prefix as required")
    return (f"<g class='node {status}' data-node='{_e(node)}'>{_title(summary)}"
            f"<rect x='{NODE_X}' y='{y}' width='{NODE_W}' height='{_node_height(edges, prefixes)}' rx='8' "
            f"fill='#fafafa' "
            f"stroke='{FAIL if failing else '#607d8b'}' stroke-width='{3 if failing else 1.5}'/>"
            f"<text x='{NODE_X + 12}' y='{y + 24}' font-weight='bold' fill='{INK}'>{_e(node)}</text>"
            + "".join(f"<text x='{NODE_X + 12}' y='{y + 44 + 16 * i}' fill='{MUTED}' font-size='11'>{_e(a)}</text>"
                      for i, a in enumerate(addresses)) + "</g>")


def _label(p: PrefixMark) -> str:
    return f"{p.prefix} {p.status}"


def _prefix(p: PrefixMark, y: int) -> str:
    colour = OK if p.ok else FAIL
    status = "ok" if p.ok else "fail"
    return (f"<g class='prefix {status}' data-node='{_e(p.node)}' data-family='{_e(p.family)}' "
            f"data-prefix='{_e(p.prefix)}' data-status='{_e(p.status)}'>{_title(p.detail)}"
            f"<rect x='{PREFIX_X}' y='{y + 3}' width='11' height='11' rx='2' fill='{colour}'/>"
            f"<text x='{PREFIX_X + 18}' y='{y + 13}' fill='{INK}'>{_e(p.prefix)} "
            f"<tspan fill='{colour}'>{_e(p.status)}</tspan></text></g>")


def _legend(y: int) -> str:
    x = PAD
    return (f"<g class='legend'><line x1='{x}' y1='{y}' x2='{x + 30}' y2='{y}' stroke='{OK}' stroke-width='2.5'/>"
            f"<text x='{x + 36}' y='{y + 4}' fill='{MUTED}'>Established / accepted</text>"
            f"<line x1='{x + 200}' y1='{y}' x2='{x + 230}' y2='{y}' stroke='{FAIL}' stroke-width='3.5'/>"
            f"<text x='{x + 236}' y='{y + 4}' fill='{MUTED}'>failing (hover for the message)</text>"
            f"<line x1='{x + 450}' y1='{y}' x2='{x + 480}' y2='{y}' stroke='{FAIL}' stroke-width='3.5' "
            f"stroke-dasharray='6 4'/><text x='{x + 486}' y='{y + 4}' fill='{MUTED}'>no session</text></g>")
