"""Bounds: item guess floors, the dict form, floor validation."""

from __future__ import annotations

import math

import pytest

from engine.bounds import Bounds, check_floors
from engine.params import ParamsError


def test_a_floor_overrides_the_skills_guess_bounds() -> None:
    b = Bounds.capped(0.3, 0.3)
    assert b.guess_interval(None) == (0.0, 0.3)
    assert b.guess_interval(0.25) == (0.25, 0.3)
    assert b.guess_interval(0.5) == (0.5, 0.5)
    assert Bounds(guess=(0.1, 0.4)).guess_interval(0.05) == (0.1, 0.4)


def test_bounds_dict_round_trip() -> None:
    b = Bounds(prior=(0.01, 0.99), guess=(0.0, 0.3))
    assert Bounds.from_dict(b.to_dict()) == b
    assert Bounds.from_dict({}) == Bounds()
    with pytest.raises(ParamsError, match=r"unknown parameter\(s\) \['gues'\]"):
        Bounds.from_dict({"gues": [0, 1]})


@pytest.mark.parametrize(
    ("floors", "match"),
    [
        ({"a": 1.0}, r"guess_floors\['a'\]: need 0 <= floor < 1"),
        ({"a": -0.1}, r"guess_floors\['a'\]"),
        ({"a": math.nan}, r"guess_floors\['a'\]"),
        ({"a": "x"}, r"guess_floors\['a'\]: expected a number"),
        ({1: 0.2}, "item ids must be strings"),
        ([("a", 0.2)], "expected a mapping"),
    ],
)
def test_bad_floors_are_refused(floors: object, match: str) -> None:
    with pytest.raises(ParamsError, match=match):
        check_floors(floors)  # type: ignore[arg-type]


def test_floors_are_validated_and_copied() -> None:
    src = {"mc4": 0.25, "tf": 0.5}
    out = check_floors(src)
    assert out == src and out is not src
    assert check_floors(None) == {}
