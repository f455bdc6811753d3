"""Colour-blind-safe sequential scale for mastery values, with readable text on top.

The scale is cividis-like (dark blue -> grey -> yellow): lightness rises steadily,
so it reads the same for the common colour-vision deficiencies and in greyscale
print. Text on a cell is black or white, whichever contrasts more; by the WCAG
formula the better of the two is always at least 4.58:1.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache

# (position, hex) anchors of the scale, interpolated linearly in sRGB.
SCALE: tuple[tuple[float, str], ...] = (
    (0.00, "#00204d"),
    (0.25, "#31446b"),
    (0.50, "#7c7b78"),
    (0.75, "#bcaf6f"),
    (1.00, "#ffea46"),
)
DARK_TEXT = "#000000"
LIGHT_TEXT = "#ffffff"
NO_EVIDENCE_BACKGROUND = "#e8e8e8"


@dataclass(frozen=True)
class Swatch:
    """One colour of the scale: background and the text colour to draw on it."""

    value: float
    background: str
    foreground: str


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _hex(rgb: tuple[float, float, float]) -> str:
    return "#" + "".join(f"{max(0, min(255, round(c))):02x}" for c in rgb)


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def lin(c: int) -> float:
        s = c / 255.0
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = _rgb(hex_colour)
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast_ratio(a: str, b: str) -> float:
    """WCAG 2 contrast ratio between two colours (1 to 21)."""
    la, lb = relative_luminance(a), relative_luminance(b)
    hi, lo = max(la, lb), min(la, lb)
    return (hi + 0.05) / (lo + 0.05)


def scale_colour(value: float) -> str:
    """Background colour for a value in [0, 1] (clamped; NaN is an error)."""
    if math.isnan(value):
        raise ValueError("scale_colour: value is NaN")
    v = min(1.0, max(0.0, value))
    for (p0, c0), (p1, c1) in itertools.pairwise(SCALE):
        if v <= p1:
            t = 0.0 if p1 == p0 else (v - p0) / (p1 - p0)
            r0, r1 = _rgb(c0), _rgb(c1)
            return _hex(tuple(a + (b - a) * t for a, b in zip(r0, r1, strict=True)))  # type: ignore[arg-type]
    return SCALE[-1][1]


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with the background."""
    dark = contrast_ratio(DARK_TEXT, background)
    light = contrast_ratio(LIGHT_TEXT, background)
    return DARK_TEXT if dark >= light else LIGHT_TEXT


def swatch(value: float) -> Swatch:
    """Colours for a value; computed once per 1/1000 step (a heatmap has thousands of cells)."""
    if math.isnan(value):
        raise ValueError("swatch: value is NaN")
    bg, fg = _quantized(round(min(1.0, max(0.0, value)) * 1000))
    return Swatch(value=value, background=bg, foreground=fg)


@lru_cache(maxsize=1001)
def _quantized(step: int) -> tuple[str, str]:
    bg = scale_colour(step / 1000)
    return bg, text_colour(bg)


def legend(steps: int = 5) -> list[Swatch]:
    """Evenly spaced swatches from 0 to 1 for a legend (steps >= 2)."""
    if steps < 2:
        raise ValueError(f"legend: steps must be >= 2, got {steps}")
    return [swatch(i / (steps - 1)) for i in range(steps)]


def css_gradient() -> str:
    """The scale as a CSS linear-gradient, for a continuous legend bar."""
    stops = ", ".join(f"{c} {p * 100:.0f}%" for p, c in SCALE)
    return f"linear-gradient(to right, {stops})"
