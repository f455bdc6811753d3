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

Small data (engine.priors): Beta priors make the EM a MAP estimate, empirical
Bayes re-estimates them across skills, item guess floors keep a multiple-choice
item's guess at or above chance, and a minimum-data rule keeps a skill's current
parameters instead of fitting it on a handful of answers. With none of these
(the defaults) the fit is pyBKT's, bit for bit.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from engine import kernels
from engine.bounds import PARAM_ORDER, UNBOUNDED, Bounds, check_floors
from engine.params import ModelParams, ParamsError, SkillParams
from engine.predict import predict
from engine.priors import EB_MIN_SKILLS, FLAT_PRIORS, Beta, Priors, empirical_bayes
from engine.report import FitReport, SkillReport, skill_report
from engine.responses import Responses

Progress = Callable[[int, int], None]
BelowMin = Literal["fit", "keep"]
_EMPTY_I32 = np.zeros(0, dtype=np.int32)

# The service's minimum data per skill (`service_fitter`: below_min="keep"), measured
# by `python -m benchmarks.fit_vs_pybkt --min-data --replicates 50`: schools of 8
# skills with parameters drawn uniformly (prior 0.1-0.9, learn 0.03-0.3, guess
# 0.05-0.35, slip 0.05-0.25), S students x A answers per skill, the service fit
# against keeping the default priors' centres, log-loss on 200 new students per
# skill, 400 skills per cell. The fit wins on average in every cell (MAP with
# empirical Bayes barely moves a thin skill), but on at least 3 skills in 4 only
# from about 50 responses: 77-96% in every cell with >= 8 students and >= 50
# responses, 64-74% below (5 x 8 and 8 x 5 = 40 responses: 74% and 70%; 15 x 3:
# 74%). Responses matter more than students, but a skill seen by 3-5 students is
# one small group, not a cohort, so both limits apply. Plain flat EM, for
# comparison, loses on average until about 10 students x 12 answers.
SERVICE_MIN_STUDENTS = 8
SERVICE_MIN_RESPONSES = 50


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
    """Kernel-ready arrays of a `Responses`, sliced per skill without copying rows.

    Guess/slip classes (`gs`) are the items under `multigs`; without it but with
    guess floors above the skill's lower guess bound they are floor groups (code 0:
    items without an active floor, code g: the g-th distinct floor) sharing one
    slip (`tie_slip`). `gs_floor` is each global class's floor (NaN: none).
    """

    correct: NDArray[np.int8]
    rows: NDArray[np.int64]  # row offset of each skill; len n_skills + 1
    seqs: NDArray[np.int64]  # sequence offset of each skill; len n_skills + 1
    starts: NDArray[np.int64]  # global sequence starts plus end
    gs: _Classes | None
    lr: _Classes | None
    pr: _Classes | None
    n_students: NDArray[np.int64]
    gs_floor: NDArray[np.float64] | None = None
    tie_slip: bool = False
    group_of_item: NDArray[np.int64] | None = None  # floor group per item code (tie_slip)

    @classmethod
    def build(
        cls,
        data: Responses,
        multigs: bool,
        multilearn: bool,
        multiprior: bool,
        floors: Mapping[str, float] | None = None,
        guess_lo: float = 0.0,
    ) -> _Layout:
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
        gs = items if multigs else None
        gs_floor = None
        tie = False
        group_of_item = None
        if floors:
            item_floor = np.array([floors.get(name, np.nan) for name in data.items])
            if multigs and items is not None:
                gs_floor = item_floor[items.code]
            else:
                active = item_floor > guess_lo  # NaN compares False
                if active.any():
                    levels = np.unique(item_floor[active])
                    group_of_item = np.zeros(len(data.items), dtype=np.int64)
                    group_of_item[active] = np.searchsorted(levels, item_floor[active]) + 1
                    gs = _classes(
                        data.skill,
                        group_of_item[data.item].astype(np.int32),
                        levels.shape[0] + 1,
                        n_skills,
                    )
                    gs_floor = np.concatenate([[np.nan], levels])[gs.code]
                    tie = True
        return cls(
            correct=np.ascontiguousarray(data.correct, dtype=np.int8),
            rows=data.skill_bounds(),
            seqs=np.searchsorted(seq_skill, np.arange(n_skills + 1)).astype(np.int64),
            starts=starts,
            gs=gs,
            lr=items if multilearn else None,
            pr=pr,
            n_students=np.bincount(seq_skill, minlength=n_skills).astype(np.int64),
            gs_floor=gs_floor,
            tie_slip=tie,
            group_of_item=group_of_item,
        )

    def n_classes(self, c: _Classes | None, k: int) -> int:
        return 1 if c is None else int(c.offset[k + 1] - c.offset[k])

    def n_rows(self, k: int) -> int:
        return int(self.rows[k + 1] - self.rows[k])

    def skill_arrays(
        self, k: int
    ) -> tuple[
        NDArray[np.int8], NDArray[np.int32], NDArray[np.int32], NDArray[np.int64], NDArray[np.int32]
    ]:
        r0, r1 = int(self.rows[k]), int(self.rows[k + 1])
        s0, s1 = int(self.seqs[k]), int(self.seqs[k + 1])
        gs = self.gs.local[r0:r1] if self.gs is not None else _EMPTY_I32
        if self.tie_slip and self.n_classes(self.gs, k) == 1:
            gs = _EMPTY_I32  # one floor group: the one-class fast path
        lr = self.lr.local[r0:r1] if self.lr is not None else _EMPTY_I32
        pr = self.pr.local[s0:s1] if self.pr is not None else _EMPTY_I32
        return self.correct[r0:r1], gs, lr, self.starts[s0 : s1 + 1] - r0, pr


