"""Fitting skill by skill from a stream of one-skill blocks, in bounded memory.

`BKTFitter.fit` needs the whole log as one `Responses`. Its per-skill EM problems are
independent, though: what couples skills is only (1) the random starts, drawn for all
skills at once, so skill k's draw sits at an offset set by the class counts of the
skills before it, and (2) empirical Bayes, whose hyperpriors come from every skill's
first-round estimates. `StreamingFitter` therefore needs, before it reads any block, a
`SkillPlan`: the whole log's code tables (skills, items, student classes) and, per
skill, its rows, students and class counts. It draws the starts from that, then reads
one block per skill (`SkillSource.block(k)`: the whole log's rows of skill k with the
whole log's code tables, as `Responses.take` would give them), fits it, and drops it.
With empirical Bayes it reads every block twice (first round, then the refit under the
re-estimated hyperpriors). The result equals `BKTFitter.fit` on the whole log exactly:
same starts, same kernel inputs in the same order, same reports and metadata.

Memory bound: at most `max_in_flight` blocks at once (the ones being fitted, default
`n_jobs`, plus the one being read), so about (max_in_flight + 1) x the largest skill's
rows x 33 bytes (a `Responses` row: correct, four int32 codes, row and position),
plus the plan (O(skills + items)), the starts and the fitted parameters (O(classes x
restarts)) and one `max_iter` history per skill; never the whole log. It runs
BKTFitter's own per-skill steps (layout, class bounds, EM, collection) on each block,
so the two cannot drift apart.

The per-skill work is `fit_skill`, a pure function of a picklable `SkillJob`, so it
can run in this process's thread pool or on a `distributed` cluster (engine.fit_dask):
`submit` is anything with `submit(fn, job) -> future` whose futures have `.result()`.
The engine does no I/O here: a reader (the service's `api.services.log_data`) supplies
the plan and the blocks.
"""

from __future__ import annotations

import copy
import os
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from engine.bounds import PARAM_ORDER, UNBOUNDED
from engine.fit import (
    BKTFitter,
    _as_generator,
    _class_bounds,
    _keep_map,
    _Layout,
    _Result,
    _Start,
)
from engine.params import ModelParams, SkillParams
from engine.priors import EB_MIN_SKILLS, FLAT_PRIORS, Priors, empirical_bayes
from engine.report import FitReport, SkillReport
from engine.responses import DataError, Responses


@dataclass(frozen=True)
class SkillPlan:
    """What a streamed fit must know of the whole log before it reads a skill.

    `skills`, `items` and `classes` are the whole log's code tables (names sorted, as
    `Responses.from_columns` makes them); per skill code: rows, distinct students and
    the number of guess/slip, learn/forget and prior classes the whole log's layout
    gives it (1 where the variant is off, as BKTFitter counts them).
    """

    skills: tuple[str, ...]
    items: tuple[str, ...]
    classes: tuple[str, ...]
    n_rows: NDArray[np.int64]
    n_students: NDArray[np.int64]
    n_gs: NDArray[np.int64]
    n_lr: NDArray[np.int64]
    n_pr: NDArray[np.int64]

    def __post_init__(self) -> None:
        n = len(self.skills)
        for name in ("n_rows", "n_students", "n_gs", "n_lr", "n_pr"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"SkillPlan.{name} must hold one value per skill ({n})")


class SkillSource(Protocol):
    """A reader of the log one skill at a time (the rows of skill code k, with the plan's
    code tables; time order within each student)."""

    def block(self, k: int) -> Responses: ...


def _layout(fitter: BKTFitter, block: Responses) -> _Layout:
    bounds = fitter.bounds or UNBOUNDED
    return _Layout.build(
        block,
        fitter.multigs,
        fitter.multilearn,
        fitter.multiprior,
        fitter.guess_floors,
        bounds.guess[0],
    )


def _stand_in(
    skills: tuple[str, ...], items: tuple[str, ...], k: int, item: NDArray[np.int32]
) -> Responses:
    """One row of skill k per given item code: enough for the layout's class counts."""
    n = item.shape[0]
    return Responses(
        correct=np.zeros(n, dtype=np.int8),
        skill=np.full(n, k, dtype=np.int32),
        student=np.arange(n, dtype=np.int32),
        item=item,
        student_class=np.zeros(n, dtype=np.int32),
        row=np.arange(1, n + 1, dtype=np.int64),
        skills=skills,
        students=tuple(str(i) for i in range(n)),
        items=items,
        classes=("",),
    )


