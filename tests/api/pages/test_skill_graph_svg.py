"""Layered prerequisite-graph layout and its SVG."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.pages.skill_graph import (
    NODE_W,
    GraphLayoutError,
    GraphNode,
    count_crossings,
    layer_depths,
    layout,
    render_skill_graph,
    wrap_label,
)

SVG = "{http://www.w3.org/2000/svg}"


def _nodes(ids: list[str]) -> list[GraphNode]:
    return [GraphNode(i, i.upper()) for i in ids]


def test_depth_is_longest_prerequisite_chain() -> None:
    order = ["a", "b", "c", "d"]
    edges = [("a", "b"), ("b", "d"), ("a", "d"), ("c", "d")]
    assert layer_depths(order, edges) == {"a": 0, "b": 1, "c": 0, "d": 2}


def test_backwards_or_unknown_edges_are_errors() -> None:
    with pytest.raises(GraphLayoutError, match="against the topological order"):
        layer_depths(["a", "b"], [("b", "a")])
    with pytest.raises(GraphLayoutError, match="unknown 'z'"):
        layer_depths(["a"], [("a", "z")])
    with pytest.raises(GraphLayoutError, match="duplicate"):
        layer_depths(["a", "a"], [])


def test_barycentre_sweeps_remove_an_avoidable_crossing() -> None:
    # a->y, b->x in given order would cross; the layout must untangle it
    nodes = _nodes(["a", "b", "x", "y"])
    edges = [("a", "y"), ("b", "x")]
    lay = layout(nodes, edges)
    assert count_crossings(lay.layers, edges) == 0


@st.composite
def dags(draw: st.DrawFn) -> tuple[list[str], list[tuple[str, str]]]:
    n = draw(st.integers(1, 12))
    ids = [f"s{i}" for i in range(n)]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=20)) if pairs else []
    return ids, [(ids[i], ids[j]) for i, j in chosen]


@settings(max_examples=60, deadline=None)
@given(dags())
def test_every_arrow_points_right_and_boxes_never_overlap(
    dag: tuple[list[str], list[tuple[str, str]]],
) -> None:
    ids, edges = dag
    lay = layout(_nodes(ids), edges)
    for a, b in edges:
        assert lay.placed[a].x + NODE_W < lay.placed[b].x
    boxes = sorted((p.x, p.y) for p in lay.placed.values())
    assert len(set(boxes)) == len(ids)
    for p in lay.placed.values():
        assert p.x >= 0 and p.x + NODE_W <= lay.width and 0 <= p.y <= lay.height


def test_svg_is_well_formed_with_links_states_and_titles() -> None:
    nodes = [
        GraphNode("add", "Adding whole numbers", "mastered", href="/s?skill=add"),
        GraphNode("sub", "Subtracting <small> numbers & more", "in_progress", progress=0.4),
        GraphNode("mul", "Multiplication", "locked"),
    ]
    svg = str(render_skill_graph(nodes, [("add", "mul"), ("sub", "mul")], title="Unit 1 map"))
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg"
    assert root.find(SVG + "title").text == "Unit 1 map"  # type: ignore[union-attr]
    links = root.findall(f".//{SVG}a")
    assert len(links) == 1 and links[0].get("href") == "/s?skill=add"
    assert links[0].get("aria-label") == "Adding whole numbers: Mastered"
    assert len(root.findall(f".//{SVG}path[@class='sg-edge']")) == 2
    assert "&lt;small&gt;" in svg and "<small>" not in svg
    assert root.find(f".//{SVG}rect[@class='sg-progress']") is not None
    locked = root.find(".//*[@data-skill='mul']")
    assert locked is not None and "sg-locked" in (locked.get("class") or "")


def test_wrap_label_cuts_with_ellipsis() -> None:
    assert wrap_label("short") == ["short"]
    lines = wrap_label("one two three four five six seven eight nine ten eleven", width=12)
    assert len(lines) == 2 and lines[-1].endswith("…")
    assert all(len(line) <= 12 for line in lines)
    assert wrap_label("x" * 40, width=10) == ["x" * 9 + "…"]
