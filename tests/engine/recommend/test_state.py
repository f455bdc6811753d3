import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.params import SkillParams
from engine.recommend import StudentState
from engine.trace import trace

P = SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1)
probs = st.floats(0.01, 0.99)


def test_record_matches_the_batch_trace_without_forgetting() -> None:
    answers = [0, 0, 1, 0, 1, 1, 1]
    state = StudentState()
    for a in answers:
        state.record("A", None, bool(a), P)
    assert state.mastery("A", P) == pytest.approx(trace(P, answers).mastery[-1], abs=1e-12)
    assert state.attempts("A") == 7 and state.correct_count("A") == 4
    assert state.correct_streak("A") == 3 and state.fail_streak("A") == 0


def test_record_equals_the_trace_to_the_bit_even_after_mastery_saturates() -> None:
    """30 right then 40 wrong: a float-only state would sit at mastery 1.0 forever."""
    p = SkillParams(prior=0.3, learn=0.05, guess=0.2, slip=0.1)
    answers = [1] * 30 + [0] * 40
    state = StudentState()
    seen = []
    for a in answers:
        state.record("A", None, bool(a), p)
        seen.append(state.mastery("A", p))
    assert seen == list(trace(p, answers).mastery)
    assert seen[29] == 1.0 and seen[-1] < 0.1
    again = StudentState.from_dict(state.to_dict())
    assert again.belief("A", p) == state.belief("A", p)


def test_a_state_saved_without_the_unknown_share_still_loads() -> None:
    state = StudentState()
    state.record("A", None, True, P)
    data = state.to_dict()
    del data["skills"]["A"]["unknown"]
    old = StudentState.from_dict(data)
    assert old.mastery("A", P) == state.mastery("A", P)
    assert old.belief("A", P).unknown == pytest.approx(1.0 - state.mastery("A", P), abs=1e-15)


def test_failure_streak_and_counting_since_a_step() -> None:
    state = StudentState()
    for a in [1, 0, 0, 0]:
        state.record("A", None, bool(a), P)
    assert state.fail_streak("A") == 3
    assert state.failures_since("A", 1) == 2  # steps 2 and 3
    assert state.failures_since("A", -1) == 3


def test_decay_is_geometric_in_opportunities_elsewhere() -> None:
    f = SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, forget=0.05)
    state = StudentState()
    state.record("A", None, True, f)
    m0 = state.mastery("A", f)
    for _ in range(10):
        state.record("B", None, True, P)
    assert state.opportunities_since("A") == 10
    assert state.mastery("A", f) == pytest.approx(m0 * 0.95**10)
    # The next answer on A starts from the decayed belief.
    before = state.mastery("A", f)
    up = state.record("A", None, True, f)
    assert up.p_correct == pytest.approx(before * 0.9 + (1 - before) * 0.2)


@settings(max_examples=60, deadline=None)
@given(
    prior=probs,
    learn=st.floats(0.0, 0.5),
    guess=st.floats(0.01, 0.4),
    slip=st.floats(0.01, 0.3),
    forget=st.sampled_from([0.0, 0.02, 0.2]),
    answers=st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=30),
    other=probs,
)
def test_two_start_filter_reproduces_bkt_for_any_prior(
    prior: float,
    learn: float,
    guess: float,
    slip: float,
    forget: float,
    answers: list[tuple[bool, bool]],
    other: float,
) -> None:
    """Mixing the two paths with prior p equals tracing with prior p from the start."""
    p = SkillParams(prior=prior, learn=learn, guess=guess, slip=slip, forget=forget)
    q = SkillParams(prior=other, learn=learn, guess=guess, slip=slip, forget=forget)
    a, b = StudentState(), StudentState()
    for on_a, correct in answers:
        skill = "A" if on_a else "B"
        a.record(skill, None, correct, p)
        b.record(skill, None, correct, q)
    assert a.mastery_with_prior("A", p, prior) == pytest.approx(a.mastery("A", p), abs=1e-9)
    assert a.mastery_with_prior("A", p, other) == pytest.approx(b.mastery("A", q), abs=1e-9)
    learned = a.learned_in_session("A", p, prior)
    assert 0.0 <= learned <= a.mastery("A", p) + 1e-12


def test_round_trip_through_a_dict() -> None:
    state = StudentState(student_class="5b")
    for i, a in enumerate([1, 0, 0, 1]):
        state.record("AB"[i % 2], f"i{i}", bool(a), P)
    again = StudentState.from_dict(state.to_dict())
    assert again == state
    with pytest.raises(ValueError, match="student state"):
        StudentState.from_dict({"step": 1})


def test_unpractised_skill_reads_the_prior() -> None:
    state = StudentState(student_class="x")
    p = SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, class_prior={"x": 0.6})
    assert state.mastery("A", p) == 0.6
    assert state.opportunities_since("A") is None and state.last_step("A") == -1
    assert math.isclose(state.mastery_with_prior("A", p, 0.25), 0.25)
