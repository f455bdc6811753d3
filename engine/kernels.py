"""Numba kernels: scaled forward-backward, the M-step and EM for one skill; batch forward trace.

Two-state HMM with scalars instead of 2x2 matrices, float64 throughout. The
arithmetic follows pyBKT 1.4.3's compiled E-step (source-cpp/pyBKT/fit/E_step.cpp)
and M_step.py operation by operation so fitted parameters agree to rounding:

- an emission probability that is exactly 0 is treated as 1 in the likelihood
  (pyBKT skips it rather than making the sequence impossible);
- a transition soft count whose predicted-state denominator is 0 contributes 0
  (pyBKT replaces the resulting NaN by 0);
- in the M-step a "from" state with no transition mass gets learn = 1 / forget = 0
  and an emission row with no mass gets 0.5/0.5;
- MAP under Beta priors adds (a - 1, b - 1) pseudo-counts to each M-step ratio;
  flat priors add 0.0, which is exact, so the arithmetic above is unchanged;
- the convergence test compares log-likelihoods *truncated to integers*, because
  pyBKT's E-step returns `PyLong_FromLong(total_loglike)`; `truncate=False` gives
  the plain absolute-tolerance rule on the exact value.

Layout: a skill's responses are one contiguous block; `starts` holds the local
offsets of its (student) sequences plus the end. `gs`/`lr` are per-response class
indices for guess/slip and learn/forget (empty = one class), `seq_cls` the
per-sequence prior class (empty = one class). Transition t -> t+1 uses the learn
class of response t ("the item practised teaches"), exactly as pyBKT's resources.
Parameter order in the bound arrays `lo`/`hi` and the pseudo-count arrays `pa`/`pb`:
prior, learn, forget, guess, slip; guess and slip also have per-class bounds
(`g_lo`/`g_hi`, `s_lo`/`s_hi`) because an item's guess floor overrides the skill's.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray

PRIOR, LEARN, FORGET, GUESS, SLIP = 0, 1, 2, 3, 4


@njit(cache=True, nogil=True)
def _emission_table(guess: NDArray[np.float64], slip: NDArray[np.float64]) -> NDArray[np.float64]:
    """lik[class, obs, state]; zeros replaced by one as pyBKT does."""
    n = guess.shape[0]
    lik = np.empty((n, 2, 2))
    for c in range(n):
        g = guess[c]
        s = slip[c]
        vals = (1.0 - g, s, g, 1.0 - s)
        k = 0
        for o in range(2):
            for st in range(2):
                v = vals[k]
                lik[c, o, st] = v if v != 0.0 else 1.0
                k += 1
    return lik


@njit(cache=True, nogil=True)
def _e_step_general(
    correct: NDArray[np.int8],
    gs: NDArray[np.int32],
    lr: NDArray[np.int32],
    starts: NDArray[np.int64],
    seq_cls: NDArray[np.int32],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    trans: NDArray[np.float64],
    emit: NDArray[np.float64],
    init: NDArray[np.float64],
    a0: NDArray[np.float64],
    a1: NDArray[np.float64],
) -> float:
    """Soft counts (trans[r, to, from], emit[c, state, obs], init[k, state]) and log-likelihood.

    a0/a1 are scratch buffers at least as long as the longest sequence.
    """
    trans[:] = 0.0
    emit[:] = 0.0
    init[:] = 0.0
    multi_gs = gs.shape[0] > 0
    multi_lr = lr.shape[0] > 0
    multi_prior = seq_cls.shape[0] > 0
    lik = _emission_table(guess, slip)
    lrn_1 = learn[0]
    fgt_1 = forget[0]
    ll = 0.0
    n_seq = starts.shape[0] - 1
    for q in range(n_seq):
        b = starts[q]
        e = starts[q + 1]
        k = seq_cls[q] if multi_prior else 0
        p = prior[k]
        c = gs[b] if multi_gs else 0
        o = correct[b]
        x0 = (1.0 - p) * lik[c, o, 0]
        x1 = p * lik[c, o, 1]
        norm = x0 + x1
        ll += math.log(norm)
        x0 /= norm
        x1 /= norm
        a0[0] = x0
        a1[0] = x1
        lrn = lrn_1
        fgt = fgt_1
        for t in range(b + 1, e):
            if multi_lr:
                r = lr[t - 1]
                lrn = learn[r]
                fgt = forget[r]
            p0 = (1.0 - lrn) * x0 + fgt * x1
            p1 = lrn * x0 + (1.0 - fgt) * x1
            c = gs[t] if multi_gs else 0
            o = correct[t]
            x0 = p0 * lik[c, o, 0]
            x1 = p1 * lik[c, o, 1]
            norm = x0 + x1
            ll += math.log(norm)
            x0 /= norm
            x1 /= norm
            a0[t - b] = x0
            a1[t - b] = x1
        # backward pass: gamma starts at the last filtered state
        g0 = x0
        g1 = x1
        c = gs[e - 1] if multi_gs else 0
        o = correct[e - 1]
        emit[c, 0, o] += g0
        emit[c, 1, o] += g1
        r = 0
        for t in range(e - 2, b - 1, -1):
            if multi_lr:
                r = lr[t]
                lrn = learn[r]
                fgt = forget[r]
            y0 = a0[t - b]
            y1 = a1[t - b]
            p0 = (1.0 - lrn) * y0 + fgt * y1
            p1 = lrn * y0 + (1.0 - fgt) * y1
            if p0 != 0.0:
                n00 = (1.0 - lrn) * y0 * g0 / p0
                n01 = fgt * y1 * g0 / p0
            else:
                n00 = 0.0
                n01 = 0.0
            if p1 != 0.0:
                n10 = lrn * y0 * g1 / p1
                n11 = (1.0 - fgt) * y1 * g1 / p1
            else:
                n10 = 0.0
                n11 = 0.0
            trans[r, 0, 0] += n00
            trans[r, 0, 1] += n01
            trans[r, 1, 0] += n10
            trans[r, 1, 1] += n11
            g0 = n00 + n10
            g1 = n01 + n11
            c = gs[t] if multi_gs else 0
            o = correct[t]
            emit[c, 0, o] += g0
            emit[c, 1, o] += g1
        init[k, 0] += g0
        init[k, 1] += g1
    return ll


@njit(cache=True, nogil=True)
def _e_step_single(
    correct: NDArray[np.int8],
    starts: NDArray[np.int64],
    prior: float,
    lrn: float,
    fgt: float,
    guess: float,
    slip: float,
    trans: NDArray[np.float64],
    emit: NDArray[np.float64],
    init: NDArray[np.float64],
    a0: NDArray[np.float64],
    a1: NDArray[np.float64],
) -> float:
    """`_e_step_general` for one class of each kind: soft counts in registers, one division
    per forward step, the normalisers' logs taken in batches (rounding differs from
    pyBKT's operation order by ~1e-16 relative)."""
    lik = _emission_table(np.array([guess]), np.array([slip]))
    l00, l01, l10, l11 = lik[0, 0, 0], lik[0, 0, 1], lik[0, 1, 0], lik[0, 1, 1]
    stay0 = 1.0 - lrn
    stay1 = 1.0 - fgt
    t00 = t01 = t10 = t11 = 0.0
    e00 = e01 = e10 = e11 = 0.0  # e[state][obs]
    i0 = i1 = 0.0
    ll = 0.0
    prod = 1.0  # product of the step normalisers; its log is taken before it underflows
    for q in range(starts.shape[0] - 1):
        b = starts[q]
        e = starts[q + 1]
        if correct[b] != 0:
            x0 = (1.0 - prior) * l10
            x1 = prior * l11
        else:
            x0 = (1.0 - prior) * l00
            x1 = prior * l01
        norm = x0 + x1
        prod *= norm
        inv = 1.0 / norm
        x0 *= inv
        x1 *= inv
        a0[0] = x0
        a1[0] = x1
        for t in range(b + 1, e):
            p0 = stay0 * x0 + fgt * x1
            p1 = lrn * x0 + stay1 * x1
            if correct[t] != 0:
                x0 = p0 * l10
                x1 = p1 * l11
            else:
                x0 = p0 * l00
                x1 = p1 * l01
            norm = x0 + x1
            prod *= norm
            if prod < 1e-250:
                ll += math.log(prod)
                prod = 1.0
            inv = 1.0 / norm
            x0 *= inv
            x1 *= inv
            a0[t - b] = x0
            a1[t - b] = x1
        g0 = x0
        g1 = x1
        if correct[e - 1] != 0:
            e01 += g0
            e11 += g1
        else:
            e00 += g0
            e10 += g1
        for t in range(e - 2, b - 1, -1):
            y0 = a0[t - b]
            y1 = a1[t - b]
            p0 = stay0 * y0 + fgt * y1
            p1 = lrn * y0 + stay1 * y1
            r0 = g0 / p0 if p0 != 0.0 else 0.0
            r1 = g1 / p1 if p1 != 0.0 else 0.0
            n00 = stay0 * y0 * r0
            n01 = fgt * y1 * r0
            n10 = lrn * y0 * r1
            n11 = stay1 * y1 * r1
            t00 += n00
            t01 += n01
            t10 += n10
            t11 += n11
            g0 = n00 + n10
            g1 = n01 + n11
            if correct[t] != 0:
                e01 += g0
                e11 += g1
            else:
                e00 += g0
                e10 += g1
        i0 += g0
        i1 += g1
    ll += math.log(prod)
    trans[0, 0, 0] = t00
    trans[0, 0, 1] = t01
    trans[0, 1, 0] = t10
    trans[0, 1, 1] = t11
    emit[0, 0, 0] = e00
    emit[0, 0, 1] = e01
    emit[0, 1, 0] = e10
    emit[0, 1, 1] = e11
    init[0, 0] = i0
    init[0, 1] = i1
    return ll


