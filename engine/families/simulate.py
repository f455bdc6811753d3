"""Simulated students of the student-ability model, with their true shifts (for recovery tests
and benchmarks): the generative story the fit assumes, answer by answer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.params import ModelParams
from engine.responses import Responses


@dataclass(frozen=True)
class Simulated:
    responses: Responses
    prior_shift: NDArray[np.float64]  # true shift per student, in `responses.students` order
    learn_shift: NDArray[np.float64]


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return float(np.log(p) - np.log1p(-p))


def simulate_students(
    params: ModelParams,
    n_students: int,
    n_attempts: int,
    rng: np.random.Generator,
    prior_sd: float = 1.0,
    learn_sd: float = 0.5,
) -> Simulated:
    """Each student draws shifts (a, b) ~ N(0, prior_sd^2) x N(0, learn_sd^2) and answers
    `n_attempts` times on every skill, skills taken in turn (so the time order
    interleaves them); the item of each answer is drawn uniformly from the skill's
    `item_guess` keys (none: no items). Student names sort in creation order."""
    names = sorted(params.skills)
    a = rng.normal(0.0, prior_sd, n_students) if prior_sd > 0 else np.zeros(n_students)
    b = rng.normal(0.0, learn_sd, n_students) if learn_sd > 0 else np.zeros(n_students)
    width = len(str(max(n_students - 1, 0)))
    correct: list[int] = []
    skill: list[str] = []
    student: list[str] = []
    item: list[str] = []
    has_items = any(params[k].item_guess for k in names)
    for s in range(n_students):
        known = {}
        for k in names:
            p = params[k]
            known[k] = rng.random() < 1.0 / (1.0 + np.exp(-(_logit(p.prior) + a[s])))
        for _ in range(n_attempts):
            for k in names:
                p = params[k]
                items = sorted(p.item_guess)
                it = items[int(rng.integers(len(items)))] if items else None
                g, sl = p.guess_for(it), p.slip_for(it)
                correct.append(int(rng.random() < ((1.0 - sl) if known[k] else g)))
                skill.append(k)
                student.append(f"u{s:0{width}d}")
                item.append(it or "")
                lrn = 1.0 / (1.0 + np.exp(-(_logit(p.learn) + b[s])))
                known[k] = (rng.random() >= p.forget) if known[k] else (rng.random() < lrn)
    responses = Responses.from_columns(correct, skill, student, item=item if has_items else None)
    return Simulated(responses, a, b)
