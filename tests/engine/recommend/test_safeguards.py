"""What keeps a bad model or a lucky streak from trapping a student: the runtime self-check,
prerequisite re-checks, confirmed mastery, the run bound and reviewable certainty."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.params import SkillParams
from engine.recommend import Item, Recommender, RecommenderSettings, SkillGraph, StudentState
from engine.recommend.state import CONTRADICTION_RUN
from tests.engine.recommend.graphs import chain, items_for, params_for

PLAIN = RecommenderSettings(student_spread=0.0, implication=0.0)


def test_a_run_of_right_answers_that_does_not_raise_mastery_flags_the_skill() -> None:
    g = chain()
    params = params_for(g)
    params["A"] = SkillParams(prior=0.2, learn=0.1, guess=0.7, slip=0.5)  # inverted model
    r = Recommender(g, params, PLAIN)
    state = StudentState()
    offered_a = 0
    for _ in range(30):
        rec = r.recommend(state, n=1)[0]
        if rec.skill_id != "A":
            assert state.skills["A"].contradicted
            assert "told your teacher" in rec.reason
            break
        offered_a += 1
        r.observe(state, rec.item_id, True)
    assert offered_a == CONTRADICTION_RUN, "moved on as soon as the evidence contradicted"
    assert not r.mastered(state, r.beliefs(state), "A")
    assert all(x.skill_id != "A" for x in r.recommend(state, n=2))


@settings(max_examples=60, deadline=None)
@given(
    guess=st.floats(0.01, 0.45),
    slip=st.floats(0.01, 0.45),  # slip 0 with learn 0: one wrong answer settles it for good
    learn=st.floats(0.0, 1.0),
    forget=st.floats(0.0, 0.5),
    prior=st.floats(0.01, 0.99),  # pinned at 0 or 1 it cannot move: the gate refuses that
    answers=st.lists(st.booleans(), max_size=40),
)
def test_sane_parameters_are_never_flagged(
    guess: float, slip: float, learn: float, forget: float, prior: float, answers: list[bool]
) -> None:
    p = SkillParams(prior=prior, learn=learn, guess=guess, slip=slip, forget=forget)
    state = StudentState()
    for a in answers:
        state.record("s", "s0", a, p)
    assert not state.skills.get("s") or not state.skills["s"].contradicted


def _mastered_prerequisites(r: Recommender, state: StudentState) -> None:
    for item in ("A0", "A1", "A2", "B0", "B1", "B2"):
        r.observe(state, item, True)
    beliefs = r.beliefs(state)
    assert r.mastered(state, beliefs, "A") and r.mastered(state, beliefs, "B")


def test_repeated_failure_rechecks_a_prerequisite_rated_mastered() -> None:
    g = chain()
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState()
    _mastered_prerequisites(r, state)
    settings_ = r.settings
    for _ in range(settings_.recheck_streak - 1):
        r.observe(state, "C0", False)
        assert r.recommend(state, n=1)[0].skill_id == "C", "a few misses: keep practising"
    r.observe(state, "C1", False)
    rec = r.recommend(state, n=1)[0]
    assert rec.kind == "gap" and rec.recheck and rec.skill_id == "B" and rec.related == "C"
    assert "again" in rec.reason
    r.observe(state, rec.item_id, True)  # B is fine after all: back to C
    back = r.recommend(state, n=1)[0]
    assert back.skill_id == "C" and back.kind == "return"
    r.observe(state, "C2", False)
    again = r.recommend(state, n=1)[0]
    assert again.skill_id == "C" and not again.recheck, "each prerequisite once per run"


def test_a_mastery_of_one_is_still_reviewable() -> None:
    g = SkillGraph(["A", "B"], {}, items_for(["A", "B"]))
    params = {s: SkillParams(prior=0.5, learn=1.0, guess=0.05, slip=0.01) for s in "AB"}
    r = Recommender(g, params, PLAIN)
    state = StudentState()
    for item in ("A0", "A1", "A2", "B0", "B1", "B2") * 3:
        r.observe(state, item, True)
    assert state.mastery("A", params["A"]) == 1.0
    recs = r.recommend(state, n=2)
    assert {x.kind for x in recs} == {"review"} and {x.skill_id for x in recs} == {"A", "B"}
    assert recs[0].skill_id == "A", "the one practised longest ago first"


def test_mastery_on_guessable_items_only_is_confirmed_on_another_item() -> None:
    items = [Item("yn0", "A"), Item("yn1", "A"), Item("typed", "A")]
    g = SkillGraph(["A"], {}, items)
    p = SkillParams(prior=0.5, learn=0.3, guess=0.1, slip=0.05, item_guess={"yn0": 0.5, "yn1": 0.5})
    r = Recommender(g, {"A": p}, PLAIN)
    state = StudentState()
    for item in ("yn0", "yn1", "yn0", "yn1"):
        r.observe(state, item, True)
    beliefs = r.beliefs(state)
    assert beliefs.effective["A"] >= 0.95
    assert not r.mastered(state, beliefs, "A")
    nxt = r.recommend(state, n=1)[0]
    assert nxt.item_id == "typed", "the confirmation is the item one cannot guess"
    r.observe(state, "typed", True)
    assert r.mastered(state, r.beliefs(state), "A")


def test_after_a_run_of_wrong_answers_mastery_needs_a_right_streak() -> None:
    g = SkillGraph(["A"], {}, items_for(["A"]))
    p = SkillParams(prior=0.2, learn=0.6, guess=0.1, slip=0.05)  # BKT believes fast learning
    r = Recommender(g, {"A": p}, PLAIN)
    state = StudentState()
    for a in (False, False, False, True, True):
        r.observe(state, f"A{len(state.item_seen) % 4}", a)
    beliefs = r.beliefs(state)
    assert beliefs.effective["A"] >= 0.95 and not r.mastered(state, beliefs, "A")
    r.observe(state, "A1", True)
    assert r.mastered(state, r.beliefs(state), "A")


def test_no_skill_gets_more_than_max_run_answers_in_a_row_when_another_is_open() -> None:
    g = SkillGraph(["A", "B"], {}, items_for(["A", "B"]))
    params = {s: SkillParams(prior=0.05, learn=0.01, guess=0.1, slip=0.05) for s in "AB"}
    r = Recommender(g, params, PLAIN)
    state = StudentState()
    run, longest, last = 0, 0, None
    for _ in range(60):
        rec = r.recommend(state, n=1)[0]
        run = run + 1 if rec.skill_id == last else 1
        last = rec.skill_id
        longest = max(longest, run)
        r.observe(state, rec.item_id, False)
    assert longest == r.settings.max_run


def test_a_never_answered_skill_is_not_mastered_however_likely() -> None:
    g = chain()
    profile = RecommenderSettings(start_model="profile", student_spread=0.0, implication=0.0)
    r = Recommender(g, params_for(g, prior=0.99), profile)
    state = StudentState()
    beliefs = r.beliefs(state)
    assert beliefs.effective["A"] >= 0.95 and not r.mastered(state, beliefs, "A")
    assert r.recommend(state, n=1)[0].kind != "review"


def test_a_long_run_on_the_only_open_skill_is_broken_by_the_next_one() -> None:
    g = chain()
    params = {s: SkillParams(prior=0.05, learn=0.01, guess=0.1, slip=0.05) for s in g.skills}
    r = Recommender(g, params, PLAIN)
    state = StudentState()
    for _ in range(r.settings.max_run):
        rec = r.recommend(state, n=1)[0]
        assert rec.skill_id == "A", "A is the only skill open"
        r.observe(state, rec.item_id, False)
    rested = r.recommend(state, n=1)[0]
    assert rested.skill_id == "B", "a break on the skill built on it, then back"
    r.observe(state, rested.item_id, False)
    assert r.recommend(state, n=1)[0].skill_id == "A"
