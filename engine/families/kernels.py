"""Numba kernels of the student-ability model: BKT as a mixture over a grid of student shifts.

A student's ability is a pair of logit shifts (a, b): their prior on every skill is
sigmoid(logit(prior_k) + a) and their learn rate sigmoid(logit(learn_k) + b). The
population distribution is a set of weights over a fixed grid of (a, b) points, so
given the skill parameters the student's posterior over the grid is exact Bayes:

- the fit's E-step runs, for every (skill, student) sequence and grid point, the
  forward pass (its log-likelihood, summed per student into the grid posterior),
  then the forward-backward pass weighted by that posterior (soft counts);
- the online filter walks each student's answers in time order, keeps one belief
  per (skill, grid point) and the log posterior weight of every grid point, and
  predicts with the posterior mixture: O(grid) work per answer, whatever the
  student has done before.

Shift 0 uses the skill's own prior or learn value, never sigmoid(logit(x) + 0),
and every filter step repeats `engine.kernels.forward_trace`'s operations in its
order, so a population concentrated on (0, 0) predicts plain BKT to the bit.

Layout: rows in the `Responses` order (skill, student, time); `starts` the
(skill, student) sequence offsets plus the end; `seq_skill`/`seq_student` per
sequence; `cls` the guess/slip class of each row (an item within its skill, or
the skill itself); `sk_seq` the sequence offset of each skill plus the end.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit, prange
from numpy.typing import NDArray


@njit(cache=True, nogil=True)
def shifted(p: float, shift: float) -> float:
    """sigmoid(logit(p) + shift); exactly p at shift 0 (and at p = 0 or 1)."""
    if shift == 0.0 or p <= 0.0 or p >= 1.0:
        return p
    z = math.log(p) - math.log1p(-p) + shift
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True, nogil=True)
def _lik(g: float, s: float, o: int, st: int) -> float:
    """Emission likelihood with pyBKT's zero-as-one rule (the E-step of engine.kernels)."""
    v = (g if o != 0 else 1.0 - g) if st == 0 else (1.0 - s if o != 0 else s)
    return v if v != 0.0 else 1.0


