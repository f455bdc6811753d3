"""Loaders on the real shared files (skip when absent): README counts and pyBKT parity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.datasets import ASSISTMENTS_TEST, ASSISTMENTS_TRAIN, CT
from engine.io import detect_format, load_responses, to_pybkt_frame


def test_ct_counts_match_the_readme(shared_data: Path) -> None:
    path = shared_data / CT
    assert detect_format(path) == "ct"
    r = load_responses(path)
    # ct.csv has no multi-KC steps ("~~"), so splitting leaves the 16,858 rows as they are
    assert len(r) == 16_858
    assert len(r.students) == 587
    assert len(r.skills) == 12
    assert len(r.items) == 550
    assert len(load_responses(path, multi_skill="error")) == 16_858
    assert int(r.correct.sum()) == 10_438


@pytest.mark.parametrize(
    ("relative", "sequences", "responses"),
    [(ASSISTMENTS_TRAIN, 3_361, 407_967), (ASSISTMENTS_TEST, 856, 117_567)],
)
def test_dkt_counts_match_the_readme(
    shared_data: Path, relative: Path, sequences: int, responses: int
) -> None:
    path = shared_data / relative
    assert detect_format(path) == "dkt"
    r = load_responses(path)
    assert len(r) == responses
    assert len(r.students) == sequences
    assert all(s.startswith(f"{path.stem}:") for s in r.students)


def test_dkt_train_and_test_students_never_collide(shared_data: Path) -> None:
    train = load_responses(shared_data / ASSISTMENTS_TRAIN)
    test = load_responses(shared_data / ASSISTMENTS_TEST)
    assert not set(train.students) & set(test.students)


@pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::FutureWarning")
def test_pybkt_sees_the_same_ct_data_as_from_the_raw_file(shared_data: Path) -> None:
    """pyBKT's own reading of ct.csv and of our `to_pybkt_frame` give identical arrays."""
    from pyBKT.util import data_helper

    path = shared_data / CT
    model_type = [False, False, False, True]  # multigs: items = problem names
    raw = data_helper.convert_data(str(path), ".*", model_type=model_type)
    ours = data_helper.convert_data(
        to_pybkt_frame(load_responses(path)), ".*", model_type=model_type
    )
    assert sorted(raw) == sorted(ours)
    for skill in raw:
        for key in ("data", "starts", "lengths", "resources"):
            np.testing.assert_array_equal(raw[skill][key], ours[skill][key], err_msg=skill)
        assert raw[skill]["gs_names"] == ours[skill]["gs_names"]
