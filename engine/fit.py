"""Fitting BKT by EM (Baum-Welch), one independent problem per skill.

`BKTFitter` mirrors pyBKT's `Model.fit` (same E/M-steps and convergence rule, see
engine.kernels; the same random starts except for forget) but runs each skill's whole
EM loop inside one compiled, GIL-free kernel and spreads skills over a thread
pool, largest first, so both cores stay busy.

Variants: `forgets` (P(known -> unknown) fitted), `multigs` (guess/slip per item),
`multilearn` (learn/forget per item: the transition *after* a response to item i
uses item i's rates, as pyBKT's resources do), `multiprior` (prior per student
class; a sequence's class is its first response's class). Item- and class-level
values land in the `item_*`/`class_prior` maps; the skill-level value is the
response-weighted mean, used for items or classes never seen in training.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from engine import kernels
from engine.bounds import UNBOUNDED, Bounds
from engine.params import ModelParams, ParamsError, SkillParams
from engine.report import FitReport, skill_report
from engine.responses import Responses

Progress = Callable[[int, int], None]
_EMPTY_I32 = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class _Classes:
    """Per-skill local class ids of some code (item or student class)."""

    local: NDArray[np.int32]  # per row (or per sequence), id within its skill
    offset: NDArray[np.int64]  # global class id of each skill's first class; len n_skills + 1
    code: NDArray[np.int64]  # code (item / class) of each global class
    count: NDArray[np.int64]  # rows (or sequences) per global class


def _classes(
    skill_of: NDArray[np.int32], code: NDArray[np.int32], n_codes: int, n_skills: int
) -> _Classes:
    key = skill_of.astype(np.int64) * max(n_codes, 1) + code
    uniq, inv, count = np.unique(key, return_inverse=True, return_counts=True)
    cls_skill = uniq // max(n_codes, 1)
    offset = np.searchsorted(cls_skill, np.arange(n_skills + 1)).astype(np.int64)
    local = (inv.ravel() - offset[skill_of]).astype(np.int32)
    return _Classes(local, offset, uniq % max(n_codes, 1), count.astype(np.int64))


@dataclass(frozen=True)
class _Layout:
    """Kernel-ready arrays of a `Responses`, sliced per skill without copying rows."""

    correct: NDArray[np.int8]
    rows: NDArray[np.int64]  # row offset of each skill; len n_skills + 1
    seqs: NDArray[np.int64]  # sequence offset of each skill; len n_skills + 1
    starts: NDArray[np.int64]  # global sequence starts plus end
    gs: _Classes | None
    lr: _Classes | None
    pr: _Classes | None
    n_students: NDArray[np.int64]

    @classmethod
    def build(cls, data: Responses, multigs: bool, multilearn: bool, multiprior: bool) -> _Layout:
        n_skills = len(data.skills)
        starts = data.sequence_starts()
        seq_skill = data.skill[starts[:-1]]
        items = (
            _classes(data.skill, data.item, len(data.items), n_skills)
            if (multigs or multilearn)
            else None
        )
        pr = None
        if multiprior:
            pr = _classes(seq_skill, data.student_class[starts[:-1]], len(data.classes), n_skills)
        return cls(
            correct=np.ascontiguousarray(data.correct, dtype=np.int8),
            rows=data.skill_bounds(),
            seqs=np.searchsorted(seq_skill, np.arange(n_skills + 1)).astype(np.int64),
            starts=starts,
            gs=items if multigs else None,
            lr=items if multilearn else None,
            pr=pr,
            n_students=np.bincount(seq_skill, minlength=n_skills).astype(np.int64),
        )

    def n_classes(self, c: _Classes | None, k: int) -> int:
        return 1 if c is None else int(c.offset[k + 1] - c.offset[k])

    def skill_arrays(
        self, k: int
    ) -> tuple[
        NDArray[np.int8], NDArray[np.int32], NDArray[np.int32], NDArray[np.int64], NDArray[np.int32]
    ]:
        r0, r1 = int(self.rows[k]), int(self.rows[k + 1])
        s0, s1 = int(self.seqs[k]), int(self.seqs[k + 1])
        gs = self.gs.local[r0:r1] if self.gs is not None else _EMPTY_I32
        lr = self.lr.local[r0:r1] if self.lr is not None else _EMPTY_I32
        pr = self.pr.local[s0:s1] if self.pr is not None else _EMPTY_I32
        return self.correct[r0:r1], gs, lr, self.starts[s0 : s1 + 1] - r0, pr


@dataclass
class _Start:
    """Initial parameter arrays of one skill (one restart)."""

    prior: NDArray[np.float64]
    learn: NDArray[np.float64]
    forget: NDArray[np.float64]
    guess: NDArray[np.float64]
    slip: NDArray[np.float64]


@dataclass
class _Result:
    skill: int
    restart: int
    params: _Start
    n_iter: int
    log_likelihood: float
    converged: bool
    history: NDArray[np.float64]


def _as_generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


class BKTFitter:
    """Estimator: settings in __init__, `fit` learns `params_`, `report_` and per-skill traces.

    `restarts` random starts per skill, drawn like pyBKT's random_model_uni (prior
    ~ U(0,1), learn ~ U(0,.4), guess ~ U(0,.4), slip ~ U(0,.3), class priors ~ U(0,.4))
    except forget ~ U(0,.4) when fitted: pyBKT's U(0,1) often starts EM in the
    label-switched basin (forget near 1, guess > 1 - slip); on ASSISTments 2009
    that costs ~0.02 test AUC on average (benchmarks.fit_vs_pybkt --start-draws).
    The start with the best final log-likelihood wins; `initial` replaces the
    first restart's draw (`engine.pybkt_compat.pybkt_random_starts` gives pyBKT's
    own starts). `convergence="pybkt"` stops like pyBKT's EM_fit (integer
    log-likelihood unchanged, see engine.kernels), `"absolute"` on the exact value.
    `n_jobs` threads (default: all cores). `progress(done, total)` is called from
    the calling thread after each (skill, restart) task.
    """

    def __init__(
        self,
        *,
        forgets: bool = False,
        multigs: bool = False,
        multilearn: bool = False,
        multiprior: bool = False,
        restarts: int = 1,
        max_iter: int = 100,
        tol: float = 1e-3,
        bounds: Bounds | None = None,
        min_responses: int = 50,
        min_students: int = 5,
        convergence: Literal["pybkt", "absolute"] = "pybkt",
        random_state: int | np.random.Generator | None = None,
        n_jobs: int | None = None,
        progress: Progress | None = None,
    ) -> None:
        if restarts < 1:
            raise ValueError(f"restarts must be >= 1, got {restarts}")
        if max_iter < 1:
            raise ValueError(f"max_iter must be >= 1, got {max_iter}")
        if not tol >= 0:
            raise ValueError(f"tol must be >= 0, got {tol}")
        if convergence not in ("pybkt", "absolute"):
            raise ValueError(f"convergence must be 'pybkt' or 'absolute', got {convergence!r}")
        if bounds is not None and not isinstance(bounds, Bounds):
            raise TypeError(f"bounds must be an engine.bounds.Bounds, got {type(bounds).__name__}")
        self.forgets = forgets
        self.multigs = multigs
        self.multilearn = multilearn
        self.multiprior = multiprior
        self.restarts = restarts
        self.max_iter = max_iter
        self.tol = tol
        self.bounds = bounds
        self.min_responses = min_responses
        self.min_students = min_students
        self.convergence = convergence
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    # ---- public ---------------------------------------------------------------------------

    def fit(self, responses: Responses, initial: ModelParams | None = None) -> BKTFitter:
        """Fit every skill that has responses; `initial` replaces the first restart's draw."""
        bounds = self.bounds or UNBOUNDED
        lo, hi = bounds.arrays()
        layout = _Layout.build(responses, self.multigs, self.multilearn, self.multiprior)
        skills = [k for k in range(len(responses.skills)) if layout.rows[k + 1] > layout.rows[k]]
        starts = self._starts(responses, layout, skills, initial, lo, hi)
        truncate = self.convergence == "pybkt"

        def task(k: int, r: int) -> _Result:
            p = starts[r][k]
            history = np.zeros(self.max_iter)
            n, ll, conv = kernels.em_fit(
                *layout.skill_arrays(k),
                p.prior,
                p.learn,
                p.forget,
                p.guess,
                p.slip,
                self.forgets,
                self.max_iter,
                float(self.tol),
                truncate,
                lo,
                hi,
                history,
            )
            return _Result(k, r, p, int(n), float(ll), bool(conv), history[:n].copy())

        jobs = sorted(
            ((k, r) for k in skills for r in range(self.restarts)),
            key=lambda kr: -int(layout.rows[kr[0] + 1] - layout.rows[kr[0]]),
        )
        best: dict[int, _Result] = {}
        for res in self._run(task, jobs):
            cur = best.get(res.skill)
            if (
                cur is None
                or res.log_likelihood > cur.log_likelihood
                or (res.log_likelihood == cur.log_likelihood and res.restart < cur.restart)
            ):
                best[res.skill] = res
        self._collect(responses, layout, skills, best, bounds)
        return self

    # ---- internals ------------------------------------------------------------------------

    def _run(
        self, task: Callable[[int, int], _Result], jobs: list[tuple[int, int]]
    ) -> list[_Result]:
        n_jobs = self.n_jobs or os.cpu_count() or 1
        total = len(jobs)
        out: list[_Result] = []
        if n_jobs == 1 or total <= 1:
            for i, (k, r) in enumerate(jobs):
                out.append(task(k, r))
                if self.progress is not None:
                    self.progress(i + 1, total)
            return out
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(task, k, r) for k, r in jobs]
            for i, fut in enumerate(as_completed(futures)):
                out.append(fut.result())
                if self.progress is not None:
                    self.progress(i + 1, total)
        return out

    def _starts(
        self,
        data: Responses,
        layout: _Layout,
        skills: list[int],
        initial: ModelParams | None,
        lo: NDArray[np.float64],
        hi: NDArray[np.float64],
    ) -> list[dict[int, _Start]]:
        """Initial arrays per restart per skill; draws are made for all skills at once."""
        rng = _as_generator(self.random_state)
        n_skills = len(data.skills)
        n_gs = int(layout.gs.offset[-1]) if layout.gs is not None else n_skills
        n_lr = int(layout.lr.offset[-1]) if layout.lr is not None else n_skills
        n_pr = int(layout.pr.offset[-1]) if layout.pr is not None else n_skills
        gs_off = layout.gs.offset if layout.gs is not None else np.arange(n_skills + 1)
        lr_off = layout.lr.offset if layout.lr is not None else np.arange(n_skills + 1)
        pr_off = layout.pr.offset if layout.pr is not None else np.arange(n_skills + 1)
        out: list[dict[int, _Start]] = []
        for _ in range(self.restarts):
            prior = rng.random(n_pr) * (0.4 if self.multiprior else 1.0)
            learn = rng.random(n_lr) * 0.4
            forget = rng.random(n_lr) * 0.4 if self.forgets else np.zeros(n_lr)
            guess = rng.random(n_gs) * 0.4
            slip = rng.random(n_gs) * 0.3
            out.append(
                {
                    k: _Start(
                        prior=np.clip(prior[pr_off[k] : pr_off[k + 1]], lo[0], hi[0]),
                        learn=np.clip(learn[lr_off[k] : lr_off[k + 1]], lo[1], hi[1]),
                        forget=np.clip(forget[lr_off[k] : lr_off[k + 1]], lo[2], hi[2]),
                        guess=np.clip(guess[gs_off[k] : gs_off[k + 1]], lo[3], hi[3]),
                        slip=np.clip(slip[gs_off[k] : gs_off[k + 1]], lo[4], hi[4]),
                    )
                    for k in skills
                }
            )
        if initial is not None:
            for k in skills:
                name = data.skills[k]
                if name in initial:
                    out[0][k] = self._from_params(initial[name], data, layout, k, lo, hi)
        return out

    def _from_params(
        self,
        p: SkillParams,
        data: Responses,
        layout: _Layout,
        k: int,
        lo: NDArray[np.float64],
        hi: NDArray[np.float64],
    ) -> _Start:
        def names(c: _Classes | None, table: tuple[str, ...]) -> list[str | None]:
            if c is None:
                return [None]
            return [table[int(x)] for x in c.code[c.offset[k] : c.offset[k + 1]]]

        gs_items = names(layout.gs, data.items)
        lr_items = names(layout.lr, data.items)
        classes = names(layout.pr, data.classes)
        forget = [p.forget_for(i) for i in lr_items] if self.forgets else [0.0] * len(lr_items)
        return _Start(
            prior=np.clip([p.prior_for(c) for c in classes], lo[0], hi[0]),
            learn=np.clip([p.learn_for(i) for i in lr_items], lo[1], hi[1]),
            forget=np.clip(forget, lo[2], hi[2]),
            guess=np.clip([p.guess_for(i) for i in gs_items], lo[3], hi[3]),
            slip=np.clip([p.slip_for(i) for i in gs_items], lo[4], hi[4]),
        )

    def _collect(
        self,
        data: Responses,
        layout: _Layout,
        skills: list[int],
        best: dict[int, _Result],
        bounds: Bounds,
    ) -> None:
        params: dict[str, SkillParams] = {}
        reports = []
        self.log_likelihood_: dict[str, float] = {}
        self.n_iter_: dict[str, int] = {}
        self.history_: dict[str, NDArray[np.float64]] = {}
        self.converged_: dict[str, bool] = {}
        for k in skills:
            res = best[k]
            name = data.skills[k]
            sp = self._skill_params(res.params, data, layout, k)
            params[name] = sp
            n_rows = int(layout.rows[k + 1] - layout.rows[k])
            self.log_likelihood_[name] = res.log_likelihood
            self.n_iter_[name] = res.n_iter
            self.history_[name] = res.history
            self.converged_[name] = res.converged
            reports.append(
                skill_report(
                    name,
                    sp,
                    n_responses=n_rows,
                    n_students=int(layout.n_students[k]),
                    log_likelihood=res.log_likelihood,
                    iterations=res.n_iter,
                    converged=res.converged,
                    min_responses=self.min_responses,
                    min_students=self.min_students,
                    bounds=bounds,
                )
            )
        settings = {
            "forgets": self.forgets,
            "multigs": self.multigs,
            "multilearn": self.multilearn,
            "multiprior": self.multiprior,
            "restarts": self.restarts,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "convergence": self.convergence,
            "bounds": bounds.to_dict(),
            "random_state": self.random_state if isinstance(self.random_state, int) else None,
        }
        self.params_ = ModelParams(
            skills=params,
            forgets=self.forgets,
            multigs=self.multigs,
            multilearn=self.multilearn,
            multiprior=self.multiprior,
            metadata={"fitted_by": "engine.fit.BKTFitter", **settings},
        )
        self.report_ = FitReport(skills=tuple(reports), settings=settings)

    def _skill_params(self, p: _Start, data: Responses, layout: _Layout, k: int) -> SkillParams:
        def mapped(
            c: _Classes | None, values: NDArray[np.float64], table: tuple[str, ...]
        ) -> tuple[float, dict[str, float]]:
            if c is None:
                return float(values[0]), {}
            sl = slice(int(c.offset[k]), int(c.offset[k + 1]))
            w = c.count[sl].astype(np.float64)
            pooled = float(np.clip(np.dot(w, values) / w.sum(), 0.0, 1.0))
            return pooled, {
                table[int(code)]: float(v) for code, v in zip(c.code[sl], values, strict=True)
            }

        prior, class_prior = mapped(layout.pr, p.prior, data.classes)
        learn, item_learn = mapped(layout.lr, p.learn, data.items)
        forget, item_forget = mapped(layout.lr, p.forget, data.items)
        guess, item_guess = mapped(layout.gs, p.guess, data.items)
        slip, item_slip = mapped(layout.gs, p.slip, data.items)
        try:
            return SkillParams(
                prior=prior,
                learn=learn,
                guess=guess,
                slip=slip,
                forget=forget,
                item_guess=item_guess,
                item_slip=item_slip,
                item_learn=item_learn,
                item_forget=item_forget if self.forgets else {},
                class_prior=class_prior,
            )
        except ParamsError as exc:
            raise ParamsError(f"skill {data.skills[k]!r}: fit produced {exc}") from None