def _row_likelihoods(
    correct: NDArray[np.int8],
    cls: NDArray[np.int64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    l0: NDArray[np.float64],
    l1: NDArray[np.float64],
) -> None:
    """l0[t], l1[t]: each row's likelihood given unknown / known (independent of shifts)."""
    for t in prange(correct.shape[0]):
        c = cls[t]
        o = correct[t]
        l0[t] = _lik(guess[c], slip[c], o, 0)
        l1[t] = _lik(guess[c], slip[c], o, 1)


def _sequence_loglik(
    starts: NDArray[np.int64],
    seq_skill: NDArray[np.int64],
    l0: NDArray[np.float64],
    l1: NDArray[np.float64],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    a_grid: NDArray[np.float64],
    b_grid: NDArray[np.float64],
    weight: NDArray[np.float64],
    min_weight: float,
    out: NDArray[np.float64],
) -> None:
    """out[q, i, j]: log-likelihood of sequence q with prior shift a_grid[i], learn b_grid[j].

    Points whose weight[q, i, j] (the student's last posterior) is below `min_weight`
    are skipped and get -inf: the fit drops them for that student. The step
    normalisers are multiplied and their log taken before the product underflows
    (one log per ~hundreds of steps instead of one per step)."""
    na = a_grid.shape[0]
    nb = b_grid.shape[0]
    for q in prange(starts.shape[0] - 1):
        k = seq_skill[q]
        b0 = starts[q]
        e = starts[q + 1]
        fgt = forget[k]
        stay1 = 1.0 - fgt
        for i in range(na):
            p = shifted(prior[k], a_grid[i])
            for j in range(nb):
                if weight[q, i, j] < min_weight:
                    out[q, i, j] = -np.inf
                    continue
                lrn = shifted(learn[k], b_grid[j])
                stay0 = 1.0 - lrn
                x0 = (1.0 - p) * l0[b0]
                x1 = p * l1[b0]
                norm = x0 + x1
                prod = norm
                ll = 0.0
                inv = 1.0 / norm
                x0 *= inv
                x1 *= inv
                for t in range(b0 + 1, e):
                    p0 = stay0 * x0 + fgt * x1
                    p1 = lrn * x0 + stay1 * x1
                    x0 = p0 * l0[t]
                    x1 = p1 * l1[t]
                    norm = x0 + x1
                    prod *= norm
                    if prod < 1e-250:
                        ll += math.log(prod)
                        prod = 1.0
                    inv = 1.0 / norm
                    x0 *= inv
                    x1 *= inv
                out[q, i, j] = ll + math.log(prod)


@njit(cache=True, nogil=True)
def _counts_range(
    q0: int,
    q1: int,
    correct: NDArray[np.int8],
    starts: NDArray[np.int64],
    seq_skill: NDArray[np.int64],
    cls: NDArray[np.int64],
    l0: NDArray[np.float64],
    l1: NDArray[np.float64],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    a_grid: NDArray[np.float64],
    b_grid: NDArray[np.float64],
    weight: NDArray[np.float64],
    min_weight: float,
    h: int,
    init: NDArray[np.float64],
    from0: NDArray[np.float64],
    from1: NDArray[np.float64],
    emit: NDArray[np.float64],
    f0: NDArray[np.float64],
    f1: NDArray[np.float64],
) -> None:
    """`weighted_counts` of sequences q0..q1-1, added into accumulators [h]."""
    na = a_grid.shape[0]
    nb = b_grid.shape[0]
    for q in range(q0, q1):
        k = seq_skill[q]
        fgt = forget[k]
        b0 = starts[q]
        e = starts[q + 1]
        for i in range(na):
            p = shifted(prior[k], a_grid[i])
            for j in range(nb):
                w = weight[q, i, j]
                if w < min_weight:
                    continue
                lrn = shifted(learn[k], b_grid[j])
                x0 = (1.0 - p) * l0[b0]
                x1 = p * l1[b0]
                inv = 1.0 / (x0 + x1)
                x0 *= inv
                x1 *= inv
                f0[0] = x0
                f1[0] = x1
                for t in range(b0 + 1, e):
                    p0 = (1.0 - lrn) * x0 + fgt * x1
                    p1 = lrn * x0 + (1.0 - fgt) * x1
                    x0 = p0 * l0[t]
                    x1 = p1 * l1[t]
                    inv = 1.0 / (x0 + x1)
                    x0 *= inv
                    x1 *= inv
                    f0[t - b0] = x0
                    f1[t - b0] = x1
                g0 = x0
                g1 = x1
                c = cls[e - 1]
                o = correct[e - 1]
                emit[h, c, 0, o] += w * g0
                emit[h, c, 1, o] += w * g1
                for t in range(e - 2, b0 - 1, -1):
                    y0 = f0[t - b0]
                    y1 = f1[t - b0]
                    p0 = (1.0 - lrn) * y0 + fgt * y1
                    p1 = lrn * y0 + (1.0 - fgt) * y1
                    r0 = g0 / p0 if p0 != 0.0 else 0.0
                    r1 = g1 / p1 if p1 != 0.0 else 0.0
                    n00 = (1.0 - lrn) * y0 * r0
                    n01 = fgt * y1 * r0
                    n10 = lrn * y0 * r1
                    n11 = (1.0 - fgt) * y1 * r1
                    from0[h, k, j, 0] += w * n00
                    from0[h, k, j, 1] += w * n10
                    from1[h, k, 0] += w * n01
                    from1[h, k, 1] += w * n11
                    g0 = n00 + n10
                    g1 = n01 + n11
                    c = cls[t]
                    o = correct[t]
                    emit[h, c, 0, o] += w * g0
                    emit[h, c, 1, o] += w * g1
                init[h, k, i, 0] += w * g0
                init[h, k, i, 1] += w * g1


def _weighted_counts(
    correct: NDArray[np.int8],
    starts: NDArray[np.int64],
    seq_skill: NDArray[np.int64],
    chunks: NDArray[np.int64],
    cls: NDArray[np.int64],
    l0: NDArray[np.float64],
    l1: NDArray[np.float64],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    a_grid: NDArray[np.float64],
    b_grid: NDArray[np.float64],
    weight: NDArray[np.float64],
    min_weight: float,
    init: NDArray[np.float64],
    from0: NDArray[np.float64],
    from1: NDArray[np.float64],
    emit: NDArray[np.float64],
) -> None:
    """Soft counts of the E-step, each sequence's passes weighted by its student's posterior.

    weight[q, i, j] is the posterior of grid point (i, j) for sequence q's student;
    points below `min_weight` are skipped (their counts are negligible). Outputs
    (overwritten): init[k, i, state], from0[k, j, to] (transitions out of unknown,
    by learn shift), from1[k, to] (out of known), emit[c, state, obs]. The
    sequences are cut into `chunks` (offsets, balanced by rows), each summed into
    its own accumulators in parallel, then added up: no two threads share a cell.
    """
    n_chunks = chunks.shape[0] - 1
    ci = np.zeros((n_chunks, init.shape[0], init.shape[1], init.shape[2]))
    c0 = np.zeros((n_chunks, from0.shape[0], from0.shape[1], from0.shape[2]))
    c1 = np.zeros((n_chunks, from1.shape[0], from1.shape[1]))
    ce = np.zeros((n_chunks, emit.shape[0], emit.shape[1], emit.shape[2]))
    longest = 1
    for q in range(starts.shape[0] - 1):
        longest = max(longest, starts[q + 1] - starts[q])
    for h in prange(n_chunks):
        f0 = np.empty(longest)
        f1 = np.empty(longest)
        _counts_range(
            chunks[h], chunks[h + 1], correct, starts, seq_skill, cls, l0, l1, prior, learn,
            forget, a_grid, b_grid, weight, min_weight, h, ci, c0, c1, ce, f0, f1,
        )  # fmt: skip
    init[:] = 0.0
    from0[:] = 0.0
    from1[:] = 0.0
    emit[:] = 0.0
    for h in range(n_chunks):
        init += ci[h]
        from0 += c0[h]
        from1 += c1[h]
        emit += ce[h]


def _mixture_filter(
    correct: NDArray[np.int8],
    order: NDArray[np.int64],
    st_rows: NDArray[np.int64],
    seq_of: NDArray[np.int64],
    first: NDArray[np.bool_],
    skill_of: NDArray[np.int64],
    cls: NDArray[np.int64],
    guess: NDArray[np.float64],
    slip: NDArray[np.float64],
    prior: NDArray[np.float64],
    learn: NDArray[np.float64],
    forget: NDArray[np.float64],
    a_grid: NDArray[np.float64],
    b_grid: NDArray[np.float64],
    log_weight: NDArray[np.float64],
    known: NDArray[np.float64],
    unknown: NDArray[np.float64],
    out_p: NDArray[np.float64],
    out_m: NDArray[np.float64],
    out_logw: NDArray[np.float64],
) -> None:
    """Online filter of every student: P(correct) before each row, P(known) after it.

    order[st_rows[s]:st_rows[s + 1]] are student s's rows in time order; seq_of,
    first, skill_of, cls are per row (first: the row opens its sequence). A row
    whose skill has NaN prior (no parameters) yields NaN and leaves the weights.
    known/unknown[q, i, j] are scratch beliefs per sequence and grid point;
    log_weight[i, j] the population's log weights (-inf: never). out_logw[s] gets
    each student's final log posterior weights (unnormalised).
    """
    na = a_grid.shape[0]
    nb = b_grid.shape[0]
    for s in prange(st_rows.shape[0] - 1):
        lw = log_weight.copy()
        w = np.empty((na, nb))
        pg = np.empty((na, nb))
        for r in range(st_rows[s], st_rows[s + 1]):
            t = order[r]
            q = seq_of[t]
            k = skill_of[t]
            if prior[k] != prior[k]:
                out_p[t] = np.nan
                out_m[t] = np.nan
                continue
            if first[t]:
                for i in range(na):
                    p0 = shifted(prior[k], a_grid[i])
                    for j in range(nb):
                        known[q, i, j] = p0
                        unknown[q, i, j] = 1.0 - p0
            top = -np.inf
            for i in range(na):
                for j in range(nb):
                    top = max(top, lw[i, j])
            total = 0.0
            for i in range(na):
                for j in range(nb):
                    v = math.exp(lw[i, j] - top)
                    w[i, j] = v
                    total += v
            c = cls[t]
            g = guess[c]
            sl = slip[c]
            pc = 0.0
            for i in range(na):
                for j in range(nb):
                    u = unknown[q, i, j]
                    kk = known[q, i, j]
                    v = min(max(u * g + kk * (1.0 - sl), 0.0), 1.0)
                    pg[i, j] = v
                    pc += (w[i, j] / total) * v
            out_p[t] = min(max(pc, 0.0), 1.0)
            o = correct[t]
            # the grid posterior moves by each point's likelihood of this answer; if every
            # point calls it impossible, the weights stay (as the belief does below)
            lik_total = 0.0
            for i in range(na):
                for j in range(nb):
                    lik_total += w[i, j] * (pg[i, j] if o != 0 else 1.0 - pg[i, j])
            if lik_total > 0.0:
                for i in range(na):
                    for j in range(nb):
                        v = pg[i, j] if o != 0 else 1.0 - pg[i, j]
                        lw[i, j] = lw[i, j] + math.log(v) if v > 0.0 else -np.inf
            mastery = 0.0
            top = -np.inf
            for i in range(na):
                for j in range(nb):
                    top = max(top, lw[i, j])
            total = 0.0
            for i in range(na):
                for j in range(nb):
                    w[i, j] = math.exp(lw[i, j] - top)
                    total += w[i, j]
            for i in range(na):
                for j in range(nb):
                    u = unknown[q, i, j]
                    kk = known[q, i, j]
                    if o != 0:
                        x0 = u * g
                        x1 = kk * (1.0 - sl)
                    else:
                        x0 = u * (1.0 - g)
                        x1 = kk * sl
                    den = x0 + x1
                    if den > 0.0:
                        x0 /= den
                        x1 /= den
                    else:
                        x0 = u
                        x1 = kk
                    lrn = shifted(learn[k], b_grid[j])
                    fgt = forget[k]
                    unknown[q, i, j] = (1.0 - lrn) * x0 + fgt * x1
                    known[q, i, j] = lrn * x0 + (1.0 - fgt) * x1
                    mastery += (w[i, j] / total) * known[q, i, j]
            out_m[t] = min(mastery, 1.0)  # a mixture of beliefs in [0, 1], up to rounding
        out_logw[s] = lw


def _compiled(fn: Callable[..., Any], parallel: bool) -> Any:
    """`fn` compiled with or without threads. Each variant gets its own qualified name, so
    numba's on-disk cache keeps them apart."""
    suffix = "parallel" if parallel else "serial"
    copy = types.FunctionType(fn.__code__, fn.__globals__, f"{fn.__name__}_{suffix}")
    copy.__qualname__ = f"{fn.__qualname__}_{suffix}"
    copy.__doc__ = fn.__doc__
    return njit(cache=True, nogil=True, parallel=parallel)(copy)


# Threads pay off only on large inputs: below PARALLEL_ROWS rows their start-up and
# hand-off (tens of milliseconds per call on a loaded 2-core machine) outweigh the work.
PARALLEL_ROWS = 50_000
_KERNELS = {
    name: (_compiled(fn, False), _compiled(fn, True))
    for name, fn in (
        ("row_likelihoods", _row_likelihoods),
        ("sequence_loglik", _sequence_loglik),
        ("weighted_counts", _weighted_counts),
        ("mixture_filter", _mixture_filter),
    )
}


def kernel(name: str, n_rows: int) -> Any:
    """The serial or threaded variant of kernel `name` for an input of n_rows rows."""
    serial, parallel = _KERNELS[name]
    return parallel if n_rows >= PARALLEL_ROWS else serial
