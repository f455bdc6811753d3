"""Fitting the student-ability model by EM over skills, items and the population grid.

Start: a BKT+forgets fit (`engine.fit.BKTFitter`, seeded restarts; with items,
KT-IDEM shrunk toward the skill) and a centred normal population on the grid.
Each iteration:

- E-step (engine.families.kernels): every sequence's log-likelihood at every grid
  point, summed per student into the exact grid posterior of their shift; then
  forward-backward soft counts, weighted by that posterior;
- M-step: the population weights are the students' mean posterior (exact);
  forget and (unshrunk) guess/slip are count ratios (exact); a skill's prior and
  learn logits maximise a concave one-dimensional expected log-likelihood
  (Newton with step halving, so each step raises it).

Every M-step then raises the expected complete-data log-likelihood, so the data
log-likelihood never decreases (Dempster et al.) when items are unshrunk. With
item shrinkage the centre of each item's Beta (its skill's pooled value) moves
with the counts, so that objective may dip slightly, as in `engine.fit`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.families import kernels
from engine.families.errors import FamilyError
from engine.families.population import Population
from engine.families.student_model import StudentModel, tables
from engine.fit import BKTFitter
from engine.params import ModelParams, SkillParams
from engine.priors import Priors
from engine.report import FitReport, skill_report
from engine.responses import Responses

Progress = Callable[[int, int], None]
PRIOR_SHIFTS = (-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
LEARN_SHIFTS = (-2.0, -1.0, 0.0, 1.0, 2.0)
_LOGIT_MAX = 12.0  # |logit| of a skill's prior / learn at shift 0: 6e-6 .. 1 - 6e-6
_MIN_WEIGHT = 1e-6  # grid points below this posterior skip the weighted pass
_DROP_WEIGHT = 1e-12  # a grid point this unlikely for a student is not scored for them again
_N_CHUNKS = 16  # parallel runs of the weighted pass (balanced by rows)


def _sigmoid(z: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(0.5 * (1.0 + np.tanh(0.5 * z)))


def _logits(p: NDArray[np.float64]) -> NDArray[np.float64]:
    q = np.clip(p, 1e-12, 1.0 - 1e-12)
    return np.asarray(np.log(q) - np.log1p(-q))


def _expected(
    z: NDArray[np.float64],
    shifts: NDArray[np.float64],
    n1: NDArray[np.float64],
    n0: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per row k: sum_g n1[k, g] log sigmoid(z_k + s_g) + n0[k, g] log(1 - sigmoid(...))."""
    x = z[:, None] + shifts[None, :]
    return np.asarray(
        -(n1 * np.logaddexp(0.0, -x)).sum(axis=1) - (n0 * np.logaddexp(0.0, x)).sum(axis=1)
    )