@njit(cache=True, nogil=True)
def e_step(
    correct: NDArray[np.int8],
    gs: NDArray[np.int32],
    lr: NDArray[np.int32],
    starts: NDArray[np.int64],
    seq_cls: NDArray[np.int32],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    trans: NDArray[np.float64],
    emit: NDArray[np.float64],
    init: NDArray[np.float64],
    a0: NDArray[np.float64],
    a1: NDArray[np.float64],
) -> float:
    """Soft counts (trans[r, to, from], emit[c, state, obs], init[k, state]) and log-likelihood.

    a0/a1 are scratch buffers at least as long as the longest sequence.
    """
    if gs.shape[0] == 0 and lr.shape[0] == 0 and seq_cls.shape[0] == 0:
        return _e_step_single(
            correct,
            starts,
            prior[0],
            learn[0],
            forget[0],
            guess[0],
            slip[0],
            trans,
            emit,
            init,
            a0,
            a1,
        )
    return _e_step_general(
        correct,
        gs,
        lr,
        starts,
        seq_cls,
        prior,
        learn,
        forget,
        guess,
        slip,
        trans,
        emit,
        init,
        a0,
        a1,
    )


@njit(cache=True, nogil=True)
def log_likelihood(
    correct: NDArray[np.int8],
    gs: NDArray[np.int32],
    lr: NDArray[np.int32],
    starts: NDArray[np.int64],
    seq_cls: NDArray[np.int32],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
) -> float:
    """Forward pass only: the E-step's log-likelihood without the soft counts."""
    multi_gs = gs.shape[0] > 0
    multi_lr = lr.shape[0] > 0
    multi_prior = seq_cls.shape[0] > 0
    lik = _emission_table(guess, slip)
    ll = 0.0
    for q in range(starts.shape[0] - 1):
        b = starts[q]
        e = starts[q + 1]
        p = prior[seq_cls[q]] if multi_prior else prior[0]
        c = gs[b] if multi_gs else 0
        o = correct[b]
        x0 = (1.0 - p) * lik[c, o, 0]
        x1 = p * lik[c, o, 1]
        norm = x0 + x1
        ll += math.log(norm)
        x0 /= norm
        x1 /= norm
        lrn = learn[0]
        fgt = forget[0]
        for t in range(b + 1, e):
            if multi_lr:
                lrn = learn[lr[t - 1]]
                fgt = forget[lr[t - 1]]
            p0 = (1.0 - lrn) * x0 + fgt * x1
            p1 = lrn * x0 + (1.0 - fgt) * x1
            c = gs[t] if multi_gs else 0
            o = correct[t]
            x0 = p0 * lik[c, o, 0]
            x1 = p1 * lik[c, o, 1]
            norm = x0 + x1
            ll += math.log(norm)
            x0 /= norm
            x1 /= norm
    return ll


