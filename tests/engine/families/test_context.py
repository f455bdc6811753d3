"""The previous-answer context (`recent`): past rows only, all context terms at the skill's
values is the `student` family to the bit, probabilities in [0, 1], batch = online, and a
fit that finds a copied answer."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.families.context import CONTEXTS, class_name, previous_answer, with_context
from engine.families.io import load_model
from engine.families.online import OnlineStudent
from engine.families.population import Population
from engine.families.simulate import simulate_students
from engine.families.student_fit import StudentFitter
from engine.families.student_model import StudentModel
from engine.metrics import compute_scored
from engine.params import ModelParams, SkillParams
from engine.responses import Responses

FAST = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
extreme = st.one_of(
    st.sampled_from([0.0, 1.0, 1e-300, 1.0 - 1e-16]),
    st.floats(min_value=0.0, max_value=1.0, allow_nan=False),
)
# one student's answers in time order: (skill, correct)
history = st.lists(
    st.tuples(st.sampled_from(["s", "t"]), st.integers(0, 1)), min_size=1, max_size=40
)
GRID = Population.from_array(
    np.array([-6.0, 0.0, 6.0]), np.array([-3.0, 3.0]), np.full((3, 2), 1.0 / 6.0)
)


def _responses(answers: list[list[tuple[str, int]]]) -> Responses:
    rows = [(sk, f"u{i}", c) for i, a in enumerate(answers) for sk, c in a]
    return Responses.from_columns(
        [c for _, _, c in rows], [s for s, _, _ in rows], [u for _, u, _ in rows]
    )


@st.composite
def skill(draw: st.DrawFn, contexts: bool) -> SkillParams:
    g = {c: draw(extreme) for c in CONTEXTS} if contexts else {}
    s = {c: draw(extreme) for c in CONTEXTS} if contexts else {}
    return SkillParams(prior=draw(extreme), learn=draw(extreme), guess=draw(extreme),
                       slip=draw(extreme), forget=draw(extreme), item_guess=g,
                       item_slip=s)  # fmt: skip


def test_contexts_come_from_the_previous_answer_of_the_student_on_any_skill() -> None:
    r = _responses([[("s", 1), ("t", 0), ("t", 1), ("s", 0)], [("t", 0), ("t", 0)]])
    assert r.position is not None
    order = np.argsort(r.position)
    names = [CONTEXTS[c] for c in previous_answer(r)[order]]
    assert names == ["first", "other right", "same wrong", "other right", "first", "same wrong"]


@FAST
@given(a=history, b=history, flip=st.integers(0, 79))
def test_a_rows_context_never_depends_on_its_own_or_a_later_label(
    a: list[tuple[str, int]], b: list[tuple[str, int]], flip: int
) -> None:
    r = _responses([a, b])
    assert r.position is not None
    t = flip % len(r)
    changed = replace(r, correct=r.correct.copy())
    changed.correct[t] ^= 1
    moved = np.flatnonzero(previous_answer(r) != previous_answer(changed))
    # only the student's next answer after row t sees its label
    assert moved.size <= 1
    assert np.all((r.student[moved] == r.student[t]) & (r.position[moved] > r.position[t]))


@FAST
@given(p=skill(False), q=skill(False), a=history, b=history)
def test_context_terms_at_the_skills_values_are_the_student_family_to_the_bit(
    p: SkillParams, q: SkillParams, a: list[tuple[str, int]], b: list[tuple[str, int]]
) -> None:
    base = ModelParams(skills={"s": p, "t": q}, forgets=True)
    same = {
        k: replace(v, item_guess=dict.fromkeys(CONTEXTS, v.guess),
                   item_slip=dict.fromkeys(CONTEXTS, v.slip))
        for k, v in base.skills.items()
    }  # fmt: skip
    data = _responses([a, b])
    plain = StudentModel(base=base, population=GRID).predict_trace(data)
    ctx = StudentModel(
        base=replace(base, skills=same, multigs=True), population=GRID, context="previous"
    ).predict_trace(data)
    assert np.array_equal(ctx.p_correct, plain.p_correct)
    assert np.array_equal(ctx.mastery, plain.mastery)
    assert ctx.shifts == plain.shifts


@FAST
@given(p=skill(True), q=skill(True), a=history, b=history)
def test_every_probability_stays_in_the_unit_interval(
    p: SkillParams, q: SkillParams, a: list[tuple[str, int]], b: list[tuple[str, int]]
) -> None:
    base = ModelParams(skills={"s": p, "t": q}, forgets=True, multigs=True)
    model = StudentModel(base=base, population=GRID, context="previous")
    pred = model.predict_trace(_responses([a, b]))
    for arr in (pred.p_correct, pred.mastery):
        assert np.all(np.isfinite(arr)) and np.all((arr >= 0.0) & (arr <= 1.0)), arr


def _copied(n_students: int, seed: int) -> Responses:
    """Simulated students whose every answer on k0 is recorded twice, the copy on `dup`
    (a problem tagged with two skills, split into one row per skill)."""
    skills = {f"k{i}": SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, forget=0.02)
              for i in range(2)}  # fmt: skip
    sim = simulate_students(ModelParams(skills=skills, forgets=True), n_students, 12,
                            np.random.default_rng(seed)).responses  # fmt: skip
    assert sim.position is not None
    rows: list[tuple[int, str, str]] = []
    for t in np.lexsort((sim.position, sim.student)).tolist():
        sk, u, c = sim.skills[sim.skill[t]], sim.students[sim.student[t]], int(sim.correct[t])
        rows.append((c, sk, u))
        if sk == "k0":
            rows.append((c, "dup", u))
    return Responses.from_columns([c for c, _, _ in rows], [s for _, s, _ in rows],
                                  [u for _, _, u in rows])  # fmt: skip


@pytest.fixture(scope="module")
def fitted() -> tuple[StudentFitter, StudentFitter, Responses]:
    train = _copied(150, 1)
    student = StudentFitter(random_state=0, max_iter=20).fit(train)
    recent = StudentFitter(context=True, random_state=0, max_iter=20).fit(train)
    return student, recent, _copied(80, 2)


def test_recent_finds_the_copied_answer(
    fitted: tuple[StudentFitter, StudentFitter, Responses],
) -> None:
    student, recent, test = fitted
    dup = test.skill == test.skills.index("dup")
    loss = [compute_scored(test.correct[dup], m.params_.predict(test)[dup]).log_loss
            for m in (student, recent)]  # fmt: skip
    assert loss[1] < 0.5 * loss[0], loss
    g = recent.params_.skills["dup"].item_guess[class_name("", "other right")]
    assert g > 0.9


def test_batch_filter_equals_online_updates_and_json_keeps_the_context(
    fitted: tuple[StudentFitter, StudentFitter, Responses], tmp_path: Path
) -> None:
    model = fitted[1].params_
    model.save(tmp_path / "m.json")
    back = load_model(tmp_path / "m.json")
    assert isinstance(back, StudentModel) and back.context == "previous"
    r = fitted[2].for_students(list(fitted[2].students[:4]))
    pred = back.predict_trace(r)
    assert r.position is not None
    order = np.argsort(r.position, kind="stable")
    for name in r.students[:4]:
        online = OnlineStudent(back)
        for t in order[r.student[order] == r.students.index(name)].tolist():
            upd = online.update(r.skills[r.skill[t]], bool(r.correct[t]))
            assert upd.p_correct == pytest.approx(pred.p_correct[t], abs=1e-12)
            assert upd.mastery == pytest.approx(pred.mastery[t], abs=1e-12)


def test_with_context_keeps_items_only_when_asked() -> None:
    r = Responses.from_columns([1, 0, 1], ["s", "s", "s"], ["u", "u", "u"], item=["a", "b", "a"])
    assert set(with_context(r, "previous").items) == {"first", "same right", "same wrong"}
    both = with_context(r, "item+previous")
    assert set(both.items) == {"a|first", "b|same right", "a|same wrong"}
    assert with_context(r, "") is r