def logit_m_step(
    z0: NDArray[np.float64],
    shifts: NDArray[np.float64],
    n1: NDArray[np.float64],
    n0: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Per row, argmax over z of the concave `_expected`, from z0: Newton steps, each halved
    until it does not lower the objective, so every update is an ascent (generalised EM)."""
    z = np.clip(np.asarray(z0, dtype=np.float64), -_LOGIT_MAX, _LOGIT_MAX)
    active = (n1.sum(axis=1) + n0.sum(axis=1)) > 0.0
    f = _expected(z, shifts, n1, n0)
    for _ in range(30):
        p = _sigmoid(z[:, None] + shifts[None, :])
        grad = (n1 * (1.0 - p) - n0 * p).sum(axis=1)
        hess = ((n1 + n0) * p * (1.0 - p)).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(hess > 1e-300, grad / hess, np.sign(grad))
        step = np.where(active, np.clip(step, -4.0, 4.0), 0.0)
        todo = step != 0.0
        zn = z.copy()
        fn = f.copy()
        for _ in range(40):
            if not todo.any():
                break
            cand = np.clip(z + step, -_LOGIT_MAX, _LOGIT_MAX)
            fc = _expected(cand, shifts, n1, n0)
            ok = todo & (fc >= f)
            zn[ok] = cand[ok]
            fn[ok] = fc[ok]
            todo &= ~ok
            step = np.where(todo, step * 0.5, step)
        moved = float(np.max(np.abs(zn - z))) if z.size else 0.0
        z, f = zn, fn
        if moved < 1e-10:
            break
    return z


def _chunks(starts: NDArray[np.int64], n: int) -> NDArray[np.int64]:
    """Sequence offsets cutting the sequences into about n runs of equal rows."""
    cuts = np.searchsorted(starts, np.linspace(0, starts[-1], n + 1)[1:-1])
    return np.unique(np.r_[0, cuts, starts.shape[0] - 1]).astype(np.int64)


class StudentFitter:
    """Estimator of `StudentModel`: settings here, `fit` learns `params_`, `report_`,
    `history_` (data log-likelihood before each M-step), `n_iter_`, `converged_`,
    `seconds_`.

    `items`: per-item guess/slip, shrunk toward the skill by `item_strength`
    pseudo-responses (the data then need item ids). `prior_shifts` /
    `learn_shifts`: the grid (logits); a single point 0 fixes every student at
    plain BKT. Stops when the log-likelihood gains less than `tol` per response
    (relative to the number of responses) or after `max_iter` iterations.
    `restarts`, `random_state`, `progress` and `n_jobs` go to the starting
    BKTFitter; `progress(done, total)` then also ticks once per EM iteration.
    """

    def __init__(
        self,
        *,
        items: bool = False,
        forgets: bool = True,
        item_strength: float = 10.0,
        prior_shifts: tuple[float, ...] = PRIOR_SHIFTS,
        learn_shifts: tuple[float, ...] = LEARN_SHIFTS,
        start_sd: tuple[float, float] = (1.0, 0.5),
        max_iter: int = 30,
        tol: float = 1e-6,
        restarts: int = 1,
        random_state: int | np.random.Generator | None = None,
        n_jobs: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        if max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {max_iter}")
        if not tol >= 0:
            raise ValueError(f"tol must be >= 0, got {tol}")
        if not item_strength >= 0:
            raise ValueError(f"item_strength must be >= 0, got {item_strength}")
        Population.gaussian(prior_shifts, learn_shifts, *start_sd)  # validates the grid
        self.items = items
        self.forgets = forgets
        self.item_strength = float(item_strength)
        self.prior_shifts = tuple(prior_shifts)
        self.learn_shifts = tuple(learn_shifts)
        self.start_sd = start_sd
        self.max_iter = max_iter
        self.tol = tol
        self.restarts = restarts
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    def _base(self, responses: Responses) -> BKTFitter:
        priors = Priors(item_strength=self.item_strength) if self.items else None
        total = [0]

        def tick(done: int, n: int) -> None:
            total[0] = n
            if self.progress is not None:
                self.progress(done, n + self.max_iter + 1)

        self._base_total = total
        return BKTFitter(
            forgets=self.forgets,
            multigs=self.items,
            priors=priors,
            restarts=self.restarts,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
            progress=tick,
        ).fit(responses)

    def fit(self, responses: Responses) -> StudentFitter:
        if self.items and responses.items == ("",):
            raise FamilyError(
                "the item-aware family needs item ids, but the data have none "
                "(give an item column: template_id/problem_id, 'Problem Name', item_id)"
            )
        t0 = time.perf_counter()
        base_fit = self._base(responses)
        base = base_fit.params_
        fitted = [k for k, s in enumerate(responses.skills) if s in base.skills]
        data = responses.take(np.isin(responses.skill, fitted))
        t = tables(base, data, by_item=self.items)
        starts = data.sequence_starts()
        seq_skill = data.skill[starts[:-1]].astype(np.int64)
        seq_student = data.student[starts[:-1]].astype(np.int64)
        n_skills = len(data.skills)
        a = np.asarray(self.prior_shifts, dtype=np.float64)
        b = np.asarray(self.learn_shifts, dtype=np.float64)
        pop = Population.gaussian(a, b, *self.start_sd)
        logw = pop.log_weights()
        prior, learn, forget = (np.nan_to_num(x) for x in (t.prior, t.learn, t.forget))
        guess, slip = t.guess.copy(), t.slip.copy()
        cls_skill = np.zeros(guess.shape[0], dtype=np.int64)
        cls_skill[t.cls] = data.skill
        correct = np.ascontiguousarray(data.correct, dtype=np.int8)
        n_seq = starts.shape[0] - 1
        n_students = len(data.students)
        L = np.empty((n_seq, a.shape[0], b.shape[0]))
        l0 = np.empty(len(data))
        l1 = np.empty(len(data))
        init = np.zeros((n_skills, a.shape[0], 2))
        from0 = np.zeros((n_skills, b.shape[0], 2))
        from1 = np.zeros((n_skills, 2))
        emit = np.zeros((guess.shape[0], 2, 2))
        history: list[float] = []
        n_rows = len(data)
        w_seq = np.ascontiguousarray(np.broadcast_to(np.exp(logw), (n_seq, *logw.shape)))
        by_student = np.argsort(seq_student, kind="stable")
        ss = seq_student[by_student]
        by_student_cut = np.flatnonzero(np.r_[True, ss[1:] != ss[:-1]])
        by_student_first = ss[by_student_cut]
        chunks = _chunks(starts, _N_CHUNKS)
        converged = False
        post = np.zeros((n_students, a.shape[0], b.shape[0]))
        it = 0
        for it in range(self.max_iter + 1):  # the last E-step scores the final parameters
            kernels.kernel("row_likelihoods", n_rows)(correct, t.cls, guess, slip, l0, l1)
            kernels.kernel("sequence_loglik", n_rows)(
                starts, seq_skill, l0, l1, prior, learn, forget, a, b, w_seq, _DROP_WEIGHT, L
            )
            per_student = np.zeros((n_students, a.shape[0], b.shape[0]))
            per_student[by_student_first] = np.add.reduceat(L[by_student], by_student_cut)
            with np.errstate(invalid="ignore"):
                lp = per_student + logw[None]
            top = lp.reshape(n_students, -1).max(axis=1)
            seen = np.isfinite(top)
            post[:] = 0.0
            post[seen] = np.exp(lp[seen] - top[seen, None, None])
            z = post.reshape(n_students, -1).sum(axis=1)
            post[seen] /= z[seen, None, None]
            ll = float((top[seen] + np.log(z[seen])).sum())
            history.append(ll)
            if self.progress is not None:
                self.progress(self._base_total[0] + it + 1, self._base_total[0] + self.max_iter + 1)
            if it > 0 and abs(ll - history[-2]) < self.tol * len(data):
                converged = True
                break
            if it == self.max_iter:
                break
            # M-step
            w_seq = np.ascontiguousarray(post[seq_student])  # also the next E-step's pruning
            kernels.kernel("weighted_counts", n_rows)(
                correct, starts, seq_skill, chunks, t.cls, l0, l1, prior, learn, forget, a, b,
                w_seq, _MIN_WEIGHT, init, from0, from1, emit,
            )  # fmt: skip
            n_seen = max(int(seen.sum()), 1)
            w_new = post[seen].sum(axis=0) / n_seen
            with np.errstate(divide="ignore"):
                logw = np.log(w_new)
            prior = _sigmoid(logit_m_step(_logits(prior), a, init[:, :, 1], init[:, :, 0]))
            learn = _sigmoid(logit_m_step(_logits(learn), b, from0[:, :, 1], from0[:, :, 0]))
            if self.forgets:
                n1 = from1[:, 0] + from1[:, 1]
                with np.errstate(invalid="ignore", divide="ignore"):
                    forget = np.where(n1 > 0.0, from1[:, 0] / n1, 0.0)
            guess, slip = self._emissions(emit, cls_skill, n_skills, guess, slip)
        self.n_iter_ = it  # M-steps run
        self.converged_ = converged
        self.history_ = np.asarray(history)
        w_final = np.exp(logw)
        w_final /= w_final.sum()
        population = Population.from_array(a, b, w_final)
        shifts = {
            data.students[s]: (
                float(post[s].sum(axis=1) @ a),
                float(post[s].sum(axis=0) @ b),
            )
            for s in np.unique(data.student).tolist()
        }
        skill_params = self._skill_params(data, t.cls, cls_skill, prior, learn, forget, guess, slip)
        settings: dict[str, Any] = {
            "family": "full" if self.items else "student",
            "forgets": self.forgets,
            "items": self.items,
            "item_strength": self.item_strength if self.items else 0.0,
            "prior_shifts": list(self.prior_shifts),
            "learn_shifts": list(self.learn_shifts),
            "max_iter": self.max_iter,
            "tol": self.tol,
            "restarts": self.restarts,
            "random_state": self.random_state if isinstance(self.random_state, int) else None,
            "iterations": self.n_iter_,
            "converged": converged,
            "log_likelihood": history[-1],
            "population_mean": list(population.mean()),
            "population_sd": list(population.sd()),
        }
        base_params = ModelParams(
            skills=skill_params,
            forgets=self.forgets,
            multigs=self.items,
            metadata={"fitted_by": "engine.families.StudentFitter", **settings},
        )
        self.params_ = StudentModel(
            base=base_params,
            population=population,
            students=shifts,
            family=settings["family"],
        )
        self.report_ = self._report(data, base_fit, skill_params, L, post, seq_skill,
                                    seq_student, settings)  # fmt: skip
        self.seconds_ = time.perf_counter() - t0
        return self

    def _emissions(
        self,
        emit: NDArray[np.float64],
        cls_skill: NDArray[np.int64],
        n_skills: int,
        guess: NDArray[np.float64],
        slip: NDArray[np.float64],
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Guess/slip per class from the counts; items pulled toward their skill's pooled
        value by `item_strength` pseudo-responses (the M-step of engine.kernels)."""
        n_g = emit[:, 0, 0] + emit[:, 0, 1]
        n_s = emit[:, 1, 0] + emit[:, 1, 1]
        g1 = emit[:, 0, 1].copy()
        s1 = emit[:, 1, 0].copy()
        if self.items and self.item_strength > 0.0:
            pg = np.bincount(cls_skill, g1, n_skills) / np.maximum(
                np.bincount(cls_skill, n_g, n_skills), 1e-300
            )
            ps = np.bincount(cls_skill, s1, n_skills) / np.maximum(
                np.bincount(cls_skill, n_s, n_skills), 1e-300
            )
            g1 = g1 + self.item_strength * pg[cls_skill]
            s1 = s1 + self.item_strength * ps[cls_skill]
            n_g = n_g + self.item_strength
            n_s = n_s + self.item_strength
        with np.errstate(invalid="ignore", divide="ignore"):
            new_g = np.where(n_g > 0.0, g1 / n_g, guess)
            new_s = np.where(n_s > 0.0, s1 / n_s, slip)
        return np.clip(new_g, 0.0, 1.0), np.clip(new_s, 0.0, 1.0)

    def _skill_params(
        self,
        data: Responses,
        cls: NDArray[np.int64],
        cls_skill: NDArray[np.int64],
        prior: NDArray[np.float64],
        learn: NDArray[np.float64],
        forget: NDArray[np.float64],
        guess: NDArray[np.float64],
        slip: NDArray[np.float64],
    ) -> dict[str, SkillParams]:
        """Skill-level guess/slip: the response-weighted mean of its items (unseen items)."""
        n_rows = np.bincount(cls, minlength=guess.shape[0]).astype(np.float64)
        n_items = max(len(data.items), 1)
        key = data.skill.astype(np.int64) * n_items + data.item
        item_of_cls = np.zeros(guess.shape[0], dtype=np.int64)
        item_of_cls[cls] = key % n_items
        out: dict[str, SkillParams] = {}
        for k in np.unique(data.skill).tolist():
            mine = np.flatnonzero(cls_skill == k)
            w = n_rows[mine]
            g = float(np.clip(w @ guess[mine] / w.sum(), 0.0, 1.0))
            s = float(np.clip(w @ slip[mine] / w.sum(), 0.0, 1.0))
            ig: dict[str, float] = {}
            isl: dict[str, float] = {}
            if self.items:
                for c in mine.tolist():
                    name = data.items[int(item_of_cls[c])]
                    ig[name] = float(guess[c])
                    isl[name] = float(slip[c])
            out[data.skills[k]] = SkillParams(
                prior=float(prior[k]),
                learn=float(learn[k]),
                guess=g,
                slip=s,
                forget=float(forget[k]) if self.forgets else 0.0,
                item_guess=ig,
                item_slip=isl,
            )
        return out

    def _report(
        self,
        data: Responses,
        base_fit: BKTFitter,
        skills: dict[str, SkillParams],
        L: NDArray[np.float64],
        post: NDArray[np.float64],
        seq_skill: NDArray[np.int64],
        seq_student: NDArray[np.int64],
        settings: dict[str, Any],
    ) -> FitReport:
        """Per skill: the expected log-likelihood under the students' posteriors (the mixture
        does not split exactly by skill), the data counts and the usual checks."""
        w = post[seq_student]
        # points dropped for a student have L = -inf and weight 0: they add nothing
        terms = np.where(w > 0.0, L * np.where(w > 0.0, w, 1.0), 0.0)
        expected = terms.reshape(L.shape[0], -1).sum(axis=1)
        ll = np.bincount(seq_skill, expected, len(data.skills))
        n_resp = np.bincount(data.skill, minlength=len(data.skills))
        n_stu = np.bincount(seq_skill, minlength=len(data.skills))
        rows = [
            skill_report(
                data.skills[k],
                skills[data.skills[k]],
                n_responses=int(n_resp[k]),
                n_students=int(n_stu[k]),
                log_likelihood=float(ll[k]),
                iterations=self.n_iter_,
                converged=self.converged_,
                min_responses=base_fit.min_responses,
                min_students=base_fit.min_students,
            )
            for k in np.unique(data.skill).tolist()
        ]
        return FitReport(skills=tuple(rows), settings=settings)