def plan_from_blocks(
    fitter: BKTFitter,
    skills: tuple[str, ...],
    items: tuple[str, ...],
    classes: tuple[str, ...],
    blocks: Callable[[int], Responses],
) -> SkillPlan:
    """The plan by reading every block once (exact for every variant, multiprior included)."""
    counts = np.zeros((5, len(skills)), dtype=np.int64)
    for k in range(len(skills)):
        block = blocks(k)
        if len(block) == 0:  # no rows: no classes where a variant makes them, else one
            layout = _layout(fitter, _stand_in(skills, items, k, np.zeros(1, dtype=np.int32)))
            counts[2:, k] = [int(c is None) for c in (layout.gs, layout.lr, layout.pr)]
            continue
        layout = _layout(fitter, block)
        counts[:, k] = (
            layout.n_rows(k),
            int(layout.n_students[k]),
            layout.n_classes(layout.gs, k),
            layout.n_classes(layout.lr, k),
            layout.n_classes(layout.pr, k),
        )
    return SkillPlan(skills, items, classes, *counts)


def plan_from_items(
    fitter: BKTFitter,
    skills: tuple[str, ...],
    items: tuple[str, ...],
    n_rows: Sequence[int],
    n_students: Sequence[int],
    skill_items: Sequence[Sequence[int]],
) -> SkillPlan:
    """The plan from per-skill counts and the item codes each skill has rows for, which a
    database can aggregate without sending rows. Guess/slip and learn classes depend only
    on which items a skill has, so one stand-in row per item gives their counts; the
    prior classes of `multiprior` depend on each sequence's first row (plan_from_blocks)."""
    if fitter.multiprior:
        raise ValueError("multiprior needs each sequence's first class: use plan_from_blocks")
    if not len(skills) == len(n_rows) == len(n_students) == len(skill_items):
        raise ValueError("skills, n_rows, n_students and skill_items must have one entry each")
    n_gs = np.zeros(len(skills), dtype=np.int64)
    n_lr = np.zeros(len(skills), dtype=np.int64)
    for k, codes in enumerate(skill_items):
        item = np.unique(np.asarray(codes, dtype=np.int32))
        if item.shape[0] == 0:
            layout = _layout(fitter, _stand_in(skills, items, k, np.zeros(1, dtype=np.int32)))
            n_gs[k], n_lr[k] = int(layout.gs is None), int(layout.lr is None)
            continue
        layout = _layout(fitter, _stand_in(skills, items, k, item))
        n_gs[k] = layout.n_classes(layout.gs, k)
        n_lr[k] = layout.n_classes(layout.lr, k)
    ones = np.ones(len(skills), dtype=np.int64)
    return SkillPlan(
        skills,
        items,
        ("",),
        np.asarray(n_rows, dtype=np.int64),
        np.asarray(n_students, dtype=np.int64),
        n_gs,
        n_lr,
        ones,
    )


@dataclass(frozen=True)
class _Draw:
    """One restart's raw random draws for one skill (before clipping into its bounds)."""

    prior: NDArray[np.float64]
    learn: NDArray[np.float64]
    forget: NDArray[np.float64]
    guess: NDArray[np.float64]
    slip: NDArray[np.float64]


def _draws(
    fitter: BKTFitter, plan: SkillPlan, rng: np.random.Generator, skills: list[int]
) -> dict[int, list[_Draw]]:
    """BKTFitter._starts' draws, in its order (all skills' priors, then learns, ...)."""
    off = {
        name: np.concatenate([[0], np.cumsum(getattr(plan, name))])
        for name in ("n_gs", "n_lr", "n_pr")
    }
    out: dict[int, list[_Draw]] = {k: [] for k in skills}
    for _ in range(fitter.restarts):
        prior = rng.random(int(off["n_pr"][-1])) * (0.4 if fitter.multiprior else 1.0)
        learn = rng.random(int(off["n_lr"][-1])) * 0.4
        n_lr = int(off["n_lr"][-1])
        forget = rng.random(n_lr) * 0.4 if fitter.forgets else np.zeros(n_lr)
        guess = rng.random(int(off["n_gs"][-1])) * 0.4
        slip = rng.random(int(off["n_gs"][-1])) * 0.3
        for k in skills:
            pr = slice(int(off["n_pr"][k]), int(off["n_pr"][k + 1]))
            lr = slice(int(off["n_lr"][k]), int(off["n_lr"][k + 1]))
            gs = slice(int(off["n_gs"][k]), int(off["n_gs"][k + 1]))
            out[k].append(_Draw(prior[pr], learn[lr], forget[lr], guess[gs], slip[gs]))
    return out


