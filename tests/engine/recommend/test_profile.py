import numpy as np
import pytest

from engine.params import SkillParams
from engine.recommend import StudentState
from engine.recommend.profile import PriorProfile, ShiftDistribution, fit_shift

SKILLS = [f"S{i}" for i in range(8)]
PARAMS = {
    s: SkillParams(prior=0.2 + 0.08 * i, learn=0.15, guess=0.2, slip=0.1)
    for i, s in enumerate(SKILLS)
}


def answered(correct: bool, skills: list[str]) -> StudentState:
    state = StudentState()
    for s in skills:
        state.record(s, None, correct, PARAMS[s])
    return state


def test_no_answers_means_the_model_priors() -> None:
    view = PriorProfile(SKILLS, PARAMS, spread=1.5).evaluate(StudentState())
    assert view.priors == pytest.approx([PARAMS[s].prior for s in SKILLS], abs=1e-9)
    assert view.own == pytest.approx(view.priors)
    assert view.learned == [0.0] * len(SKILLS)


def test_zero_spread_is_plain_bkt() -> None:
    state = answered(True, SKILLS[:5])
    view = PriorProfile(SKILLS, PARAMS, spread=0.0).evaluate(state)
    assert view.priors == pytest.approx([PARAMS[s].prior for s in SKILLS])
    assert view.own == pytest.approx([state.mastery(s, PARAMS[s]) for s in SKILLS])


def test_a_strong_profile_raises_untested_priors_and_a_weak_one_lowers_them() -> None:
    profile = PriorProfile(SKILLS, PARAMS, spread=1.0)
    strong = profile.evaluate(answered(True, SKILLS[:6]))
    weak = profile.evaluate(answered(False, SKILLS[:6]))
    for i in (6, 7):  # never practised
        assert strong.priors[i] > PARAMS[SKILLS[i]].prior > weak.priors[i]
        assert strong.own[i] == strong.priors[i]


def test_a_skill_does_not_count_its_own_answers_twice() -> None:
    """With one practised skill, its calibrated prior is the model prior (leave-one-out)."""
    state = answered(True, SKILLS[:1])
    view = PriorProfile(SKILLS, PARAMS, spread=1.0).evaluate(state)
    assert view.priors[0] == pytest.approx(PARAMS["S0"].prior, abs=1e-9)
    assert view.own[0] == pytest.approx(state.mastery("S0", PARAMS["S0"]), abs=1e-9)
    assert view.priors[1] > PARAMS["S1"].prior


def test_forgetting_shrinks_own_mastery_like_the_state_does() -> None:
    params = {s: SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, forget=0.1) for s in SKILLS}
    state = StudentState()
    state.record("S0", None, True, params["S0"])
    for _ in range(5):
        state.record("S1", None, True, params["S1"])
    view = PriorProfile(SKILLS, params, spread=0.0).evaluate(state)
    assert view.own[0] == pytest.approx(state.mastery("S0", params["S0"]))


def test_negative_spread_is_rejected() -> None:
    with pytest.raises(ValueError, match="spread"):
        PriorProfile(SKILLS, PARAMS, spread=-1.0)


def test_normal_shift_is_the_spread_default() -> None:
    state = answered(True, SKILLS[:5])
    a = PriorProfile(SKILLS, PARAMS, spread=1.3).evaluate(state)
    b = PriorProfile(SKILLS, PARAMS, 0.0, ShiftDistribution.normal(1.3)).evaluate(state)
    assert a.priors == pytest.approx(b.priors) and a.own == pytest.approx(b.own)
    assert ShiftDistribution.normal(1.3).sd() == pytest.approx(1.3, rel=0.1)


def test_fit_shift_finds_a_two_group_student_body() -> None:
    """Half the students know everything, half nothing: the fitted shift splits in two."""
    states = [answered(True, SKILLS) for _ in range(30)] + [
        answered(False, SKILLS) for _ in range(30)
    ]
    for st in states:  # a second round of the same answers: clearer evidence per skill
        correct = st.skills[SKILLS[0]].correct > 0
        for s in SKILLS:
            st.record(s, None, correct, PARAMS[s])
    dist = fit_shift(SKILLS, PARAMS, states)
    theta, w = np.array(dist.theta), np.array(dist.weights)
    assert w.sum() == pytest.approx(1.0)
    assert w[theta > 1.0].sum() == pytest.approx(0.5, abs=0.05)
    assert w[theta < -1.0].sum() == pytest.approx(0.5, abs=0.05)
    # Under the fitted body a strong student's untested skill is far likelier known than
    # under the Normal(0, 1) default: the profile follows the student, not the average.
    probe = answered(True, SKILLS[:6])
    fitted = PriorProfile(SKILLS, PARAMS, 1.0, dist).evaluate(probe)
    default = PriorProfile(SKILLS, PARAMS, 1.0).evaluate(probe)
    assert fitted.priors[7] > default.priors[7] > PARAMS[SKILLS[7]].prior


def test_shift_distribution_and_fit_validate() -> None:
    with pytest.raises(ValueError, match="same non-zero length"):
        ShiftDistribution((0.0, 1.0), (1.0,))
    with pytest.raises(ValueError, match="weights >= 0"):
        ShiftDistribution((0.0,), (-1.0,))
    with pytest.raises(ValueError, match="no student"):
        fit_shift(SKILLS, PARAMS, [StudentState()])
