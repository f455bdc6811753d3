from engine.recommend import Recommender, RecommenderSettings, StudentState
from tests.engine.recommend.graphs import chain, params_for


def recommender(implication: float) -> Recommender:
    g = chain()
    config = RecommenderSettings(start_model="profile", student_spread=0.0, implication=implication)
    return Recommender(g, params_for(g), config)


def test_learning_a_dependent_in_practice_supports_its_prerequisite() -> None:
    r = recommender(implication=1.0)
    state = StudentState()
    for _ in range(2):
        r.observe(state, "B0", True)
    before = r.beliefs(state)
    for a in [False, False, True, True, True]:  # C learnt during practice
        r.observe(state, "C0", a)
    after = r.beliefs(state)
    assert after.supported["B"] > after.own["B"]
    assert after.own["B"] == before.own["B"]
    off = recommender(implication=0.0).beliefs(state)
    assert off.supported["B"] == off.own["B"]


def test_a_skill_known_on_arrival_lends_no_support() -> None:
    g = chain()
    params = params_for(g, prior=0.95)  # C almost surely known before any answer
    r = Recommender(
        g, params, RecommenderSettings(start_model="profile", student_spread=0.0, implication=1.0)
    )
    state = StudentState()
    for _ in range(4):
        r.observe(state, "C0", True)
    b = r.beliefs(state)
    assert b.supported["B"] - b.own["B"] < 0.01


def test_repeated_failure_raises_suspicion_of_the_weakest_prerequisite_only() -> None:
    g = chain()
    r = Recommender(
        g, params_for(g), RecommenderSettings(start_model="profile", student_spread=0.0)
    )
    state = StudentState()
    for item in ["A0", "A1", "A2", "B0", "B1"]:
        r.observe(state, item, True)
    for _ in range(2):
        r.observe(state, "C0", False)
    two = r.beliefs(state)
    for _ in range(3):
        r.observe(state, "C0", False)
    five = r.beliefs(state)
    assert two.effective["B"] < two.supported["B"]
    assert five.effective["B"] < two.effective["B"]
    assert five.suspected_by == {"B": "C"}
    assert five.effective["A"] == five.supported["A"]
    # Practising B re-tests it: the old failures on C are spent.
    r.observe(state, "B2", True)
    assert "B" not in r.beliefs(state).suspected_by
