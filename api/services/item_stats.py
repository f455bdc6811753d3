"""Per-item statistics for designers, with per-item guess and slip fitted on the log.

The fit is the engine's own: `BKTFitter(multigs=True)` on every logged response of
the item's skills (per-item guess/slip are identified only jointly with the other
items of the skill). Results are cached per process, keyed by the skills and the
last response id, so repeated views of a bank cost one fit per skill per new data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from sqlalchemy import Integer, cast, func
from sqlmodel import Session, select

from api.services.items import get_item
from api.services.log_data import log_responses
from api.services.model_alerts import CONTRADICTED_FLAG, contradicted_skills
from engine.fit import BKTFitter
from engine.params import SkillParams
from models.items import ItemStats, SkillFit
from models.responses import ResponseLog

GUESS_FLAG = 0.5
SLIP_FLAG = 0.3
_CACHE_SIZE = 128
_cache: OrderedDict[tuple[str, int], tuple[SkillParams, int] | None] = OrderedDict()
_lock = threading.Lock()


def _skill_fit(session: Session, skill: str, last_id: int) -> tuple[SkillParams, int] | None:
    key = (skill, last_id)
    with _lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = log_responses(session, [skill])
    result = None
    if data is not None:
        fitter = BKTFitter(multigs=True, restarts=3, random_state=0, n_jobs=1).fit(data)
        result = (fitter.params_[skill], len(data))
    with _lock:
        _cache[key] = result
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return result


def item_stats(session: Session, item_id: str) -> ItemStats:
    row = get_item(session, item_id)
    skills = list(row.definition.get("skills", []))
    attempts, corrects, students = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(cast(ResponseLog.correct, Integer)), 0),
            func.count(func.distinct(ResponseLog.student_id)),
        ).where(ResponseLog.item_id == item_id)
    ).one()
    first_n, first_ok = session.exec(
        select(
            func.count(),
            func.coalesce(func.sum(cast(ResponseLog.correct, Integer)), 0),
        ).where(ResponseLog.item_id == item_id, ResponseLog.attempt == 1)
    ).one()
    fits: list[SkillFit] = []
    if attempts:
        last_id = session.exec(select(func.max(ResponseLog.id))).one() or 0
        for s in skills:
            found = _skill_fit(session, s, last_id)
            if found is None:
                fits.append(SkillFit(skill_id=s, guess=None, slip=None, responses=0))
                continue
            p, n = found
            fits.append(
                SkillFit(
                    skill_id=s,
                    guess=p.item_guess.get(item_id),
                    slip=p.item_slip.get(item_id),
                    responses=n,
                )
            )
    guess = fits[0].guess if fits else None
    slip = fits[0].slip if fits else None
    flags = []
    if attempts == 0:
        flags.append("never attempted")
    if guess is not None and guess > GUESS_FLAG:
        flags.append("guess > 0.5")
    if slip is not None and slip > SLIP_FLAG:
        flags.append("slip > 0.3")
    if guess is not None and slip is not None and guess + slip > 1.0:
        flags.append("mastery-lowering")
    contradicted = contradicted_skills(session)
    if any(contradicted.get(s) for s in skills):
        flags.append(CONTRADICTED_FLAG)
    return ItemStats(
        item_id=item_id,
        skills=skills,
        retired=row.retired,
        attempts=int(attempts),
        students=int(students),
        share_correct=(int(corrects) / attempts) if attempts else None,
        first_attempt_share_correct=(int(first_ok) / first_n) if first_n else None,
        guess=guess,
        slip=slip,
        fits=fits,
        flags=flags,
        note=None if attempts else "no responses logged for this item yet",
    )
