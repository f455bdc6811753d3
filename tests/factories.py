"""Shared test factories. Each area keeps its own clearly separated section; append, don't edit
another section."""

from __future__ import annotations

# =============================================================================================
# Engine fitting core (engine.fit / predict / simulate / pybkt_compat tests)
# =============================================================================================
from collections.abc import Sequence

import numpy as np
from hypothesis import strategies as st

from engine.params import ModelParams, SkillParams
from engine.responses import Responses
from engine.simulate import simulate

TRUE_BKT = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1)


def model(
    skills: dict[str, SkillParams] | None = None,
    *,
    forgets: bool = False,
    multigs: bool = False,
    multilearn: bool = False,
    multiprior: bool = False,
) -> ModelParams:
    """ModelParams with one skill "s" (TRUE_BKT) unless skills are given."""
    return ModelParams(
        skills=skills or {"s": TRUE_BKT},
        forgets=forgets,
        multigs=multigs,
        multilearn=multilearn,
        multiprior=multiprior,
    )


def simulated(
    params: ModelParams | SkillParams,
    n_students: int,
    n_attempts: int,
    seed: int,
    **kwargs: object,
) -> Responses:
    """Simulated responses; a bare SkillParams becomes skill "s"."""
    mp = model({"s": params}) if isinstance(params, SkillParams) else params
    return simulate(mp, n_students, n_attempts, np.random.default_rng(seed), **kwargs)  # type: ignore[arg-type]


def sequences(
    rows: Sequence[tuple[str, str, Sequence[int]]],
    items: Sequence[Sequence[str]] | None = None,
    classes: Sequence[str] | None = None,
) -> Responses:
    """Responses from (skill, student, answers) triples, optional per-answer items and
    per-triple student class."""
    correct: list[int] = []
    skill: list[str] = []
    student: list[str] = []
    item: list[str] = []
    cls: list[str] = []
    for i, (sk, stu, answers) in enumerate(rows):
        correct += list(answers)
        skill += [sk] * len(answers)
        student += [stu] * len(answers)
        if items is not None:
            item += list(items[i])
        if classes is not None:
            cls += [classes[i]] * len(answers)
    return Responses.from_columns(
        correct,
        skill,
        student,
        item=item if items is not None else None,
        student_class=cls if classes is not None else None,
    )


probability = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
inner_probability = st.floats(min_value=0.01, max_value=0.99, allow_nan=False)


@st.composite
def skill_params(draw: st.DrawFn, forget: bool = True, inner: bool = False) -> SkillParams:
    """Any valid parameters (edges 0 and 1 included unless `inner`)."""
    p = inner_probability if inner else probability
    return SkillParams(
        prior=draw(p),
        learn=draw(p),
        guess=draw(p),
        slip=draw(p),
        forget=draw(p) if forget else 0.0,
    )


answers = st.lists(st.integers(min_value=0, max_value=1), min_size=1, max_size=60)