@dataclass(frozen=True)
class _ClassBounds:
    """Per guess/slip class bounds of one skill (a floor raises its class's guess bounds)."""

    g_lo: NDArray[np.float64]
    g_hi: NDArray[np.float64]
    s_lo: NDArray[np.float64]
    s_hi: NDArray[np.float64]


def _class_bounds(layout: _Layout, k: int, bounds: Bounds) -> _ClassBounds:
    n = layout.n_classes(layout.gs, k)
    g_lo = np.full(n, bounds.guess[0])
    g_hi = np.full(n, bounds.guess[1])
    if layout.gs_floor is not None and layout.gs is not None:
        f = layout.gs_floor[int(layout.gs.offset[k]) : int(layout.gs.offset[k + 1])]
        has = ~np.isnan(f)
        g_lo[has] = np.maximum(g_lo[has], f[has])
        g_hi[has] = np.maximum(g_hi[has], f[has])
    return _ClassBounds(g_lo, g_hi, np.full(n, bounds.slip[0]), np.full(n, bounds.slip[1]))


@dataclass
class _Start:
    """Initial parameter arrays of one skill (one restart)."""

    prior: NDArray[np.float64]
    learn: NDArray[np.float64]
    forget: NDArray[np.float64]
    guess: NDArray[np.float64]
    slip: NDArray[np.float64]

    def copy(self) -> _Start:
        return _Start(
            self.prior.copy(),
            self.learn.copy(),
            self.forget.copy(),
            self.guess.copy(),
            self.slip.copy(),
        )


@dataclass
class _Result:
    skill: int
    restart: int
    params: _Start
    n_iter: int
    log_likelihood: float
    log_posterior: float
    converged: bool
    history: NDArray[np.float64]
    lp_history: NDArray[np.float64]


def _as_generator(random_state: int | np.random.Generator | None) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def _keep_map(
    keep: Mapping[str, SkillParams] | ModelParams | None,
) -> Mapping[str, SkillParams]:
    if keep is None:
        return {}
    skills = keep.skills if isinstance(keep, ModelParams) else keep
    if not isinstance(skills, Mapping):
        raise TypeError(f"keep must be a ModelParams or a mapping, got {type(keep).__name__}")
    for name, p in skills.items():
        if not isinstance(p, SkillParams):
            raise TypeError(f"keep[{name!r}] must be a SkillParams, got {type(p).__name__}")
    return skills


