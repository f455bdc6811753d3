"""Prerequisite graph as an SVG picture, layered by topological depth.

A skill's layer (column, left to right) is the length of the longest prerequisite
chain below it, so every arrow points rightwards. Within a column skills are
ordered by a few barycentre sweeps, which removes most edge crossings on
curriculum-sized graphs without a layout library. Pure: nodes and edges in,
markup out; the caller passes the topological order from `engine.graph`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from api.i18n.markers import N_

NodeState = Literal["mastered", "in_progress", "ready", "locked"]
STATES: tuple[NodeState, ...] = ("mastered", "in_progress", "ready", "locked")
STATE_LABELS: dict[str, str] = {
    "mastered": N_("Mastered"),
    "in_progress": N_("In progress"),
    "ready": N_("Ready to start"),
    "locked": N_("Locked (needs prerequisites)"),
}

NODE_W = 190
NODE_H = 52
GAP_X = 64
GAP_Y = 18
MARGIN = 16
SWEEPS = 4
LINE_CHARS = 21
DEFAULT_DESCRIPTION = "Arrows point from a prerequisite to the skill that needs it."


class GraphLayoutError(ValueError):
    """Edges do not fit the given order (unknown skill or an arrow pointing backwards)."""


@dataclass(frozen=True)
class GraphNode:
    id: str
    label: str
    state: NodeState | None = None
    href: str | None = None
    detail: str = ""
    progress: float | None = None


@dataclass(frozen=True)
class Placed:
    node: GraphNode
    layer: int
    index: int
    x: float
    y: float


@dataclass(frozen=True)
class Layout:
    placed: dict[str, Placed]
    layers: tuple[tuple[str, ...], ...]
    width: float
    height: float


def layer_depths(order: Sequence[str], edges: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Longest-path depth of each node; `order` must be topological for `edges`."""
    pos = {n: i for i, n in enumerate(order)}
    if len(pos) != len(order):
        raise GraphLayoutError("graph layout: duplicate skill id in order")
    preds: dict[str, list[str]] = {n: [] for n in order}
    for src, dst in edges:
        for end in (src, dst):
            if end not in pos:
                raise GraphLayoutError(
                    f"graph layout: edge {src!r} -> {dst!r} names unknown {end!r}"
                )
        if pos[src] >= pos[dst]:
            raise GraphLayoutError(
                f"graph layout: edge {src!r} -> {dst!r} goes against the topological order"
            )
        preds[dst].append(src)
    depth: dict[str, int] = {}
    for n in order:
        depth[n] = 1 + max((depth[p] for p in preds[n]), default=-1)
    return depth


def count_crossings(layers: Sequence[Sequence[str]], edges: Sequence[tuple[str, str]]) -> int:
    """Edge crossings between adjacent layers (edges spanning layers use their endpoints)."""
    where = {n: (li, i) for li, layer in enumerate(layers) for i, n in enumerate(layer)}
    segs = [(where[a], where[b]) for a, b in edges]
    total = 0
    for i, ((la, ia), (lb, ib)) in enumerate(segs):
        for (la2, ia2), (lb2, ib2) in segs[i + 1 :]:
            if la == la2 and lb == lb2 and (ia - ia2) * (ib - ib2) < 0:
                total += 1
    return total


