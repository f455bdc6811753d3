"""Properties of `from_frame`: time order, multi-skill policies and id normalisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.io import ColumnMapping, DataWarning, from_frame

MAPPING = ColumnMapping(correct="c", skill="k", student="u", order="t", skill_separator="~~")


@st.composite
def frames(draw: st.DrawFn) -> pd.DataFrame:
    n = draw(st.integers(1, 40))
    skills = st.sampled_from(["a", "b", "a~~b", "c"])
    return pd.DataFrame(
        {
            "c": draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
            "k": draw(st.lists(skills, min_size=n, max_size=n)),
            "u": draw(st.lists(st.sampled_from(["x", "y", "z"]), min_size=n, max_size=n)),
            "t": draw(st.permutations(range(n))),
        }
    )


def expected(df: pd.DataFrame, policy: str) -> dict[tuple[str, str], list[tuple[int, int]]]:
    """(skill, student) -> [(row, correct)] in time order, computed the slow obvious way."""
    out: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for i in np.argsort(df["t"].to_numpy(), kind="stable"):
        tags = str(df["k"].iloc[i]).split("~~")
        for skill in tags if policy == "split" else tags[:1]:
            out.setdefault((skill, df["u"].iloc[i]), []).append((i + 1, int(df["c"].iloc[i])))
    return out


@settings(max_examples=60, deadline=None)  # pandas on a busy machine can take 200 ms
@given(frames(), st.sampled_from(["split", "first"]))
def test_sequences_follow_the_order_column(df: pd.DataFrame, policy: str) -> None:
    r = from_frame(df, MAPPING, multi_skill=policy)  # type: ignore[arg-type]
    got: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for s, u, row, c in zip(r.skill, r.student, r.row, r.correct, strict=True):
        got.setdefault((r.skills[s], r.students[u]), []).append((int(row), int(c)))
    assert got == expected(df, policy)
    # sequences are contiguous: one block per (skill, student)
    assert len(r.sequence_starts()) - 1 == len(got)


def test_repeated_rows_split_keeps_all_first_keeps_the_first_listed() -> None:
    df = pd.DataFrame({"c": [1, 1, 0], "k": ["b", "a", "a"], "u": ["x", "x", "x"], "t": [5, 5, 6]})
    split = from_frame(df, MAPPING)
    assert len(split) == 3
    first = from_frame(df, MAPPING, multi_skill="first")
    assert sorted(zip(first.row.tolist(), (first.skills[k] for k in first.skill), strict=True)) == [
        (1, "b"),
        (3, "a"),
    ]


def test_integral_float_ids_and_whitespace_are_normalised() -> None:
    df = pd.DataFrame({"c": [1, 0], "k": [297.0, np.nan], "u": [" s1", "s1 "]})
    with pytest.warns(DataWarning, match="dropped 1 of 2 rows with an empty skill"):
        r = from_frame(df, ColumnMapping(correct="c", skill="k", student="u"), missing_skill="drop")
    assert r.skills == ("297",) and r.students == ("s1",) and len(r) == 1
