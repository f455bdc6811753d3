"""The activation gate as the service applies it: a new set against what runs now.

What runs now is the snapshot's model (`Snapshot.running_model`: the active set,
the curriculum's cold start for skills it does not cover, item guess floors), so a
first fit is compared with the cold start a new school runs on. The decision itself
is `engine.gate.evaluate`; this module feeds it the school's log, streamed skill by
skill (`newest_scores`: one skill's rows in memory, plus 4 numbers per newest answer).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import func
from sqlmodel import Session, select

from api.services.cache import Snapshot
from api.services.log_data import LogBlocks, LogWindow, log_plan, newest_cutoff
from engine import gate
from engine.bounds import Bounds
from engine.fit import BKTFitter
from engine.fit_stream import SkillPlan
from engine.params import ModelParams, SkillParams, with_guess_floors
from engine.report import degeneracy_reasons
from models.responses import ResponseLog


def fallback_params(snap: Snapshot) -> dict[str, SkillParams]:
    """Per skill, what a refit keeps where the data are too thin: the running value,
    unless that one is degenerate, then the curriculum's cold start."""
    out = {}
    for s, p in snap.by_skill.items():
        if degeneracy_reasons(p, snap.guess_floors):
            p = snap.cold_start.skills.get(s, p)
        out[s] = p
    return out


def complete(fitted: ModelParams, base: Mapping[str, SkillParams], snap: Snapshot) -> ModelParams:
    """The fitted set covering every curriculum skill (`base` where the fit has none),
    item guess floors applied, as the service would run it."""
    items: dict[str, list[str]] = {}
    for item in snap.items.values():
        for s in item.skills:
            items.setdefault(s, []).append(item.id)
    skills = {
        s: with_guess_floors(fitted.skills.get(s) or base[s], snap.guess_floors, items.get(s, ()))
        for s in snap.skills
        if s in fitted.skills or s in base
    }
    for s, p in fitted.skills.items():  # a skill retired since the answers were given
        skills.setdefault(s, p)
    return ModelParams(
        skills=skills,
        forgets=fitted.forgets,
        multigs=fitted.multigs,
        multilearn=fitted.multilearn,
        multiprior=fitted.multiprior,
        metadata=dict(fitted.metadata),
    )


def newest_scores(
    session: Session,
    plan: SkillPlan,
    window: LogWindow,
    cutoff: int,
    candidate: ModelParams,
    current: ModelParams,
) -> gate.NewestScores:
    """Both sets scored on the window's answers from log id `cutoff` on, the log read
    a skill at a time (`LogBlocks` over `plan`: every skill's rows, each student's older
    answers traced as history). Memory: one skill's block, plus 4 numbers per newest row
    (`engine.gate.NewestScores`)."""
    scores = gate.NewestScores()
    with LogBlocks(session, plan, window) as blocks:
        for k in range(len(plan.skills)):
            scores.add(blocks.block(k), candidate, current, cutoff)
    return scores


def check(
    session: Session,
    snap: Snapshot,
    candidate: ModelParams,
    *,
    scored_candidate: ModelParams | None = None,
    scores: gate.NewestScores | None = None,
    bounds: Bounds | None = None,
) -> gate.GateResult:
    """The gate's verdict on `candidate` against the running model, on the school's log.

    `scores`: the newest answers already scored (`newest_scores`, with
    `scored_candidate or candidate` and `snap.running_model()`); else the log as it is
    now, streamed (ids up to the last one, every skill)."""
    current = snap.running_model()
    if scores is None:
        scores = _streamed(session, scored_candidate or candidate, current)
    return gate.evaluate(
        candidate,
        current,
        None,
        scored_candidate=scored_candidate,
        bounds=bounds,
        guess_floors=dict(snap.guess_floors),
        scores=scores.scores() if scores is not None else None,
    )


def _streamed(
    session: Session, scored: ModelParams, current: ModelParams
) -> gate.NewestScores | None:
    """The whole log as it is now, scored streamed; None when it is empty."""
    last = session.exec(select(func.max(ResponseLog.id))).one()
    window = LogWindow(int(last or 0))
    # The plan's fitter only sizes per-item classes, which scoring does not use.
    plan = log_plan(session, BKTFitter(), window)
    cutoff = newest_cutoff(session, window, gate.TEST_SHARE)
    if plan is None or cutoff is None:
        return None
    return newest_scores(session, plan, window, cutoff, scored, current)