@njit(cache=True, nogil=True)
def _clip(v: float, lo: float, hi: float) -> float:
    return min(max(v, lo), hi)


@njit(cache=True, nogil=True)
def _map(n1: float, n: float, a1: float, b1: float, empty: float, lo: float, hi: float) -> float:
    """(n1 + a1) / (n + a1 + b1) clipped into [lo, hi]; `empty` when that denominator is 0.

    With a1 = b1 = 0 the arithmetic is pyBKT's n1 / n to the bit (x + 0.0 == x)."""
    den = n + (a1 + b1)
    v = (n1 + a1) / den if den != 0.0 else empty
    return _clip(v, lo, hi)


@njit(cache=True, nogil=True)
def _pooled(
    emit: NDArray[np.float64],
    st: int,
    obs: int,
    a1: float,
    b1: float,
    lo: float,
    hi: float,
) -> float:
    """MAP of one emission probability with every guess/slip class's counts pooled."""
    n1 = 0.0
    n = 0.0
    for c in range(emit.shape[0]):
        n1 += emit[c, st, obs]
        n += emit[c, st, 0] + emit[c, st, 1]
    return _map(n1, n, a1, b1, 0.5, lo, hi)


@njit(cache=True, nogil=True)
def m_step(
    trans: NDArray[np.float64],
    emit: NDArray[np.float64],
    init: NDArray[np.float64],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    fit_forget: bool,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    g_lo: NDArray[np.float64],
    g_hi: NDArray[np.float64],
    s_lo: NDArray[np.float64],
    s_hi: NDArray[np.float64],
    pa: NDArray[np.float64],
    pb: NDArray[np.float64],
    item_strength: float,
    tie_slip: bool,
) -> None:
    """pyBKT's M-step with Beta pseudo-counts (MAP), each value clipped into its bounds.

    Every value is (n1 + a - 1) / (n + a + b - 2) with pa = a - 1, pb = b - 1 per
    parameter (kernel order); flat priors (0, 0) give pyBKT's arithmetic exactly,
    including its empty-denominator values (learn 1, forget 0, guess/slip 0.5; a
    prior with no mass keeps its value). Clipping is the exact box-constrained
    maximiser because each term is concave in its parameter. Guess/slip class c
    has its own bounds (g_lo[c], ...: item floors). With `item_strength` > 0 and
    several classes, each class gets `item_strength` extra pseudo-responses at the
    pooled skill-level MAP of the same counts. `tie_slip`: one slip shared by all
    classes (guess classes formed by floors), its pooled MAP.
    """
    for r in range(learn.shape[0]):
        n0 = trans[r, 0, 0] + trans[r, 1, 0]
        learn[r] = _map(trans[r, 1, 0], n0, pa[LEARN], pb[LEARN], 1.0, lo[LEARN], hi[LEARN])
        if fit_forget:
            n1 = trans[r, 0, 1] + trans[r, 1, 1]
            forget[r] = _map(
                trans[r, 0, 1], n1, pa[FORGET], pb[FORGET], 0.0, lo[FORGET], hi[FORGET]
            )
        else:
            forget[r] = 0.0
    n_gs = guess.shape[0]
    shrink = item_strength > 0.0 and n_gs > 1
    mg = 0.5
    ms = 0.5
    if shrink:
        mg = _pooled(emit, 0, 1, pa[GUESS], pb[GUESS], lo[GUESS], hi[GUESS])
    if shrink or tie_slip:
        ms = _pooled(emit, 1, 0, pa[SLIP], pb[SLIP], lo[SLIP], hi[SLIP])
    for c in range(n_gs):
        ng = emit[c, 0, 0] + emit[c, 0, 1]
        ns = emit[c, 1, 0] + emit[c, 1, 1]
        if shrink:
            guess[c] = _map(
                emit[c, 0, 1] + item_strength * mg,
                ng + item_strength,
                pa[GUESS],
                pb[GUESS],
                0.5,
                g_lo[c],
                g_hi[c],
            )
        else:
            guess[c] = _map(emit[c, 0, 1], ng, pa[GUESS], pb[GUESS], 0.5, g_lo[c], g_hi[c])
        if tie_slip:
            slip[c] = _clip(ms, s_lo[c], s_hi[c])
        elif shrink:
            slip[c] = _map(
                emit[c, 1, 0] + item_strength * ms,
                ns + item_strength,
                pa[SLIP],
                pb[SLIP],
                0.5,
                s_lo[c],
                s_hi[c],
            )
        else:
            slip[c] = _map(emit[c, 1, 0], ns, pa[SLIP], pb[SLIP], 0.5, s_lo[c], s_hi[c])
    for k in range(prior.shape[0]):
        den = (init[k, 0] + init[k, 1]) + (pa[PRIOR] + pb[PRIOR])
        if den > 0.0:
            prior[k] = _clip((init[k, 1] + pa[PRIOR]) / den, lo[PRIOR], hi[PRIOR])


