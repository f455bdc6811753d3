"""The simulator: layout of its Responses, determinism, and that it follows the parameters."""

from __future__ import annotations

import numpy as np
import pytest

from engine.params import SkillParams
from engine.simulate import known_params, simulate
from tests.factories import model, simulated


def test_layout_is_sorted_by_skill_then_student(seed: int) -> None:
    data = simulate(known_params(3), 7, 5, np.random.default_rng(seed))
    assert len(data) == 3 * 7 * 5
    assert data.skills == ("skill0", "skill1", "skill2")
    key = data.skill.astype(np.int64) * 100 + data.student
    assert np.all(np.diff(key) >= 0)
    assert len(data.sequence_starts()) - 1 == 21
    assert list(data.students) == sorted(data.students)
    assert np.array_equal(data.row, np.arange(1, len(data) + 1))


def test_same_seed_same_data(seed: int) -> None:
    a = simulated(known_params(2), 20, 6, seed)
    b = simulated(known_params(2), 20, 6, seed)
    c = simulated(known_params(2), 20, 6, seed + 1)
    assert np.array_equal(a.correct, b.correct)
    assert not np.array_equal(a.correct, c.correct)


def test_first_answers_follow_prior_guess_and_slip(seed: int) -> None:
    p = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1)
    data = simulated(p, 20000, 1, seed)
    expected = 0.3 * 0.9 + 0.7 * 0.2
    assert abs(data.correct.mean() - expected) < 0.015


def test_items_get_their_own_parameters(seed: int) -> None:
    p = SkillParams(
        prior=0.0, learn=0.0, guess=0.2, slip=0.1, item_guess={"easy": 0.9, "hard": 0.05}
    )
    data = simulated(p, 3000, 4, seed)
    assert data.items == ("easy", "hard")
    for name, g in (("easy", 0.9), ("hard", 0.05)):
        rate = data.correct[data.item == data.items.index(name)].mean()
        assert abs(rate - g) < 0.03
    counted = simulated(model(), 10, 3, seed, items=4)
    assert counted.items == tuple(f"s/item{j}" for j in range(4))


def test_classes_set_the_prior(seed: int) -> None:
    p = SkillParams(prior=0.5, learn=0.0, guess=0.0, slip=0.0, class_prior={"A": 0.0, "B": 1.0})
    data = simulated(p, 400, 2, seed, classes=["A", "B"])
    assert data.classes == ("A", "B")
    for code, want in ((0, 0.0), (1, 1.0)):
        assert data.correct[data.student_class == code].mean() == want


def test_bad_sizes_are_refused() -> None:
    with pytest.raises(ValueError, match="n_students"):
        simulate(known_params(1), 0, 5, np.random.default_rng(0))
