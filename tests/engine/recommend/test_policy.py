import pytest

from engine.params import ModelParams, SkillParams
from engine.recommend import KINDS, Item, Recommender, RecommenderSettings, SkillGraph, StudentState
from tests.engine.recommend.graphs import chain, diamond, params_for

PLAIN = RecommenderSettings(student_spread=0.0, implication=0.0)


def drill(r: Recommender, state: StudentState, skill: str, answers: list[bool]) -> None:
    items = r.graph.items(skill)
    for k, a in enumerate(answers):
        r.observe(state, items[k % len(items)].item_id, a)


def test_struggling_on_c_with_weak_b_sends_to_b_and_back_once_b_is_mastered() -> None:
    g = chain()
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState()
    drill(r, state, "A", [True] * 5)
    drill(r, state, "B", [True, True])  # probably known, not yet mastered
    drill(r, state, "C", [False] * 4)
    b = r.beliefs(state)
    assert b.effective["B"] < 0.95 <= b.effective["A"]

    first = r.recommend(state)[0]
    assert (first.skill_id, first.kind, first.related) == ("B", "gap", "C")
    assert "Equivalent fractions" in first.reason and "Adding fractions" in first.reason
    assert first.numbers["effective_mastery"] == pytest.approx(r.beliefs(state).effective["B"])

    while r.beliefs(state).effective["B"] < 0.95:
        assert r.recommend(state)[0].skill_id == "B"
        r.observe(state, r.recommend(state)[0].item_id, True)
    back = r.recommend(state)[0]
    assert (back.skill_id, back.kind, back.related) == ("C", "return", "B")
    assert "Equivalent fractions" in back.reason and "Adding fractions" in back.reason


def test_gap_goes_down_to_a_prerequisite_that_can_be_practised_now() -> None:
    g = chain()
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState()
    drill(r, state, "A", [False, False])  # A weak, so B is locked
    drill(r, state, "B", [True, True])
    drill(r, state, "C", [False] * 6)
    first = r.recommend(state)[0]
    assert (first.skill_id, first.kind, first.related) == ("A", "gap", "C")


def test_frontier_is_the_unlocked_skill_and_locked_skills_wait() -> None:
    g = chain()
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState()
    assert r.recommend(state)[0].skill_id == "A"
    assert {rec.skill_id for rec in r.recommend(state)} == {"A"}  # B, C are locked
    drill(r, state, "A", [True] * 6)
    first = r.recommend(state)[0]
    assert (first.skill_id, first.kind) == ("B", "frontier")
    assert "Unit fractions" in first.reason and "Equivalent fractions" in first.reason


def test_mastered_skills_are_not_practised_only_reviewed() -> None:
    g = diamond()
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState()
    drill(r, state, "A", [True] * 6)
    drill(r, state, "E", [True] * 6)
    recs = r.recommend(state)
    assert {rec.skill_id for rec in recs} <= {"B", "C", "A", "E"}
    for rec in recs:
        if rec.skill_id in ("A", "E"):
            assert rec.kind == "review"
    assert recs[0].skill_id in ("B", "C") and recs[0].kind == "frontier"
    for s in ("B", "C", "D"):
        drill(r, state, s, [True] * 6)
    assert all(rec.kind == "review" for rec in r.recommend(state))


def test_spaced_review_after_decay() -> None:
    g = SkillGraph(["A", "B"], {}, [Item(f"{s}{k}", s) for s in "AB" for k in range(3)])
    params = params_for(g, forget=0.03)
    r = Recommender(g, params, PLAIN)
    state = StudentState()
    drill(r, state, "A", [True] * 6)
    assert r.beliefs(state).effective["A"] >= 0.95
    assert r.recommend(state)[0].skill_id == "B"
    k = 0
    while r.beliefs(state).own["A"] >= 0.85:
        drill(r, state, "B", [k % 3 == 0])  # B stays unmastered
        k += 1
    first = r.recommend(state)[0]
    assert (first.skill_id, first.kind) == ("A", "review")
    assert "while" in first.reason


def test_three_distinct_choices_even_from_one_skill() -> None:
    g = chain()
    r = Recommender(g, params_for(g), PLAIN)
    recs = r.recommend(StudentState())
    assert len(recs) == 3 and len({rec.item_id for rec in recs}) == 3
    assert all(rec.skill_id == "A" for rec in recs)
    assert len(r.recommend(StudentState(), n=1)) == 1
    with pytest.raises(ValueError, match="n must be"):
        r.recommend(StudentState(), n=0)


def test_items_seen_recently_are_avoided() -> None:
    g = chain(per_skill=4)
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState()
    seen = []
    for _ in range(4):
        rec = r.recommend(state, n=1)[0]
        seen.append(rec.item_id)
        r.observe(state, rec.item_id, False)
    assert sorted(seen) == ["A0", "A1", "A2", "A3"]