@njit(cache=True, nogil=True)
def log_beta_pdf(x: float, a1: float, b1: float) -> float:
    """log Beta(x; a1 + 1, b1 + 1); exactly 0.0 for the flat prior (a1 = b1 = 0)."""
    if a1 == 0.0 and b1 == 0.0:
        return 0.0
    out = math.lgamma(a1 + b1 + 2.0) - math.lgamma(a1 + 1.0) - math.lgamma(b1 + 1.0)
    if a1 != 0.0:
        out += a1 * math.log(x) if x > 0.0 else -math.inf
    if b1 != 0.0:
        out += b1 * math.log(1.0 - x) if x < 1.0 else -math.inf
    return out


@njit(cache=True, nogil=True)
def log_prior(
    emit: NDArray[np.float64],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    fit_forget: bool,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    pa: NDArray[np.float64],
    pb: NDArray[np.float64],
    item_strength: float,
    tie_slip: bool,
) -> float:
    """Log prior density of the parameters: the term MAP adds to the log-likelihood.

    One Beta per class value (a tied slip counts once). With item shrinkage the
    classes' Betas carry the pooled skill value of the E-step counts in `emit`
    (computed as the M-step does), so the objective is a function of the
    parameters alone. 0.0 for flat priors.
    """
    lp = 0.0
    for k in range(prior.shape[0]):
        lp += log_beta_pdf(prior[k], pa[PRIOR], pb[PRIOR])
    for r in range(learn.shape[0]):
        lp += log_beta_pdf(learn[r], pa[LEARN], pb[LEARN])
        if fit_forget:
            lp += log_beta_pdf(forget[r], pa[FORGET], pb[FORGET])
    n_gs = guess.shape[0]
    shrink = item_strength > 0.0 and n_gs > 1
    mg = 0.5
    ms = 0.5
    if shrink:
        mg = _pooled(emit, 0, 1, pa[GUESS], pb[GUESS], lo[GUESS], hi[GUESS])
        ms = _pooled(emit, 1, 0, pa[SLIP], pb[SLIP], lo[SLIP], hi[SLIP])
    for c in range(n_gs):
        if shrink:
            lp += log_beta_pdf(
                guess[c], pa[GUESS] + item_strength * mg, pb[GUESS] + item_strength * (1.0 - mg)
            )
        else:
            lp += log_beta_pdf(guess[c], pa[GUESS], pb[GUESS])
        if tie_slip:
            continue
        if shrink:
            lp += log_beta_pdf(
                slip[c], pa[SLIP] + item_strength * ms, pb[SLIP] + item_strength * (1.0 - ms)
            )
        else:
            lp += log_beta_pdf(slip[c], pa[SLIP], pb[SLIP])
    if tie_slip and n_gs > 0:
        lp += log_beta_pdf(slip[0], pa[SLIP], pb[SLIP])
    return lp


