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
- the convergence test compares log-likelihoods *truncated to integers*, because
  pyBKT's E-step returns `PyLong_FromLong(total_loglike)`; `truncate=False` gives
  the plain absolute-tolerance rule on the exact value.

Layout: a skill's responses are one contiguous block; `starts` holds the local
offsets of its (student) sequences plus the end. `gs`/`lr` are per-response class
indices for guess/slip and learn/forget (empty = one class), `seq_cls` the
per-sequence prior class (empty = one class). Transition t -> t+1 uses the learn
class of response t ("the item practised teaches"), exactly as pyBKT's resources.
Parameter order in the bound arrays `lo`/`hi`: prior, learn, forget, guess, slip.
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
) -> None:
    """pyBKT's M-step, then each parameter clipped into its bounds (exact for box bounds)."""
    for r in range(learn.shape[0]):
        for j in range(2):
            if trans[r, 0, j] + trans[r, 1, j] == 0.0:
                trans[r, 0, j] = 0.0
                trans[r, 1, j] = 1.0
        learn[r] = _clip(trans[r, 1, 0] / (trans[r, 0, 0] + trans[r, 1, 0]), lo[LEARN], hi[LEARN])
        if fit_forget:
            v = trans[r, 0, 1] / (trans[r, 0, 1] + trans[r, 1, 1])
            forget[r] = _clip(v, lo[FORGET], hi[FORGET])
        else:
            forget[r] = 0.0
    for c in range(guess.shape[0]):
        for st in range(2):
            if emit[c, st, 0] + emit[c, st, 1] == 0.0:
                emit[c, st, 0] = 1.0
                emit[c, st, 1] = 1.0
        guess[c] = _clip(emit[c, 0, 1] / (emit[c, 0, 0] + emit[c, 0, 1]), lo[GUESS], hi[GUESS])
        slip[c] = _clip(emit[c, 1, 0] / (emit[c, 1, 0] + emit[c, 1, 1]), lo[SLIP], hi[SLIP])
    for k in range(prior.shape[0]):
        tot = init[k, 0] + init[k, 1]
        if tot > 0.0:
            prior[k] = _clip(init[k, 1] / tot, lo[PRIOR], hi[PRIOR])


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
    history: NDArray[np.float64],
) -> tuple[int, float, bool]:
    """EM for one skill, parameters updated in place (pyBKT's EM_fit loop).

    Each iteration runs an E-step, stops when `|ll_i - ll_{i-1}| < tol` for i > 1
    (before the M-step, so the parameters returned are those the last E-step
    scored), else runs the M-step. Returns (E-steps run, log-likelihood of the
    returned parameters, converged); history[:n] holds the exact log-likelihoods.
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
        history[it] = ll
        cmp = float(math.trunc(ll)) if truncate else ll
        if it > 1 and abs(cmp - prev) < tol:
            return it + 1, ll, True
        prev = cmp
        m_step(trans, emit, init, prior, learn, forget, guess, slip, fit_forget, lo, hi)
    final = log_likelihood(correct, gs, lr, starts, seq_cls, prior, learn, forget, guess, slip)
    return max_iter, final, False


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
    A sequence whose prior is NaN (skill without parameters) yields NaN.
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
            out_p[t] = u * g + k * (1.0 - s)
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
