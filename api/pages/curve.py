"""A student's mastery curve for one skill as an SVG line chart.

x is the practice opportunity (0 = before the first answer, i.e. the prior), y is
P(mastered) in percent. Right and wrong answers get different marker shapes
(filled circle / open cross), not only different colours, and the mastery
threshold is a labelled dashed line. Pure: points in, markup out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
HEIGHT = 260
PAD_L = 48
PAD_R = 16
PAD_T = 16
PAD_B = 40


@dataclass(frozen=True)
class CurvePoint:
    """Mastery after one answer, and whether that answer was right."""

    mastery: float
    correct: bool
    label: str = ""


def _x(i: int, n: int) -> float:
    span = WIDTH - PAD_L - PAD_R
    return PAD_L + (span * i / n if n else 0.0)


def _y(v: float) -> float:
    span = HEIGHT - PAD_T - PAD_B
    return PAD_T + span * (1.0 - min(1.0, max(0.0, v)))


def x_ticks(n: int, most: int = 10) -> list[int]:
    """At most `most`+1 round tick positions from 0 to n inclusive."""
    if n <= 0:
        return [0]
    step = 1
    for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000):
        step = s
        if n / s <= most:
            break
    ticks = list(range(0, n + 1, step))
    if ticks[-1] != n:
        ticks.append(n)
    return ticks


def render_mastery_curve(
    points: Sequence[CurvePoint],
    *,
    prior: float,
    threshold: float,
    title: str,
    svg_id: str = "mastery-curve",
) -> Markup:
    """SVG line chart of mastery over opportunities, starting at the prior."""
    n = len(points)
    values = [prior] + [p.mastery for p in points]
    coords = [(_x(i, n), _y(v)) for i, v in enumerate(values)]
    right = sum(1 for p in points if p.correct)
    final = values[-1]
    desc = (
        f"{n} answers ({right} right, {n - right} wrong); mastery went from "
        f"{prior * 100:.0f}% to {final * 100:.0f}% (threshold {threshold * 100:.0f}%)."
    )
    out: list[str] = [
        f'<svg class="mastery-curve" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{svg_id}-t {svg_id}-d">',
        f'<title id="{svg_id}-t">{escape(title)}</title>',
        f'<desc id="{svg_id}-d">{escape(desc)}</desc>',
        '<g class="mc-grid">',
    ]
    for pct in (0, 25, 50, 75, 100):
        y = _y(pct / 100)
        out.append(
            f'<line x1="{PAD_L}" x2="{WIDTH - PAD_R}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="mc-tick" x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{pct}%</text>'
        )
    for t in x_ticks(n):
        x = _x(t, n)
        out.append(
            f'<text class="mc-tick" x="{x:.1f}" y="{HEIGHT - PAD_B + 16}" '
            f'text-anchor="middle">{t}</text>'
        )
    out.append("</g>")
    ty = _y(threshold)
    out.append(
        f'<line class="mc-threshold" x1="{PAD_L}" x2="{WIDTH - PAD_R}" '
        f'y1="{ty:.1f}" y2="{ty:.1f}"/>'
        f'<text class="mc-threshold-label" x="{WIDTH - PAD_R - 4}" y="{ty - 5:.1f}" '
        f'text-anchor="end">mastery {threshold * 100:.0f}%</text>'
    )
    out.append(
        f'<text class="mc-axis" x="{(PAD_L + WIDTH - PAD_R) / 2:.0f}" y="{HEIGHT - 6}" '
        'text-anchor="middle">answers</text>'
    )
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    out.append(f'<polyline class="mc-line" points="{path}"/>')
    out.append(f'<circle class="mc-prior" cx="{coords[0][0]:.1f}" cy="{coords[0][1]:.1f}" r="4"/>')
    for p, (x, y) in zip(points, coords[1:], strict=True):
        if p.correct:
            out.append(f'<circle class="mc-right" cx="{x:.1f}" cy="{y:.1f}" r="5"/>')
        else:
            d = 5
            out.append(
                f'<path class="mc-wrong" d="M{x - d:.1f},{y - d:.1f} L{x + d:.1f},{y + d:.1f} '
                f'M{x - d:.1f},{y + d:.1f} L{x + d:.1f},{y - d:.1f}"/>'
            )
    out.append("</svg>")
    return Markup("".join(out))