@njit(cache=True, nogil=True)
def em_fit(
    correct: NDArray[np.int8],
    gs: NDArray[np.int32],
    lr: NDArray[np.int32],
    starts: NDArray[np.int64],
    seq_cls: NDArray[np.int32],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    fit_forget: bool,
    max_iter: int,
    tol: float,
    truncate: bool,
    lo: NDArray[np.float64],
    hi: NDArray[np.float64],
    g_lo: NDArray[np.float64],
    g_hi: NDArray[np.float64],
    s_lo: NDArray[np.float64],
    s_hi: NDArray[np.float64],
    pa: NDArray[np.float64],
    pb: NDArray[np.float64],
    item_strength: float,
    tie_slip: bool,
    history: NDArray[np.float64],
    lp_history: NDArray[np.float64],
) -> tuple[int, float, float, bool]:
    """EM (MAP under Beta priors) for one skill, parameters updated in place (pyBKT's EM_fit).

    Each iteration runs an E-step, stops when `|lp_i - lp_{i-1}| < tol` for i > 1 on
    the log posterior lp = log-likelihood + log prior (before the M-step, so the
    parameters returned are those the last E-step scored), else runs the M-step.
    Flat priors make lp the log-likelihood itself, so the rule is pyBKT's. Each
    M-step maximises the expected complete-data log posterior, so lp never falls,
    except with item shrinkage: its centre (the pooled value) moves with the
    counts, and lp can dip by a few thousandths of a nat; the |change| test still
    stops it.
    Returns (E-steps run, log-likelihood and log posterior of the returned
    parameters, converged); history[:n] / lp_history[:n] hold the exact values.
    """
    n_lr = learn.shape[0]
    n_gs = guess.shape[0]
    n_pr = prior.shape[0]
    trans = np.zeros((n_lr, 2, 2))
    emit = np.zeros((n_gs, 2, 2))
    init = np.zeros((n_pr, 2))
    longest = 1
    for q in range(starts.shape[0] - 1):
        longest = max(longest, starts[q + 1] - starts[q])
    a0 = np.empty(longest)
    a1 = np.empty(longest)
    if not fit_forget:
        forget[:] = 0.0
    prev = 0.0
    for it in range(max_iter):
        ll = e_step(
            correct,
            gs,
            lr,
            starts,
            seq_cls,
            prior,
            learn,
            forget,
            guess,
            slip,
            trans,
            emit,
            init,
            a0,
            a1,
        )
        lp = ll + log_prior(
            emit,
            prior,
            learn,
            forget,
            guess,
            slip,
            fit_forget,
            lo,
            hi,
            pa,
            pb,
            item_strength,
            tie_slip,
        )
        history[it] = ll
        lp_history[it] = lp
        cmp = float(math.trunc(lp)) if truncate and math.isfinite(lp) else lp
        if it > 1 and abs(cmp - prev) < tol:
            return it + 1, ll, lp, True
        prev = cmp
        m_step(
            trans,
            emit,
            init,
            prior,
            learn,
            forget,
            guess,
            slip,
            fit_forget,
            lo,
            hi,
            g_lo,
            g_hi,
            s_lo,
            s_hi,
            pa,
            pb,
            item_strength,
            tie_slip,
        )
    if item_strength > 0.0 and n_gs > 1:  # the log prior needs this E-step's counts
        final = e_step(
            correct,
            gs,
            lr,
            starts,
            seq_cls,
            prior,
            learn,
            forget,
            guess,
            slip,
            trans,
            emit,
            init,
            a0,
            a1,
        )
    else:
        final = log_likelihood(correct, gs, lr, starts, seq_cls, prior, learn, forget, guess, slip)
    lp = final + log_prior(
        emit,
        prior,
        learn,
        forget,
        guess,
        slip,
        fit_forget,
        lo,
        hi,
        pa,
        pb,
        item_strength,
        tie_slip,
    )
    return max_iter, final, lp, False