def test_desirable_difficulty_picks_the_item_nearest_the_target() -> None:
    g = SkillGraph(
        ["A"], {}, [Item("easy", "A", 0.0), Item("mid", "A", 1.0), Item("hard", "A", 2.0)]
    )
    params = {"A": SkillParams(prior=0.5, learn=0.1, guess=0.2, slip=0.1)}
    for target, expected in [(0.9, "easy"), (0.55, "mid"), (0.3, "hard")]:
        settings = RecommenderSettings(
            student_spread=0.0, target_p_correct=target, difficulty_logit_span=2.0
        )
        rec = Recommender(g, params, settings).recommend(StudentState(), n=1)[0]
        assert rec.item_id == expected, target


def test_same_state_and_seed_give_the_same_answer_and_seeds_break_ties() -> None:
    g = diamond(per_skill=12)
    params = params_for(g)
    state = StudentState()
    picks = {}
    for seed in range(6):
        r = Recommender(g, params, PLAIN, random_state=seed)
        first = r.recommend(state)
        assert first == Recommender(g, params, PLAIN, random_state=seed).recommend(state)
        picks[seed] = tuple(rec.item_id for rec in first)
    assert len(set(picks.values())) > 1


def test_passing_the_states_own_beliefs_changes_nothing() -> None:
    g = diamond(per_skill=6)
    r = Recommender(g, params_for(g), PLAIN, random_state=0)
    state = StudentState()
    for k, correct in enumerate([True, False, False, True, False, False, False]):
        item = g.items("AB"[k % 2])[k // 2]
        r.observe(state, item.item_id, correct)
    assert r.recommend(state, beliefs=r.beliefs(state)) == r.recommend(state)


def test_goal_limits_scope_to_the_goal_and_what_it_builds_on() -> None:
    g = diamond()
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState()
    drill(r, state, "A", [True] * 6)
    assert {rec.skill_id for rec in r.recommend(state, goal="B")} <= {"A", "B"}
    assert {rec.skill_id for rec in r.recommend(state, goal=["E"])} == {"E"}
    with pytest.raises(ValueError, match="unknown skill"):
        r.recommend(state, goal="Z")


def test_numbers_and_reasons_are_filled() -> None:
    g = SkillGraph(["A"], {}, [Item("a1", "A"), Item("a2", "A")])
    model = ModelParams(skills=params_for(g))
    r = Recommender(g, model)
    rec = r.recommend(StudentState())[0]
    assert rec.kind in KINDS and rec.reason.endswith(("!", "."))
    for key in (
        "mastery",
        "bkt_mastery",
        "effective_mastery",
        "p_correct",
        "attempts",
        "threshold",
    ):
        assert key in rec.numbers
    assert rec.numbers["p_correct"] == pytest.approx(0.2 * 0.9 + 0.8 * 0.2)


def test_per_skill_thresholds_apply() -> None:
    g = chain()
    params = params_for(g)
    state = StudentState()
    strict = Recommender(
        g, params, RecommenderSettings(student_spread=0.0, skill_thresholds={"A": 0.999})
    )
    drill(strict, state, "A", [True] * 4)
    assert 0.95 < strict.beliefs(state).effective["A"] < 0.999
    kinds = {rec.skill_id: rec.kind for rec in strict.recommend(state)}
    assert kinds["A"] == "practice"
    lenient = Recommender(g, params, PLAIN)
    assert {rec.skill_id: rec.kind for rec in lenient.recommend(state)}["A"] == "review"


def test_missing_parameters_and_bad_settings_are_reported() -> None:
    g = chain()
    with pytest.raises(ValueError, match=r"no BKT parameters for skill\(s\) \['C'\]"):
        Recommender(g, {s: p for s, p in params_for(g).items() if s != "C"})
    with pytest.raises(ValueError, match="mastery_threshold"):
        RecommenderSettings(mastery_threshold=1.5)
    with pytest.raises(ValueError, match="struggle_streak"):
        RecommenderSettings(struggle_streak=0)
    with pytest.raises(ValueError, match=r"skill_thresholds\['A'\]"):
        RecommenderSettings(skill_thresholds={"A": 0.0})


def test_replay_rebuilds_the_state_from_the_log() -> None:
    g = chain()
    r = Recommender(g, params_for(g), PLAIN)
    state = StudentState(student_class="5b")
    log = [("A0", True), ("A1", False), ("B0", True), ("A2", True)]
    for item, correct in log:
        r.observe(state, item, correct)
    assert r.replay(log, student_class="5b") == state
    with pytest.raises(KeyError, match="unknown item"):
        r.replay([("Z0", True)])
