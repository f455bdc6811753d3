"""Mastery curve SVG: one point per answer, shapes for right and wrong, threshold line."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from api.pages.curve import CurvePoint, render_mastery_curve, x_ticks

SVG = "{http://www.w3.org/2000/svg}"


def test_points_shapes_and_description() -> None:
    pts = [CurvePoint(0.3, False), CurvePoint(0.6, True), CurvePoint(0.97, True)]
    svg = str(render_mastery_curve(pts, prior=0.2, threshold=0.95, title="Fractions for Ana"))
    root = ET.fromstring(svg)
    assert len(root.findall(f".//{SVG}circle[@class='mc-right']")) == 2
    assert len(root.findall(f".//{SVG}path[@class='mc-wrong']")) == 1
    line = root.find(f".//{SVG}polyline")
    assert line is not None and len((line.get("points") or "").split()) == 4
    desc = root.find(SVG + "desc")
    assert desc is not None and desc.text is not None
    assert "3 answers (2 right, 1 wrong)" in desc.text and "20% to 97%" in desc.text
    assert "mastery 95%" in svg


def test_higher_mastery_is_drawn_higher() -> None:
    pts = [CurvePoint(0.1, False), CurvePoint(0.9, True)]
    root = ET.fromstring(str(render_mastery_curve(pts, prior=0.5, threshold=0.9, title="t")))
    line = root.find(f".//{SVG}polyline")
    assert line is not None
    ys = [float(p.split(",")[1]) for p in (line.get("points") or "").split()]
    assert ys[1] > ys[0] > ys[2]  # SVG y grows downwards


def test_empty_history_draws_only_the_prior() -> None:
    root = ET.fromstring(str(render_mastery_curve([], prior=0.4, threshold=0.95, title="t")))
    assert root.find(f".//{SVG}circle[@class='mc-prior']") is not None
    assert root.findall(f".//{SVG}circle[@class='mc-right']") == []


def test_x_ticks_are_round_and_end_at_n() -> None:
    assert x_ticks(0) == [0]
    assert x_ticks(5) == [0, 1, 2, 3, 4, 5]
    assert x_ticks(23) == [0, 5, 10, 15, 20, 23]
    assert len(x_ticks(1000)) <= 12
