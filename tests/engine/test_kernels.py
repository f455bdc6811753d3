"""The MAP M-step and the log prior of engine.kernels on hand-computed soft counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from engine import kernels
from engine.priors import Beta, Priors

UNIT_LO = np.zeros(5)
UNIT_HI = np.ones(5)


def _counts(
    trans: list[list[float]], emit: list[list[list[float]]], init: list[float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """trans[to][from] of one learn class, emit[class][state][obs], init[state] of one prior
    class."""
    return np.array([trans], dtype=float), np.array(emit, dtype=float), np.array([init], float)


def _m_step(
    trans: np.ndarray,
    emit: np.ndarray,
    init: np.ndarray,
    priors: Priors,
    *,
    forget: bool = True,
    g_lo: np.ndarray | None = None,
    g_hi: np.ndarray | None = None,
    tie_slip: bool = False,
    start_prior: float = 0.5,
) -> dict[str, np.ndarray]:
    n_gs = emit.shape[0]
    out = {
        "prior": np.full(init.shape[0], start_prior),
        "learn": np.zeros(trans.shape[0]),
        "forget": np.zeros(trans.shape[0]),
        "guess": np.zeros(n_gs),
        "slip": np.zeros(n_gs),
    }
    pa, pb = priors.pseudo_counts()
    kernels.m_step(
        trans,
        emit,
        init,
        out["prior"],
        out["learn"],
        out["forget"],
        out["guess"],
        out["slip"],
        forget,
        UNIT_LO,
        UNIT_HI,
        np.zeros(n_gs) if g_lo is None else g_lo,
        np.ones(n_gs) if g_hi is None else g_hi,
        np.zeros(n_gs),
        np.ones(n_gs),
        pa,
        pb,
        float(priors.item_strength),
        tie_slip,
    )
    return out


# trans[to][from]: 0->0 6, 1->0 1 / 0->1 2, 1->1 9; emit: unknown 7 wrong 3 right, known 1 / 9
COUNTS = _counts([[6.0, 1.0], [2.0, 9.0]], [[[7.0, 3.0], [1.0, 9.0]]], [4.0, 6.0])


def test_map_m_step_adds_the_beta_pseudo_counts() -> None:
    priors = Priors(
        prior=Beta(3, 3), learn=Beta(3, 5), forget=Beta(1, 11), guess=Beta(2, 9), slip=Beta(2, 10)
    )
    p = _m_step(*COUNTS, priors)
    assert p["learn"][0] == pytest.approx((2 + 2) / (8 + 2 + 4))  # 2/7
    assert p["forget"][0] == pytest.approx((1 + 0) / (10 + 0 + 10))  # 1/20
    assert p["guess"][0] == pytest.approx((3 + 1) / (10 + 1 + 8))  # 4/19
    assert p["slip"][0] == pytest.approx((1 + 1) / (10 + 1 + 9))  # 1/10
    assert p["prior"][0] == pytest.approx((6 + 2) / (10 + 2 + 2))  # 4/7


def test_flat_m_step_is_the_plain_ratio_to_the_bit() -> None:
    p = _m_step(*COUNTS, Priors())
    assert p["learn"][0] == 2.0 / (6.0 + 2.0)
    assert p["forget"][0] == 1.0 / (1.0 + 9.0)
    assert p["guess"][0] == 3.0 / (7.0 + 3.0)
    assert p["slip"][0] == 1.0 / (1.0 + 9.0)
    assert p["prior"][0] == 6.0 / (4.0 + 6.0)


def test_empty_counts_give_pybkts_values_when_flat_and_the_prior_mode_otherwise() -> None:
    empty = _counts([[0.0, 0.0], [0.0, 0.0]], [[[0.0, 0.0], [0.0, 0.0]]], [0.0, 0.0])
    flat = _m_step(*empty, Priors(), start_prior=0.37)
    assert (flat["learn"][0], flat["forget"][0]) == (1.0, 0.0)
    assert (flat["guess"][0], flat["slip"][0]) == (0.5, 0.5)
    assert flat["prior"][0] == 0.37  # no mass: the prior keeps its value, as in pyBKT
    d = Priors.default()
    mapped = _m_step(*empty, d, start_prior=0.37)
    for name in ("learn", "forget", "guess", "slip", "prior"):
        assert mapped[name][0] == pytest.approx(getattr(d, name).mode), name


def test_item_strength_pulls_each_class_toward_the_pooled_value() -> None:
    emit = [[[8.0, 2.0], [1.0, 9.0]], [[2.0, 8.0], [3.0, 7.0]]]
    trans, e, init = _counts([[1.0, 0.0], [1.0, 1.0]], emit, [1.0, 1.0])
    p = _m_step(trans, e, init, Priors(item_strength=10.0))
    # pooled guess (2 + 8) / 20 = 0.5; class values (n1 + 10 * 0.5) / (n + 10)
    assert p["guess"] == pytest.approx([7 / 20, 13 / 20])
    # pooled slip 4 / 20 = 0.2
    assert p["slip"] == pytest.approx([(1 + 2) / 20, (3 + 2) / 20])
    tied = _m_step(trans, e, init, Priors(), tie_slip=True)
    assert tied["slip"] == pytest.approx([0.2, 0.2])
    assert tied["guess"] == pytest.approx([0.2, 0.8])  # tying slip leaves guesses alone


def test_class_bounds_clip_each_guess_class() -> None:
    emit = [[[8.0, 2.0], [1.0, 9.0]], [[2.0, 8.0], [3.0, 7.0]]]
    trans, e, init = _counts([[1.0, 0.0], [1.0, 1.0]], emit, [1.0, 1.0])
    p = _m_step(trans, e, init, Priors(), g_lo=np.array([0.4, 0.0]), g_hi=np.array([1.0, 0.3]))
    assert list(p["guess"]) == [0.4, 0.3]


@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (3.0, 1.0), (1.0, 21.0), (2.5, 9.5)])
@pytest.mark.parametrize("x", [0.01, 0.2, 0.5, 0.93])
def test_log_beta_pdf_is_the_beta_log_density(a: float, b: float, x: float) -> None:
    ours = kernels.log_beta_pdf(x, a - 1.0, b - 1.0)
    assert ours == pytest.approx(float(stats.beta.logpdf(x, a, b)), rel=1e-12, abs=1e-12)
    assert Beta(a, b).log_pdf(x) == ours


def test_log_prior_sums_one_density_per_class_value() -> None:
    priors = Priors.default()
    pa, pb = priors.pseudo_counts()
    values = {
        "prior": np.array([0.4, 0.6]),
        "learn": np.array([0.2]),
        "forget": np.array([0.05]),
        "guess": np.array([0.1, 0.3]),
        "slip": np.array([0.2, 0.1]),
    }
    emit = np.ones((2, 2, 2))
    for fit_forget in (False, True):
        lp = kernels.log_prior(
            emit,
            values["prior"],
            values["learn"],
            values["forget"],
            values["guess"],
            values["slip"],
            fit_forget,
            UNIT_LO,
            UNIT_HI,
            pa,
            pb,
            0.0,
            False,
        )
        want = sum(
            getattr(priors, name).log_pdf(float(v))
            for name, arr in values.items()
            if name != "forget" or fit_forget
            for v in arr
        )
        assert lp == pytest.approx(want, rel=1e-12)
    flat_pa, flat_pb = Priors().pseudo_counts()
    args = (values["prior"], values["learn"], values["forget"], values["guess"], values["slip"])
    flat = kernels.log_prior(emit, *args, True, UNIT_LO, UNIT_HI, flat_pa, flat_pb, 0.0, False)
    assert flat == 0.0 and not math.copysign(1.0, flat) < 0
