"""The mastery colour scale: monotone lightness and readable text everywhere."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from api.pages.palette import (
    NO_EVIDENCE_BACKGROUND,
    contrast_ratio,
    legend,
    relative_luminance,
    scale_colour,
    swatch,
    text_colour,
)


def test_scale_ends_are_the_anchor_colours() -> None:
    assert scale_colour(0.0) == "#00204d"
    assert scale_colour(1.0) == "#ffea46"
    assert scale_colour(-3.0) == "#00204d"
    assert scale_colour(7.0) == "#ffea46"


def test_scale_lightness_rises_steadily() -> None:
    lum = [relative_luminance(scale_colour(i / 100)) for i in range(101)]
    assert all(b > a for a, b in itertools.pairwise(lum))


@given(st.floats(min_value=0.0, max_value=1.0))
def test_text_on_any_cell_meets_wcag_aa(value: float) -> None:
    sw = swatch(value)
    assert contrast_ratio(sw.foreground, sw.background) >= 4.5


def test_no_evidence_grey_is_not_on_the_scale_path() -> None:
    # the "no evidence" grey must differ clearly from every scale colour in hue/lightness
    assert text_colour(NO_EVIDENCE_BACKGROUND) == "#000000"
    assert all(scale_colour(i / 50) != NO_EVIDENCE_BACKGROUND for i in range(51))


def test_contrast_ratio_known_values() -> None:
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#777777") == pytest.approx(1.0)


def test_legend_steps() -> None:
    sw = legend(5)
    assert [s.value for s in sw] == [0.0, 0.25, 0.5, 0.75, 1.0]
    with pytest.raises(ValueError, match="steps"):
        legend(1)


def test_nan_is_rejected() -> None:
    with pytest.raises(ValueError, match="NaN"):
        scale_colour(math.nan)