@njit(cache=True, nogil=True, parallel=True)
def forward_trace(
    correct: NDArray[np.int8],
    starts: NDArray[np.int64],
    seq_prior: NDArray[np.float64],
    gs_idx: NDArray[np.int64],
    lr_idx: NDArray[np.int64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    out_p: NDArray[np.float64],
    out_m: NDArray[np.float64],
) -> None:
    """Filtering over every sequence: P(correct) before each response, mastery after it.

    The belief is carried as the pair (P(unknown), P(known)), renormalised each
    step, exactly as pyBKT's forward messages: a single P(known) rounds to 1.0
    after a run of correct answers and could then never register later errors.
    A sequence whose prior is NaN (skill without parameters) yields NaN. Any
    parameters the loader accepts (0 and 1 included) keep every output in [0, 1]:
    P(correct) is clipped against rounding, and an answer the model calls impossible
    (0/0 in the update) keeps the belief instead of dividing by zero.
    """
    for q in prange(starts.shape[0] - 1):
        k = seq_prior[q]
        u = 1.0 - k
        for t in range(starts[q], starts[q + 1]):
            if k != k:
                out_p[t] = np.nan
                out_m[t] = np.nan
                continue
            g = guess[gs_idx[t]]
            s = slip[gs_idx[t]]
            # u + k can exceed 1 by an ulp, so g = 1, s = 0 gives 1 + 2e-16 unclipped
            out_p[t] = min(max(u * g + k * (1.0 - s), 0.0), 1.0)
            if correct[t] != 0:
                x0 = u * g
                x1 = k * (1.0 - s)
            else:
                x0 = u * (1.0 - g)
                x1 = k * s
            den = x0 + x1
            if den > 0.0:
                x0 /= den
                x1 /= den
            else:
                x0 = u
                x1 = k
            lrn = learn[lr_idx[t]]
            fgt = forget[lr_idx[t]]
            u = (1.0 - lrn) * x0 + fgt * x1
            k = lrn * x0 + (1.0 - fgt) * x1
            out_m[t] = k
