"""Simulate students answering under known BKT parameters (recovery tests, scale benchmarks).

Vectorised over all (skill, student) pairs, one numpy step per attempt, so ten
million responses take a few seconds. Uses the same conventions as the
engine: the response is drawn from the state *before* it, then the item's
learn/forget move the state for the next attempt; a student's prior comes
from their class when the skill has class priors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from engine.params import ModelParams, SkillParams
from engine.responses import Responses


def _item_names(
    params: ModelParams, items: Mapping[str, Sequence[str]] | int | None, skill: str
) -> list[str]:
    if isinstance(items, Mapping):
        return [str(i) for i in items.get(skill, ())]
    if isinstance(items, int):
        if items < 0:
            raise ValueError(f"items must be >= 0, got {items}")
        return [f"{skill}/item{j}" for j in range(items)]
    p = params[skill]
    return sorted(set(p.item_guess) | set(p.item_slip) | set(p.item_learn) | set(p.item_forget))


def simulate(
    params: ModelParams,
    n_students: int,
    n_attempts: int,
    rng: np.random.Generator,
    *,
    items: Mapping[str, Sequence[str]] | int | None = None,
    classes: Sequence[str] = (),
) -> Responses:
    """`n_students` students each attempt every skill of `params` `n_attempts` times.

    `items`: per-skill item names, or a count per skill (names "<skill>/item<j>"),
    or None for the items named in the skill's item maps (none: no items). Each
    attempt's item is drawn uniformly from its skill's items. `classes`: student
    classes, assigned uniformly at random (used by class priors).
    """
    if n_students < 1 or n_attempts < 1:
        raise ValueError(
            f"need n_students >= 1 and n_attempts >= 1, got {n_students}, {n_attempts}"
        )
    skills = sorted(params.skills)
    n_sk = len(skills)
    if n_sk == 0:
        raise ValueError("params has no skills to simulate")
    shape = (n_sk, n_students)

    per_skill = [_item_names(params, items, s) for s in skills]
    all_items = sorted({name for names in per_skill for name in names})
    item_code = {name: i for i, name in enumerate(all_items)}
    # parameter tables: row k = skill k, column j = its j-th item (column 0 when it has none)
    width = max(1, *(len(n) for n in per_skill))
    tab = np.zeros((4, n_sk, width))
    codes = np.zeros((n_sk, width), dtype=np.int32)
    n_items: NDArray[np.int64] = np.ones(n_sk, dtype=np.int64)
    for k, (skill, names) in enumerate(zip(skills, per_skill, strict=True)):
        p = params[skill]
        for j, name in enumerate(names or [None]):
            tab[:, k, j] = (
                p.guess_for(name),
                p.slip_for(name),
                p.learn_for(name),
                p.forget_for(name),
            )
            codes[k, j] = item_code[name] if name is not None else 0
        n_items[k] = max(1, len(names))

    student_class = (
        rng.integers(0, len(classes), n_students)
        if classes
        else np.zeros(n_students, dtype=np.int64)
    )
    class_names = tuple(sorted(set(classes))) if classes else ("",)
    class_of = (
        np.array([class_names.index(c) for c in classes], dtype=np.int32)
        if classes
        else np.zeros(1, dtype=np.int32)
    )
    prior = np.empty(shape)
    for k, skill in enumerate(skills):
        p = params[skill]
        by_class = np.array([p.prior_for(c) if classes else p.prior for c in (classes or [""])])
        prior[k] = by_class[student_class]

    sk_idx = np.arange(n_sk)[:, None]
    known = rng.random(shape) < prior
    correct = np.empty((n_sk, n_students, n_attempts), dtype=np.int8)
    item_local = (rng.random((n_sk, n_students, n_attempts)) * n_items[:, None, None]).astype(
        np.int64
    )
    for t in range(n_attempts):
        at = item_local[:, :, t]
        g = tab[0][sk_idx, at]
        s = tab[1][sk_idx, at]
        u = rng.random(shape)
        correct[:, :, t] = np.where(known, u >= s, u < g)
        u = rng.random(shape)
        known = np.where(known, u >= tab[3][sk_idx, at], u < tab[2][sk_idx, at])

    n = n_sk * n_students * n_attempts
    width_s = len(str(n_students - 1))
    students = tuple(f"s{i:0{width_s}d}" for i in range(n_students))
    return Responses(
        correct=correct.ravel(),
        skill=np.repeat(np.arange(n_sk, dtype=np.int32), n_students * n_attempts),
        student=np.tile(np.repeat(np.arange(n_students, dtype=np.int32), n_attempts), n_sk),
        item=codes[sk_idx[:, :, None], item_local].ravel().astype(np.int32),
        student_class=np.tile(np.repeat(class_of[student_class], n_attempts), n_sk),
        row=np.arange(1, n + 1, dtype=np.int64),
        skills=tuple(skills),
        students=students,
        items=tuple(all_items) if all_items else ("",),
        classes=class_names,
    )


def known_params(
    n_skills: int = 1,
    prior: float = 0.3,
    learn: float = 0.15,
    guess: float = 0.2,
    slip: float = 0.1,
    forget: float = 0.0,
) -> ModelParams:
    """Identical parameters for skills "skill00", "skill01", ...; handy for recovery and scale."""
    width = len(str(max(n_skills - 1, 0)))
    sp = SkillParams(prior=prior, learn=learn, guess=guess, slip=slip, forget=forget)
    return ModelParams(
        skills={f"skill{k:0{width}d}": sp for k in range(n_skills)}, forgets=forget > 0
    )
