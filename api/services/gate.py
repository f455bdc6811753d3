"""The activation gate as the service applies it: a new set against what runs now.

What runs now is the snapshot's model (`Snapshot.running_model`: the active set,
the curriculum's cold start for skills it does not cover, item guess floors), so a
first fit is compared with the cold start a new school runs on. The decision itself
is `engine.gate.evaluate`; this module feeds it the school's log.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from api.services.cache import Snapshot
from api.services.log_data import log_responses
from engine import gate
from engine.bounds import Bounds
from engine.params import ModelParams, SkillParams, with_guess_floors
from engine.report import degeneracy_reasons
from engine.responses import Responses


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


def check(
    session: Session,
    snap: Snapshot,
    candidate: ModelParams,
    *,
    scored_candidate: ModelParams | None = None,
    data: Responses | None = None,
    bounds: Bounds | None = None,
) -> gate.GateResult:
    """The gate's verdict on `candidate` against the running model, on the school's log."""
    responses = data if data is not None else log_responses(session)
    newest = gate.newest_mask(responses) if responses is not None else None
    return gate.evaluate(
        candidate,
        snap.running_model(),
        responses,
        newest,
        scored_candidate=scored_candidate,
        bounds=bounds,
        guess_floors=dict(snap.guess_floors),
    )
