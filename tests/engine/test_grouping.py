"""The counting sort behind `Responses`' row order equals numpy's lexsort."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.grouping import skill_student_order
from engine.responses import Responses


def _lexsort(skill: np.ndarray, student: np.ndarray) -> np.ndarray:
    return np.lexsort((np.arange(skill.shape[0]), student, skill))


codes = st.integers(min_value=1, max_value=300).flatmap(
    lambda n: st.tuples(
        arrays(np.int32, n, elements=st.integers(0, 6)),
        arrays(np.int32, n, elements=st.integers(0, 40)),
    )
)


@given(codes)
def test_order_equals_lexsort(pair: tuple[np.ndarray, np.ndarray]) -> None:
    skill, student = pair
    np.testing.assert_array_equal(skill_student_order(skill, student), _lexsort(skill, student))


def test_known_order_keeps_time_within_a_student() -> None:
    skill = np.array([1, 0, 1, 0, 1], np.int32)
    student = np.array([0, 1, 0, 0, 1], np.int32)
    # skill 0: student 0 (row 3), student 1 (row 1); skill 1: student 0 (rows 0, 2), 1 (row 4)
    assert skill_student_order(skill, student).tolist() == [3, 1, 0, 2, 4]


def test_empty_and_negative_codes() -> None:
    empty = np.empty(0, np.int32)
    assert skill_student_order(empty, empty).shape == (0,)
    with pytest.raises(ValueError, match="non-negative"):
        skill_student_order(np.array([0, -1], np.int32), np.array([0, 0], np.int32))


def test_missing_names_still_take_the_string_path() -> None:
    data = Responses.from_columns([1, 0, 1], ["a", None, "a"], ["s", "s", "t"])
    assert data.skills == ("None", "a")
    assert data.skill.tolist() == [0, 1, 1]