@dataclass
class SkillJob:
    """Everything one skill's fit needs; picklable, so it can be sent to another process."""

    fitter: BKTFitter  # settings only (progress None, one thread)
    block: Responses
    k: int
    priors: Priors
    hyper: Priors  # the hyperpriors reported (the refit's, else `priors`)
    draws: list[_Draw] = field(default_factory=list)  # first round: one per restart
    warm: _Start | None = None  # refit: the first round's result
    initial: SkillParams | None = None
    centre: SkillParams | None = None
    keep: SkillParams | None = None
    below: str = ""
    final: bool = True  # report this round (else only the first-round estimate)


@dataclass
class SkillOutcome:
    """One skill's result: its best run and, when final, its parameters and report row."""

    k: int
    result: _Result | None
    estimate: SkillParams | None  # the fitted SkillParams (first round: for empirical Bayes)
    report: SkillReport | None = None
    settings: dict[str, Any] = field(default_factory=dict)


def _clipped(draw: _Draw, tie_slip: bool, lo: Any, hi: Any, cb: Any) -> _Start:
    """A draw clipped into the skill's bounds, as BKTFitter._starts clips it."""
    s = draw.slip
    return _Start(
        prior=np.clip(draw.prior, lo[0], hi[0]),
        learn=np.clip(draw.learn, lo[1], hi[1]),
        forget=np.clip(draw.forget, lo[2], hi[2]),
        guess=np.clip(draw.guess, cb.g_lo, cb.g_hi),
        slip=np.clip(np.full_like(s, s[0]) if tie_slip else s, cb.s_lo, cb.s_hi),
    )


def fit_skill(job: SkillJob) -> SkillOutcome:
    """Fit (or keep) one skill of a block exactly as BKTFitter.fit does inside the whole log."""
    helper = copy.copy(job.fitter)
    helper.progress = None
    k = job.k
    bounds = helper.bounds or UNBOUNDED
    layout = _layout(helper, job.block)
    helper._centres = {k: job.centre} if job.centre is not None else {}
    best: dict[int, _Result] = {}
    if not job.below:
        cb = _class_bounds(layout, k, bounds)
        if job.warm is not None:
            starts = [{k: job.warm.copy()}]
        else:
            lo, hi = bounds.arrays()
            starts = [{k: _clipped(d, layout.tie_slip, lo, hi, cb)} for d in job.draws]
            if job.initial is not None:
                starts[0][k] = helper._from_params(job.initial, job.block, layout, k, bounds, cb)
        best = helper._em(layout, [k], starts, job.priors, bounds, {k: cb}, [0, 0])
    result = best.get(k)
    if not job.final:
        estimate = helper._skill_params(result.params, job.block, layout, k) if result else None
        return SkillOutcome(k, result, estimate)
    helper.hyperpriors_ = job.hyper
    name = job.block.skills[k]
    keep = {name: job.keep} if job.keep is not None else {}
    below = {k: job.below} if job.below else {}
    helper._collect(job.block, layout, [k], best, below, keep, bounds, helper.priors or FLAT_PRIORS)
    return SkillOutcome(
        k,
        result,
        helper.params_.skills.get(name),
        helper.report_.skills[0],
        helper.report_.settings,
    )


class _Submitter(Protocol):
    def submit(self, fn: Callable[[SkillJob], SkillOutcome], job: SkillJob, /) -> Any: ...


