"""Parameter recovery: EM on simulated data returns the parameters that generated it."""

from __future__ import annotations

from engine.fit import BKTFitter
from engine.params import SkillParams
from tests.factories import TRUE_BKT, simulated


def test_bkt_parameters_are_recovered(seed: int) -> None:
    data = simulated(TRUE_BKT, 1500, 12, seed)
    p = BKTFitter(restarts=3, random_state=seed).fit(data).params_["s"]
    for name in ("prior", "learn", "guess", "slip"):
        assert abs(getattr(p, name) - getattr(TRUE_BKT, name)) < 0.03, (name, p)


def test_per_template_guesses_are_recovered(seed: int) -> None:
    guesses = {"s/item0": 0.1, "s/item1": 0.2, "s/item2": 0.3, "s/item3": 0.15}
    truth = SkillParams(prior=0.3, learn=0.15, guess=0.2, slip=0.1, item_guess=guesses)
    data = simulated(truth, 1500, 12, seed, items=4)
    p = BKTFitter(multigs=True, restarts=3, random_state=seed).fit(data).params_["s"]
    for item, g in guesses.items():
        assert abs(p.item_guess[item] - g) < 0.05, (item, p.item_guess)
    assert abs(p.learn - 0.15) < 0.03 and abs(p.prior - 0.3) < 0.05


def test_forgetting_is_recovered(seed: int) -> None:
    truth = SkillParams(prior=0.3, learn=0.2, guess=0.2, slip=0.1, forget=0.1)
    data = simulated(truth, 1500, 12, seed)
    p = BKTFitter(forgets=True, restarts=3, random_state=seed).fit(data).params_["s"]
    assert abs(p.forget - 0.1) < 0.04 and abs(p.learn - 0.2) < 0.04, p