class BKTFitter:
    """Estimator: settings in __init__, `fit` learns `params_`, `report_` and per-skill traces.

    `restarts` random starts per skill, drawn like pyBKT's random_model_uni (prior
    ~ U(0,1), learn ~ U(0,.4), guess ~ U(0,.4), slip ~ U(0,.3), class priors ~ U(0,.4))
    except forget ~ U(0,.4) when fitted: pyBKT's U(0,1) often starts EM in the
    label-switched basin (forget near 1, guess > 1 - slip); on ASSISTments 2009
    that costs ~0.02 test AUC on average (benchmarks.fit_vs_pybkt --start-draws).
    The start with the best final log posterior (the log-likelihood under flat
    priors) wins; `initial` replaces the first restart's draw
    (`engine.pybkt_compat.pybkt_random_starts` gives pyBKT's own starts).
    `convergence="pybkt"` stops like pyBKT's EM_fit (integer log posterior
    unchanged, see engine.kernels), `"absolute"` on the exact value. `n_jobs`
    threads (default: all cores). `progress(done, total)` is called from the
    calling thread after each (skill, restart) task (and each refit task).

    Small data:
    - `priors` (engine.priors.Priors; None = flat): MAP estimation, each M-step
      value (n1 + a - 1) / (n + a + b - 2). `log_likelihood_` stays the data's,
      `log_posterior_` adds the log prior.
    - `empirical_bayes`: after fitting every skill under `priors`, re-estimate
      each parameter's Beta from the skills' estimates (engine.priors.empirical_bayes)
      and refit every skill from its first-round result under those; a skill with
      little data then borrows from the others. `hyperpriors_` holds the Betas
      used last (`priors` itself with fewer than EB_MIN_SKILLS fitted skills).
      `history_`, `n_iter_` and friends describe the refit.
    - `guess_floors` (item -> minimum guess): the item's guess lies in
      [max(lo, floor), max(hi, floor)] of the skill's guess bounds. Under `multigs`
      every item is its own class with its own bounds. Without it, items whose
      floor is above the skill's lower guess bound are grouped by floor into guess
      classes fitted together with the skill's other items (one slip per skill);
      those items' guesses land in `SkillParams.item_guess`, the rest use the
      skill's guess. Floors apply to items seen in the data.
    - `below_min="keep"`: a skill with fewer than `min_students` students or
      `min_responses` responses is not fitted; it takes `fit(keep=...)[skill]` (the
      caller's current parameters or the curriculum's defaults) or is left out
      when `keep` has none; the report's `source` says which and why. `"fit"`
      (default) fits every skill and only flags it as low data.
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
        priors: Priors | None = None,
        empirical_bayes: bool = False,
        guess_floors: Mapping[str, float] | None = None,
        min_responses: int = 50,
        min_students: int = 5,
        below_min: BelowMin = "fit",
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
        if below_min not in ("fit", "keep"):
            raise ValueError(f"below_min must be 'fit' or 'keep', got {below_min!r}")
        if min_responses < 0 or min_students < 0:
            raise ValueError(
                f"min_responses and min_students must be >= 0, got {min_responses}, {min_students}"
            )
        if bounds is not None and not isinstance(bounds, Bounds):
            raise TypeError(f"bounds must be an engine.bounds.Bounds, got {type(bounds).__name__}")
        if priors is not None and not isinstance(priors, Priors):
            raise TypeError(f"priors must be an engine.priors.Priors, got {type(priors).__name__}")
        self.forgets = forgets
        self.multigs = multigs
        self.multilearn = multilearn
        self.multiprior = multiprior
        self.restarts = restarts
        self.max_iter = max_iter
        self.tol = tol
        self.bounds = bounds
        self.priors = priors
        self.empirical_bayes = bool(empirical_bayes)
        self.guess_floors = check_floors(guess_floors)
        self.min_responses = min_responses
        self.min_students = min_students
        self.below_min = below_min
        self.convergence = convergence
        self.random_state = random_state
        self.n_jobs = n_jobs
        self.progress = progress

    # ---- public ---------------------------------------------------------------------------

    def fit(
        self,
        responses: Responses,
        initial: ModelParams | None = None,
        keep: Mapping[str, SkillParams] | ModelParams | None = None,
        centres: Mapping[str, SkillParams] | ModelParams | None = None,
    ) -> BKTFitter:
        """Fit every skill that has responses; `initial` replaces the first restart's draw;
        `keep` supplies the parameters of skills below the minimum (`below_min="keep"`);
        `centres` moves each listed skill's Beta priors (same strengths) to centre on its
        values, e.g. a curriculum's declared starting parameters: a designer's belief
        about a skill is a better place for its few answers to start from than the
        average skill (forget keeps its own prior)."""
        if keep is not None and self.below_min != "keep":
            raise ValueError("keep= is only used with below_min='keep'")
        kept_params = _keep_map(keep)
        centre_map = _keep_map(centres)
        self._centres = {
            k: centre_map[name] for k, name in enumerate(responses.skills) if name in centre_map
        }
        bounds = self.bounds or UNBOUNDED
        priors = self.priors or FLAT_PRIORS
        layout = _Layout.build(
            responses,
            self.multigs,
            self.multilearn,
            self.multiprior,
            self.guess_floors,
            bounds.guess[0],
        )
        present = [k for k in range(len(responses.skills)) if layout.n_rows(k) > 0]
        below = {k: r for k in present if (r := self._below_min(layout, k))}
        skills = [k for k in present if k not in below]
        cbounds = {k: _class_bounds(layout, k, bounds) for k in skills}
        refit = self.empirical_bayes and len(skills) >= EB_MIN_SKILLS
        total = len(skills) * (self.restarts + (1 if refit else 0))
        done = [0, total]
        starts = self._starts(responses, layout, skills, initial, bounds, cbounds)
        best = self._em(layout, skills, starts, priors, bounds, cbounds, done)
        hyper = priors
        if refit:
            first = {k: self._skill_params(best[k].params, responses, layout, k) for k in skills}
            fitted = [n for n in PARAM_ORDER if n != "forget" or self.forgets]
            estimates = {n: np.array([getattr(first[k], n) for k in skills]) for n in fitted}
            sizes = np.array([layout.n_rows(k) for k in skills], dtype=np.float64)
            hyper = empirical_bayes(estimates, sizes, priors)
            warm = [{k: best[k].params.copy() for k in skills}]
            best = self._em(layout, skills, warm, hyper, bounds, cbounds, done)
        self.hyperpriors_ = hyper
        self._collect(responses, layout, present, best, below, kept_params, bounds, priors)
        return self

    # ---- internals ------------------------------------------------------------------------

    def _below_min(self, layout: _Layout, k: int) -> str:
        """Why skill k is below the minimum data under below_min='keep' ('' if it is not)."""
        return self.below_min_reason(layout.n_rows(k), int(layout.n_students[k]))

    def below_min_reason(self, n: int, s: int) -> str:
        """Why a skill with n responses from s students is below the minimum data under
        below_min='keep' ('' if it is not); the streaming fitter asks the same."""
        if self.below_min != "keep":
            return ""
        why = []
        if n < self.min_responses:
            why.append(f"{n} responses < {self.min_responses}")
        if s < self.min_students:
            why.append(f"{s} students < {self.min_students}")
        return "; ".join(why)

    def _em(
        self,
        layout: _Layout,
        skills: list[int],
        starts: list[dict[int, _Start]],
        priors: Priors,
        bounds: Bounds,
        cbounds: dict[int, _ClassBounds],
        done: list[int],
    ) -> dict[int, _Result]:
        """One EM run per (skill, start); the best log posterior per skill."""
        lo, hi = bounds.arrays()
        pseudo = {k: _centred(priors, self._centres.get(k)).pseudo_counts() for k in skills}
        truncate = self.convergence == "pybkt"

        def task(k: int, r: int) -> _Result:
            p = starts[r][k]
            pa, pb = pseudo[k]
            cb = cbounds[k]
            history = np.zeros(self.max_iter)
            lp_history = np.zeros(self.max_iter)
            n, ll, lp, conv = kernels.em_fit(
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
                cb.g_lo,
                cb.g_hi,
                cb.s_lo,
                cb.s_hi,
                pa,
                pb,
                float(priors.item_strength),
                layout.tie_slip,
                history,
                lp_history,
            )
            return _Result(
                k,
                r,
                p,
                int(n),
                float(ll),
                float(lp),
                bool(conv),
                history[:n].copy(),
                lp_history[:n].copy(),
            )

        jobs = sorted(
            ((k, r) for k in skills for r in range(len(starts))),
            key=lambda kr: -layout.n_rows(kr[0]),
        )
        best: dict[int, _Result] = {}
        for res in self._run(task, jobs, done):
            cur = best.get(res.skill)
            if (
                cur is None
                or res.log_posterior > cur.log_posterior
                or (res.log_posterior == cur.log_posterior and res.restart < cur.restart)
            ):
                best[res.skill] = res
        return best

    def _run(
        self, task: Callable[[int, int], _Result], jobs: list[tuple[int, int]], done: list[int]
    ) -> list[_Result]:
        """Run the tasks; `done` = [tasks finished so far, total] for the progress callback."""
        n_jobs = self.n_jobs or os.cpu_count() or 1
        out: list[_Result] = []

        def tick() -> None:
            done[0] += 1
            if self.progress is not None:
                self.progress(done[0], done[1])

        if n_jobs == 1 or len(jobs) <= 1:
            for k, r in jobs:
                out.append(task(k, r))
                tick()
            return out
        with ThreadPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(task, k, r) for k, r in jobs]
            for fut in as_completed(futures):
                out.append(fut.result())
                tick()
        return out

    def _starts(
        self,
        data: Responses,
        layout: _Layout,
        skills: list[int],
        initial: ModelParams | None,
        bounds: Bounds,
        cbounds: dict[int, _ClassBounds],
    ) -> list[dict[int, _Start]]:
        """Initial arrays per restart per skill; draws are made for all skills at once."""
        rng = _as_generator(self.random_state)
        lo, hi = bounds.arrays()
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
            draws = {}
            for k in skills:
                cb = cbounds[k]
                s = slip[gs_off[k] : gs_off[k + 1]]
                draws[k] = _Start(
                    prior=np.clip(prior[pr_off[k] : pr_off[k + 1]], lo[0], hi[0]),
                    learn=np.clip(learn[lr_off[k] : lr_off[k + 1]], lo[1], hi[1]),
                    forget=np.clip(forget[lr_off[k] : lr_off[k + 1]], lo[2], hi[2]),
                    guess=np.clip(guess[gs_off[k] : gs_off[k + 1]], cb.g_lo, cb.g_hi),
                    slip=np.clip(np.full_like(s, s[0]) if layout.tie_slip else s, cb.s_lo, cb.s_hi),
                )
            out.append(draws)
        if initial is not None:
            for k in skills:
                name = data.skills[k]
                if name in initial:
                    p = initial[name]
                    out[0][k] = self._from_params(p, data, layout, k, bounds, cbounds[k])
        return out

    def _floor_groups(self, data: Responses, layout: _Layout, k: int) -> list[list[str]]:
        """Item names of each local guess class of skill k (floor groups only)."""
        assert layout.gs is not None and layout.group_of_item is not None
        r0, r1 = int(layout.rows[k]), int(layout.rows[k + 1])
        codes = layout.gs.code[int(layout.gs.offset[k]) : int(layout.gs.offset[k + 1])]
        groups: list[list[str]] = [[] for _ in codes]
        for item in np.unique(data.item[r0:r1]).tolist():
            c = int(np.searchsorted(codes, layout.group_of_item[item]))
            groups[c].append(data.items[item])
        return groups

    def _from_params(
        self,
        p: SkillParams,
        data: Responses,
        layout: _Layout,
        k: int,
        bounds: Bounds,
        cb: _ClassBounds,
    ) -> _Start:
        lo, hi = bounds.arrays()

        def names(c: _Classes | None, table: tuple[str, ...]) -> list[str | None]:
            if c is None:
                return [None]
            return [table[int(x)] for x in c.code[c.offset[k] : c.offset[k + 1]]]

        if layout.tie_slip:  # floor groups: the mean guess of each group's items
            groups = self._floor_groups(data, layout, k)
            guess = [float(np.mean([p.guess_for(i) for i in g])) for g in groups]
            slip = [p.slip] * len(groups)
        else:
            gs_items = names(layout.gs, data.items)
            guess = [p.guess_for(i) for i in gs_items]
            slip = [p.slip_for(i) for i in gs_items]
        lr_items = names(layout.lr, data.items)
        classes = names(layout.pr, data.classes)
        forget = [p.forget_for(i) for i in lr_items] if self.forgets else [0.0] * len(lr_items)
        return _Start(
            prior=np.clip([p.prior_for(c) for c in classes], lo[0], hi[0]),
            learn=np.clip([p.learn_for(i) for i in lr_items], lo[1], hi[1]),
            forget=np.clip(forget, lo[2], hi[2]),
            guess=np.clip(guess, cb.g_lo, cb.g_hi),
            slip=np.clip(slip, cb.s_lo, cb.s_hi),
        )

    def _settings(self, bounds: Bounds, priors: Priors, data: Responses) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "forgets": self.forgets,
            "multigs": self.multigs,
            "multilearn": self.multilearn,
            "multiprior": self.multiprior,
            "restarts": self.restarts,
            "max_iter": self.max_iter,
            "tol": self.tol,
            "convergence": self.convergence,
            "bounds": bounds.to_dict(),
            "priors": priors.to_dict(),
            "empirical_bayes": self.empirical_bayes,
            "hyperpriors": self.hyperpriors_.to_dict(),
            "min_responses": self.min_responses,
            "min_students": self.min_students,
            "below_min": self.below_min,
            "random_state": self.random_state if isinstance(self.random_state, int) else None,
        }
        if self.guess_floors:
            seen = set(data.items)
            settings["guess_floors"] = {
                i: f for i, f in sorted(self.guess_floors.items()) if i in seen
            }
        return settings

    def _collect(
        self,
        data: Responses,
        layout: _Layout,
        present: list[int],
        best: dict[int, _Result],
        below: dict[int, str],
        keep: Mapping[str, SkillParams],
        bounds: Bounds,
        priors: Priors,
    ) -> None:
        params: dict[str, SkillParams] = {}
        reports: list[SkillReport] = []
        self.log_likelihood_: dict[str, float] = {}
        self.log_posterior_: dict[str, float] = {}
        self.n_iter_: dict[str, int] = {}
        self.history_: dict[str, NDArray[np.float64]] = {}
        self.log_posterior_history_: dict[str, NDArray[np.float64]] = {}
        self.converged_: dict[str, bool] = {}
        kept = {k: keep[data.skills[k]] for k in below if data.skills[k] in keep}
        kept_ll = self._kept_log_likelihood(data, kept)
        settings = self._settings(bounds, priors, data)
        floors = settings.get("guess_floors", {})

        def row(k: int, sp: SkillParams | None, **kw: Any) -> SkillReport:
            return skill_report(
                data.skills[k],
                sp,
                n_responses=layout.n_rows(k),
                n_students=int(layout.n_students[k]),
                min_responses=self.min_responses,
                min_students=self.min_students,
                bounds=bounds,
                guess_floors=floors,
                **kw,
            )

        for k in present:
            name = data.skills[k]
            if k in best:
                res = best[k]
                sp = self._skill_params(res.params, data, layout, k)
                params[name] = sp
                self.log_likelihood_[name] = res.log_likelihood
                self.log_posterior_[name] = res.log_posterior
                self.n_iter_[name] = res.n_iter
                self.history_[name] = res.history
                self.log_posterior_history_[name] = res.lp_history
                self.converged_[name] = res.converged
                reports.append(
                    row(
                        k,
                        sp,
                        log_likelihood=res.log_likelihood,
                        log_posterior=res.log_posterior,
                        iterations=res.n_iter,
                        converged=res.converged,
                    )
                )
            elif k in kept:
                params[name] = kept[k]
                reports.append(
                    row(
                        k,
                        kept[k],
                        log_likelihood=kept_ll[k],
                        iterations=0,
                        converged=True,
                        source="kept",
                        source_reason=below[k],
                    )
                )
            else:
                reports.append(
                    row(
                        k,
                        None,
                        log_likelihood=float("nan"),
                        iterations=0,
                        converged=True,
                        source="omitted",
                        source_reason=f"{below[k]}; no parameters to keep",
                    )
                )
        if self.below_min == "keep":
            settings["kept"] = [data.skills[k] for k in present if k in kept]
            settings["omitted"] = [data.skills[k] for k in present if k in below and k not in kept]
        self.params_ = ModelParams(
            skills=params,
            forgets=self.forgets,
            multigs=self.multigs,
            multilearn=self.multilearn,
            multiprior=self.multiprior,
            metadata={"fitted_by": "engine.fit.BKTFitter", **settings},
        )
        self.report_ = FitReport(skills=tuple(reports), settings=settings)

    def _kept_log_likelihood(
        self, data: Responses, kept: dict[int, SkillParams]
    ) -> dict[int, float]:
        """Data log-likelihood of each kept skill's parameters (its filter's predictions)."""
        if not kept:
            return {}
        sub = data.take(np.isin(data.skill, list(kept)))
        model = ModelParams(skills={data.skills[k]: p for k, p in kept.items()})
        p = predict(model, sub)
        with np.errstate(divide="ignore"):
            ll = np.where(sub.correct != 0, np.log(p), np.log1p(-p))
        return {k: float(ll[sub.skill == k].sum()) for k in kept}

    def _skill_params(self, p: _Start, data: Responses, layout: _Layout, k: int) -> SkillParams:
        def mapped(
            c: _Classes | None,
            values: NDArray[np.float64],
            table: tuple[str, ...],
            use: NDArray[np.bool_] | None = None,
        ) -> tuple[float, dict[str, float]]:
            if c is None:
                return float(values[0]), {}
            sl = slice(int(c.offset[k]), int(c.offset[k + 1]))
            w = c.count[sl].astype(np.float64)
            if use is not None:
                w = w * use
            pooled = float(np.clip(np.dot(w, values) / w.sum(), 0.0, 1.0))
            return pooled, {
                table[int(code)]: float(v) for code, v in zip(c.code[sl], values, strict=True)
            }

        prior, class_prior = mapped(layout.pr, p.prior, data.classes)
        learn, item_learn = mapped(layout.lr, p.learn, data.items)
        forget, item_forget = mapped(layout.lr, p.forget, data.items)
        if layout.tie_slip:
            guess, item_guess = self._floor_guesses(p.guess, data, layout, k)
            slip, item_slip = float(p.slip[0]), dict[str, float]()
        else:
            guess, item_guess = mapped(layout.gs, p.guess, data.items, self._unfloored(layout, k))
            slip, item_slip = mapped(layout.gs, p.slip, data.items)
        if layout.gs_floor is not None:  # unseen items have no floor: the skill's own bounds
            guess = float(np.clip(guess, *(self.bounds or UNBOUNDED).guess))
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

    def _unfloored(self, layout: _Layout, k: int) -> NDArray[np.bool_] | None:
        """Under multigs with floors: the items whose floor does not bind, which alone set
        the skill-level guess (used for unseen items, which have no floor), if any."""
        if layout.gs_floor is None or layout.gs is None:
            return None
        f = layout.gs_floor[int(layout.gs.offset[k]) : int(layout.gs.offset[k + 1])]
        free = ~(f > (self.bounds or UNBOUNDED).guess[0])
        return free if free.any() else None

    def _floor_guesses(
        self, values: NDArray[np.float64], data: Responses, layout: _Layout, k: int
    ) -> tuple[float, dict[str, float]]:
        """Skill guess (its unfloored class, else the response-weighted mean, which the caller
        clips into the skill's bounds) and the floored items' guesses."""
        assert layout.gs is not None
        sl = slice(int(layout.gs.offset[k]), int(layout.gs.offset[k + 1]))
        codes = layout.gs.code[sl]
        groups = self._floor_groups(data, layout, k)
        if codes[0] == 0:
            guess = float(values[0])
        else:
            w = layout.gs.count[sl].astype(np.float64)
            guess = float(np.clip(np.dot(w, values) / w.sum(), 0.0, 1.0))
        items = {
            item: float(values[c])
            for c, code in enumerate(codes.tolist())
            if code != 0
            for item in groups[c]
        }
        return guess, items


def _centred(priors: Priors, centre: SkillParams | None) -> Priors:
    """`priors` with every non-flat Beta but forget's moved to `centre`'s value."""
    if centre is None or priors.flat:
        return priors

    def move(name: str) -> Beta:
        beta: Beta = getattr(priors, name)
        value = min(max(float(getattr(centre, name)), 1e-3), 1.0 - 1e-3)
        return beta if beta.flat else Beta.centred(value, beta.strength)

    return Priors(
        prior=move("prior"),
        learn=move("learn"),
        guess=move("guess"),
        slip=move("slip"),
        forget=priors.forget,
        item_strength=priors.item_strength,
    )


def service_fitter(**overrides: Any) -> BKTFitter:
    """The classroom service's fitter: small-data settings in one place.

    MAP under `Priors.default()` with empirical Bayes across skills (a school's
    first answers spread thinly over many skills), guess and slip capped at 0.3
    (a designer may pass other `bounds`), skills below SERVICE_MIN_STUDENTS
    students or SERVICE_MIN_RESPONSES responses kept at the caller's parameters
    (`fit(..., keep=current)`), and convergence on the exact log posterior
    ("pybkt"'s integer truncation is far too coarse for a few hundred answers,
    whose whole log-likelihood is a few hundred). Any BKTFitter setting can be
    overridden by keyword (`restarts`, `random_state`, `progress`, `guess_floors`...).
    """
    settings: dict[str, Any] = {
        "priors": Priors.default(),
        "empirical_bayes": True,
        "bounds": Bounds.capped(guess=0.3, slip=0.3),
        "below_min": "keep",
        "min_students": SERVICE_MIN_STUDENTS,
        "min_responses": SERVICE_MIN_RESPONSES,
        "convergence": "absolute",
    }
    settings.update(overrides)
    return BKTFitter(**settings)