def layout(nodes: Sequence[GraphNode], edges: Sequence[tuple[str, str]]) -> Layout:
    """Place nodes (given in topological order) in columns by depth."""
    order = [n.id for n in nodes]
    depth = layer_depths(order, edges)
    n_layers = 1 + max(depth.values(), default=-1)
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    for nid in order:
        layers[depth[nid]].append(nid)
    preds: dict[str, list[str]] = {n: [] for n in order}
    succs: dict[str, list[str]] = {n: [] for n in order}
    for a, b in edges:
        preds[b].append(a)
        succs[a].append(b)

    def sweep(neigh: dict[str, list[str]], indices: range) -> None:
        for li in indices:
            ref = {n: i for lay in layers for i, n in enumerate(lay)}
            cur = layers[li]
            keyed = []
            for i, n in enumerate(cur):
                ns = neigh[n]
                bary = sum(ref[m] for m in ns) / len(ns) if ns else float(i)
                keyed.append((bary, i, n))
            layers[li] = [n for _, _, n in sorted(keyed)]

    best = [list(lay) for lay in layers]
    best_cross = count_crossings(best, edges)
    for _ in range(SWEEPS):
        sweep(preds, range(1, n_layers))
        sweep(succs, range(n_layers - 2, -1, -1))
        c = count_crossings(layers, edges)
        if c < best_cross:
            best, best_cross = [list(lay) for lay in layers], c
    tallest = max((len(lay) for lay in best), default=0)
    height = 2 * MARGIN + tallest * NODE_H + max(0, tallest - 1) * GAP_Y
    width = 2 * MARGIN + n_layers * NODE_W + max(0, n_layers - 1) * GAP_X
    by_id = {n.id: n for n in nodes}
    placed: dict[str, Placed] = {}
    for li, lay in enumerate(best):
        col_h = len(lay) * NODE_H + max(0, len(lay) - 1) * GAP_Y
        top = (height - col_h) / 2
        for i, nid in enumerate(lay):
            placed[nid] = Placed(
                node=by_id[nid],
                layer=li,
                index=i,
                x=MARGIN + li * (NODE_W + GAP_X),
                y=top + i * (NODE_H + GAP_Y),
            )
    return Layout(
        placed=placed,
        layers=tuple(tuple(lay) for lay in best),
        width=max(width, NODE_W + 2 * MARGIN),
        height=max(height, NODE_H + 2 * MARGIN),
    )


def wrap_label(label: str, width: int = LINE_CHARS, lines: int = 2) -> list[str]:
    """Word-wrap into at most `lines` lines, ending with an ellipsis if cut."""
    words = label.split()
    out: list[str] = []
    cur = ""
    for w in words:
        if len(w) > width:
            w = w[: width - 1] + "…"
        if not cur:
            cur = w
        elif len(cur) + 1 + len(w) <= width:
            cur += " " + w
        else:
            out.append(cur)
            cur = w
    if cur:
        out.append(cur)
    if len(out) > lines:
        last = out[lines - 1]
        out = [*out[: lines - 1], (last[: width - 1] if len(last) >= width else last) + "…"]
    return out or [""]


def _edge_path(a: Placed, b: Placed) -> str:
    x1, y1 = a.x + NODE_W, a.y + NODE_H / 2
    x2, y2 = b.x - 6, b.y + NODE_H / 2
    mid = (x1 + x2) / 2
    return f"M{x1:.1f},{y1:.1f} C{mid:.1f},{y1:.1f} {mid:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"


ICON_W = 26
# Icons are drawn, not typed: a school machine may have no emoji font.
_ICONS = {
    "mastered": '<path class="sg-glyph" d="M-6,0 L-2,4 L6,-5"/>',
    "in_progress": '<circle class="sg-glyph" r="6"/>'
    '<path class="sg-glyph-fill" d="M0,-6 A6,6 0 0,1 0,6 z"/>',
    "ready": '<path class="sg-glyph" d="M-6,0 L5,0 M1,-4 L5,0 L1,4"/>',
    "locked": '<rect class="sg-glyph-fill" x="-6" y="-1" width="12" height="8" rx="1"/>'
    '<path class="sg-glyph" d="M-3.5,-1 V-4 A3.5,3.5 0 0,1 3.5,-4 V-1"/>',
}


