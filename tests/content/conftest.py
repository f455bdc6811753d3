"""A small valid curriculum as data, which tests break in one place at a time."""

from __future__ import annotations

import copy
from typing import Any

import pytest

BASE: dict[str, Any] = {
    "format_version": 1,
    "id": "mini",
    "name": "Mini curriculum",
    "units": [{"id": "u1", "name": "Unit one", "skills": ["a", "b", "c"]}],
    "skills": [
        {"id": "a", "name": "Skill A", "grade_band": "4", "standard": "4.NF.A.1"},
        {"id": "b", "name": "Skill B", "grade_band": "5", "requires": ["a"]},
        {"id": "c", "name": "Skill C", "grade_band": "5-6", "requires": ["a", "b"]},
    ],
    "items": [
        {
            "id": "i-a",
            "skills": ["a"],
            "type": "fraction",
            "prompt": "Simplify 2/4.",
            "answer": {"value": "1/2", "simplest_form": True},
            "hints": ["Divide top and bottom by 2."],
            "solution": "2/4 = 1/2.",
            "difficulty": "easy",
        },
        {
            "id": "i-b",
            "skills": ["b"],
            "type": "numeric",
            "prompt": "What is 1/2 + 1/4 as a decimal?",
            "answer": {"value": 0.75, "allow_fraction": False},
        },
        {
            "id": "i-c",
            "skills": ["c"],
            "type": "multiple_choice",
            "prompt": "Which is largest?",
            "answer": {"choices": ["1/2", "2/3", "3/5"], "correct": "2/3"},
        },
        {
            "id": "i-bc",
            "skills": ["b", "c"],
            "type": "short_text",
            "prompt": "Is 3/6 equal to 1/2? Answer yes or no.",
            "answer": {"accepted": ["yes"]},
        },
    ],
}


@pytest.fixture
def data() -> dict[str, Any]:
    """A fresh deep copy of a valid curriculum, safe to mutate."""
    return copy.deepcopy(BASE)