class StreamingFitter:
    """Estimator: `fit(plan, source)` learns what `BKTFitter(**settings).fit(whole log)` does.

    `fitter` holds the settings (a configured, unfitted BKTFitter; its `n_jobs` sets the
    threads and its `progress(done, total)` is called from the calling thread after each
    skill with the same total as BKTFitter's). `submit` replaces the thread pool (see
    engine.fit_dask); `max_in_flight` skills are fitted at once (default: n_jobs).
    Learned: `params_`, `report_`, `hyperpriors_`, `log_likelihood_`, `log_posterior_`,
    `n_iter_`, `history_`, `log_posterior_history_`, `converged_`.
    """

    def __init__(
        self,
        fitter: BKTFitter,
        *,
        submit: _Submitter | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        if not isinstance(fitter, BKTFitter):
            raise TypeError(f"fitter must be a BKTFitter, got {type(fitter).__name__}")
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError(f"max_in_flight must be >= 1, got {max_in_flight}")
        self.fitter = fitter
        self.submit = submit
        self.max_in_flight = max_in_flight

    def fit(
        self,
        plan: SkillPlan,
        source: SkillSource,
        initial: ModelParams | None = None,
        keep: Mapping[str, SkillParams] | ModelParams | None = None,
        centres: Mapping[str, SkillParams] | ModelParams | None = None,
    ) -> StreamingFitter:
        f = self.fitter
        if keep is not None and f.below_min != "keep":
            raise ValueError("keep= is only used with below_min='keep'")
        kept_params = _keep_map(keep)
        centre_map = _keep_map(centres)
        priors = f.priors or FLAT_PRIORS
        present = [k for k in range(len(plan.skills)) if plan.n_rows[k] > 0]
        if not present:
            raise DataError("no responses: the plan has no rows")
        below = {k: why for k in present if (why := self._below_min(plan, k))}
        skills = [k for k in present if k not in below]
        refit = f.empirical_bayes and len(skills) >= EB_MIN_SKILLS
        done = [0, len(skills) * (f.restarts + (1 if refit else 0))]
        draws = _draws(f, plan, _as_generator(f.random_state), skills)
        settings = self._settings_only()

        def job(k: int, block: Responses, em_priors: Priors, **kw: Any) -> SkillJob:
            name = plan.skills[k]
            return SkillJob(
                fitter=settings,
                block=block,
                k=k,
                priors=em_priors,
                hyper=em_priors,
                centre=centre_map.get(name),
                keep=kept_params.get(name) if k in below else None,
                below=below.get(k, ""),
                **kw,
            )

        first: dict[int, SkillOutcome] = {}
        final: dict[int, SkillOutcome] = {}

        def first_job(k: int, block: Responses) -> SkillJob:
            init = initial.skills.get(plan.skills[k]) if initial is not None else None
            return job(
                k,
                block,
                priors,
                draws=draws.get(k, []),
                initial=init,
                final=not refit or k in below,
            )

        rounds = self._stream(plan, source, present, first_job, done, f.restarts, below)
        for out in rounds:
            (first if refit and out.k not in below else final)[out.k] = out
        hyper = priors
        if refit:
            fitted = [n for n in PARAM_ORDER if n != "forget" or f.forgets]
            estimates = {
                n: np.array([getattr(first[k].estimate, n) for k in skills]) for n in fitted
            }
            sizes = np.array([plan.n_rows[k] for k in skills], dtype=np.float64)
            hyper = empirical_bayes(estimates, sizes, priors)

            def second_job(k: int, block: Responses) -> SkillJob:
                res = first[k].result
                assert res is not None
                return job(k, block, hyper, warm=res.params, final=True)

            for out in self._stream(plan, source, skills, second_job, done, 1, below):
                final[out.k] = out
        self.hyperpriors_ = hyper
        self._assemble(plan, present, final, below, hyper)
        return self

    # ---- internals ------------------------------------------------------------------------

    def _settings_only(self) -> BKTFitter:
        s = copy.copy(self.fitter)
        s.progress = None
        s.n_jobs = 1
        return s

    def _below_min(self, plan: SkillPlan, k: int) -> str:
        """BKTFitter's minimum-data rule on the plan's counts (the same words)."""
        return self.fitter.below_min_reason(int(plan.n_rows[k]), int(plan.n_students[k]))

    def _stream(
        self,
        plan: SkillPlan,
        source: SkillSource,
        ks: list[int],
        make: Callable[[int, Responses], SkillJob],
        done: list[int],
        tasks_per_skill: int,
        below: Mapping[int, str],
    ) -> list[SkillOutcome]:
        """Read each skill's block (calling thread), fit up to max_in_flight at once."""
        n_jobs = self.fitter.n_jobs or os.cpu_count() or 1
        limit = self.max_in_flight or n_jobs
        out: list[SkillOutcome] = []
        pool = ThreadPoolExecutor(max_workers=n_jobs) if self.submit is None else None
        submitter: _Submitter = self.submit if self.submit is not None else pool  # type: ignore[assignment]
        pending: deque[tuple[int, Any]] = deque()

        def finish() -> None:
            k, fut = pending.popleft()
            res: SkillOutcome = fut.result()
            out.append(res)
            if k not in below:  # BKTFitter counts fitted skills' tasks only
                done[0] += tasks_per_skill
                if self.fitter.progress is not None:
                    self.fitter.progress(done[0], done[1])

        try:
            for k in ks:
                block = source.block(k)
                self._check(plan, block, k)
                pending.append((k, submitter.submit(fit_skill, make(k, block))))
                del block
                while len(pending) >= limit:
                    finish()
            while pending:
                finish()
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        return out

    @staticmethod
    def _check(plan: SkillPlan, block: Responses, k: int) -> None:
        """A block must be skill k's rows under the plan's tables, as many as planned."""
        if block.skills != plan.skills or block.items != plan.items:
            raise DataError(f"skill {plan.skills[k]!r}: block's code tables differ from the plan")
        n = len(block)
        if n != int(plan.n_rows[k]) or (n and bool((block.skill != k).any())):
            raise DataError(
                f"skill {plan.skills[k]!r}: planned {int(plan.n_rows[k])} rows of skill code "
                f"{k}, the block has {n} (did the log change between plan and read?)"
            )

    def _assemble(
        self,
        plan: SkillPlan,
        present: list[int],
        final: dict[int, SkillOutcome],
        below: dict[int, str],
        hyper: Priors,
    ) -> None:
        f = self.fitter
        params: dict[str, SkillParams] = {}
        reports: list[SkillReport] = []
        self.log_likelihood_: dict[str, float] = {}
        self.log_posterior_: dict[str, float] = {}
        self.n_iter_: dict[str, int] = {}
        self.history_: dict[str, NDArray[np.float64]] = {}
        self.log_posterior_history_: dict[str, NDArray[np.float64]] = {}
        self.converged_: dict[str, bool] = {}
        for k in present:
            out = final[k]
            name = plan.skills[k]
            assert out.report is not None
            reports.append(out.report)
            if out.estimate is not None:
                params[name] = out.estimate
            if out.result is not None:
                res = out.result
                self.log_likelihood_[name] = res.log_likelihood
                self.log_posterior_[name] = res.log_posterior
                self.n_iter_[name] = res.n_iter
                self.history_[name] = res.history
                self.log_posterior_history_[name] = res.lp_history
                self.converged_[name] = res.converged
        settings = dict(final[present[0]].settings)
        settings["hyperpriors"] = hyper.to_dict()
        if f.below_min == "keep":
            names = [plan.skills[k] for k in present if k in below]
            settings["kept"] = [n for n in names if n in params]
            settings["omitted"] = [n for n in names if n not in params]
        self.params_ = ModelParams(
            skills=params,
            forgets=f.forgets,
            multigs=f.multigs,
            multilearn=f.multilearn,
            multiprior=f.multiprior,
            metadata={"fitted_by": "engine.fit.BKTFitter", **settings},
        )
        self.report_ = FitReport(skills=tuple(reports), settings=settings)


class ResponsesSource:
    """Blocks of an in-memory `Responses` (rows are ordered by skill, so a block is a view):
    for tests, benchmarks and callers that hold the log but want the streamed path."""

    def __init__(self, data: Responses) -> None:
        self.data = data
        self._bounds = data.skill_bounds()

    def block(self, k: int) -> Responses:
        d = self.data
        sl = slice(int(self._bounds[k]), int(self._bounds[k + 1]))
        return Responses(
            correct=d.correct[sl],
            skill=d.skill[sl],
            student=d.student[sl],
            item=d.item[sl],
            student_class=d.student_class[sl],
            row=d.row[sl],
            skills=d.skills,
            students=d.students,
            items=d.items,
            classes=d.classes,
            position=None if d.position is None else d.position[sl],
        )

    def plan(self, fitter: BKTFitter) -> SkillPlan:
        d = self.data
        return plan_from_blocks(fitter, d.skills, d.items, d.classes, self.block)