def render_skill_graph(
    nodes: Sequence[GraphNode],
    edges: Sequence[tuple[str, str]],
    *,
    title: str,
    description: str = "",
    svg_id: str = "skill-graph",
) -> Markup:
    """SVG markup of the layered graph; nodes with `href` become keyboard-focusable links."""
    lay = layout(nodes, edges)
    uid = svg_id
    parts: list[str] = [
        f'<svg class="skill-graph" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {lay.width:.0f} {lay.height:.0f}" width="{lay.width:.0f}" '
        f'height="{lay.height:.0f}" role="group" aria-labelledby="{uid}-t {uid}-d">',
        f'<title id="{uid}-t">{escape(title)}</title>',
        f'<desc id="{uid}-d">{escape(description or DEFAULT_DESCRIPTION)}</desc>',
        "<defs>",
        f'<marker id="{uid}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" '
        'markerHeight="8" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" class="sg-arrowhead"/></marker>',
        "</defs>",
        '<g class="sg-edges" aria-hidden="true">',
    ]
    for a, b in edges:
        pa, pb = lay.placed[a], lay.placed[b]
        parts.append(
            f'<path class="sg-edge" d="{_edge_path(pa, pb)}" marker-end="url(#{uid}-arrow)"'
            f' data-from="{escape(a)}" data-to="{escape(b)}"/>'
        )
    parts.append("</g>")
    parts.append('<g class="sg-nodes">')
    for nid in (n.id for n in nodes):
        parts.append(_node_svg(lay.placed[nid]))
    parts.append("</g></svg>")
    return Markup("".join(parts))


def _node_svg(p: Placed) -> str:
    n = p.node
    state = n.state or "plain"
    name = n.label
    spoken = name
    if n.state:
        spoken += f": {STATE_LABELS[n.state]}"
    if n.detail:
        spoken += f", {n.detail}"
    lines = wrap_label(name)
    icon = _ICONS.get(state, "")
    text_x = p.x + (ICON_W + 6 if icon else 12)
    first_y = p.y + (NODE_H / 2) - (len(lines) - 1) * 8 + 5
    body = [
        f'<rect class="sg-box" x="{p.x:.1f}" y="{p.y:.1f}" '
        f'width="{NODE_W}" height="{NODE_H}" rx="8"/>'
    ]
    if n.progress is not None:
        frac = min(1.0, max(0.0, n.progress))
        body.append(
            f'<rect class="sg-progress" x="{p.x + 1:.1f}" y="{p.y + NODE_H - 7:.1f}" '
            f'width="{(NODE_W - 2) * frac:.1f}" height="6" rx="3"/>'
        )
    body.append(f'<text class="sg-label" x="{text_x:.1f}" y="{first_y:.1f}">')
    for i, line in enumerate(lines):
        dy = "0" if i == 0 else "16"
        body.append(f'<tspan x="{text_x:.1f}" dy="{dy}">{escape(line)}</tspan>')
    body.append("</text>")
    if icon:
        body.append(
            f'<g class="sg-icon" transform="translate({p.x + 16:.1f},{p.y + NODE_H / 2 - 1:.1f})" '
            f'aria-hidden="true">{icon}</g>'
        )
    inner = "".join(body)
    attrs = f'class="sg-node sg-{state}" data-skill="{escape(n.id)}"'
    if n.href:
        return (
            f'<a {attrs} href="{escape(n.href)}" aria-label="{escape(spoken)}">'
            f"<title>{escape(spoken)}</title>{inner}</a>"
        )
    return (
        f'<g {attrs} role="img" aria-label="{escape(spoken)}">'
        f"<title>{escape(spoken)}</title>{inner}</g>"
    )


def legend_swatch(state: str) -> Markup:
    """A small node as drawn in the graph (box and icon), for the key under a map."""
    icon = _ICONS.get(state, "")
    glyph = f'<g class="sg-icon" transform="translate(12,10)">{icon}</g>' if icon else ""
    return Markup(
        f'<svg viewBox="0 0 40 20" width="40" height="20" aria-hidden="true" focusable="false" '
        f'class="skill-graph"><g class="sg-{escape(state)}"><rect class="sg-box" x="1" y="1" '
        f'width="38" height="18" rx="4"/>{glyph}</g></svg>'
    )
