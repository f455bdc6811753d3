"""Pace toward a goal for one student or a whole goal's students, with the flag in words.

How (the math is `engine.pace`): the skills in scope are the goal's skills not yet
mastered plus their prerequisites still below the threshold (the recommender sends a
student to those first). Each starts from the student's effective mastery (what the
service rates mastery on) with the parameters the snapshot runs for the skill (the
active set's, else the curriculum's cold start). The practice rate is the student's
answers in the last `WINDOW_DAYS` days over the days of that window they have been
practising at all (at least one), so a new student is not judged on days before they
started. A goal skill never answered needs at least one answer: mastery is confirmed
by the student's own evidence.

Projections are seeded by the student's id and the draws are kept, so a process shows
the same range on every load. The per-skill draws depend only on (parameters,
threshold, belief, minimum), so they are kept per process (`_DRAWS`, keyed with the
belief rounded to 0.005): a class page computes each distinct case once. A student's
learning speed is unknown to the tutor; the draws spread it by `LEARN_SPREAD`.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func
from sqlmodel import Session, col, select

from api.services import goals
from api.services.access import visible_student
from api.services.cache import Snapshot
from api.services.mastery import load_state
from api.services.school_time import school_day
from engine.pace import (
    Flag,
    PaceProjector,
    Practice,
    Projection,
    SkillStart,
    Why,
    ability_draws,
    attempt_draws,
    classify,
)
from engine.pace_scope import goal_scope
from engine.recommend.evidence import Beliefs
from engine.recommend.state import StudentState
from models.goals import (
    Goal,
    GoalPace,
    GoalSkillProgress,
    PacePublic,
    StudentGoal,
    StudentPaceRow,
)
from models.mastery import StudentStateRow
from models.responses import ResponseLog
from models.users import User

if TYPE_CHECKING:
    from api.runtime import Runtime

WINDOW_DAYS = 14
DRAWS = 300
CAP_PER_SKILL = 80
COVERAGE = 0.9
# sd of log learning speed between students; benchmarks/pace_coverage.py measures the
# range's coverage with it (the simulator's students differ in ability and in how much
# missing prerequisites slow them, neither of which the tutor's BKT knows)
LEARN_SPREAD = 0.5
_ABILITY = ability_draws(DRAWS, LEARN_SPREAD)
_BELIEF_STEP = 0.005
_DRAWS_LIMIT = 20_000
_DRAWS: dict[tuple[float | int, ...], NDArray[np.int16]] = {}
_DRAWS_LOCK = threading.Lock()


@dataclass(frozen=True)
class GoalStanding:
    """One student's standing on a goal: per-skill progress and the projection's inputs."""

    skills: list[GoalSkillProgress]
    starts: list[SkillStart]

    @property
    def mastered(self) -> int:
        return sum(s.mastered for s in self.skills)


def standing(
    snap: Snapshot, state: StudentState, beliefs: Beliefs, skills: Sequence[str]
) -> GoalStanding:
    """Per goal skill mastered or not, and the skills the projection must still cover
    (`engine.pace_scope`); goal skills retired since are shown, never mastered."""
    found, starts = goal_scope(snap.recommender, state, beliefs, skills)
    by_id = {g.skill_id: g for g in found}
    progress = [
        GoalSkillProgress(
            skill_id=s,
            skill_name=snap.skill_names.get(s, s),
            mastered=by_id[s].mastered if s in by_id else False,
            mastery=by_id[s].known if s in by_id else 0.0,
        )
        for s in [g.skill_id for g in found] + [s for s in skills if s not in by_id]
    ]
    return GoalStanding(progress, starts)


def _rounded(start: SkillStart) -> tuple[tuple[float | int, ...], SkillStart]:
    """The cache key of a start, and the start with its belief rounded to the key's."""
    p = start.params
    belief = min(1.0, round(round(start.known / _BELIEF_STEP) * _BELIEF_STEP, 6))
    key = (p.prior, p.learn, p.guess, p.slip, p.forget, start.threshold, belief)
    rounded = SkillStart(start.skill_id, belief, p, start.threshold, start.min_attempts)
    return (*key, start.min_attempts), rounded


def skill_draws(starts: Sequence[SkillStart]) -> list[NDArray[np.int16]]:
    """Per start, DRAWS answers-to-mastery draws (computed once per distinct case).

    Skills with per-item parameters are drawn with their skill-level values. Column j
    of every row is drawn with the same learning speed, so rows sum column by column."""
    keyed = []
    seen: dict[tuple[float | int, ...], int] = {}
    for s in starts:
        key, rounded = _rounded(s)
        # the n-th skill with the same case gets its own draws (independent skills),
        # column j of every row keeps the same learning speed (`_ABILITY`)
        seen[key] = seen.get(key, -1) + 1
        keyed.append(((*key, seen[key]), rounded))
    missing = {k: s for k, s in keyed if k not in _DRAWS}
    if missing:
        seed = zlib.crc32(repr(sorted(missing)).encode())
        rng = np.random.default_rng(seed)
        rows = attempt_draws(list(missing.values()), DRAWS, CAP_PER_SKILL, rng, _ABILITY)
        with _DRAWS_LOCK:
            if len(_DRAWS) + len(missing) > _DRAWS_LIMIT:
                _DRAWS.clear()
            for k, row in zip(missing, rows, strict=True):
                _DRAWS[k] = row.astype(np.int16)
    return [_DRAWS[k] for k, _ in keyed]


def project(starts: Sequence[SkillStart], practice: Practice | None, seed: int) -> Projection:
    """The projection for one student from the kept per-skill draws."""
    rng = np.random.default_rng(seed)
    rows = skill_draws(starts)
    per_skill = np.stack(rows) if rows else np.zeros((0, DRAWS), dtype=np.int16)
    return (
        PaceProjector(draws=DRAWS, cap_per_skill=CAP_PER_SKILL, coverage=COVERAGE, random_state=rng)
        .from_draws(per_skill, practice)
        .projection_
    )


def recent_practice(
    session: Session, student_ids: Iterable[int], now: datetime
) -> dict[int, tuple[int, float]]:
    """Per student: (answers in the window, days of the window they have been practising)."""
    ids = list(student_ids)
    since = now - timedelta(days=WINDOW_DAYS)
    counts = dict(
        session.exec(
            select(ResponseLog.student_id, func.count())
            .where(col(ResponseLog.student_id).in_(ids), col(ResponseLog.created_at) >= since)
            .group_by(col(ResponseLog.student_id))
        ).all()
    )
    firsts = dict(
        session.exec(
            select(ResponseLog.student_id, func.min(ResponseLog.created_at))
            .where(col(ResponseLog.student_id).in_(ids))
            .group_by(col(ResponseLog.student_id))
        ).all()
    )
    out: dict[int, tuple[int, float]] = {}
    for sid in ids:
        first = firsts.get(sid)
        if first is not None and first.tzinfo is None:
            first = first.replace(tzinfo=UTC)
        practised = (now - first).total_seconds() / 86400.0 if first is not None else WINDOW_DAYS
        out[sid] = (int(counts.get(sid, 0)), float(min(max(practised, 1.0), WINDOW_DAYS)))
    return out


def _day(today: date, days: float | None, up: bool) -> date | None:
    if days is None:
        return None
    whole = math.ceil(days - 1e-9) if up else math.floor(days + 1e-9)
    return today + timedelta(days=max(0, min(whole, 3650)))


def _n(x: float) -> str:
    return str(round(x))


def reason(flag: Flag, why: Why, pub: PacePublic, target: date) -> str:
    """The flag's reason in one sentence a teacher (or a family) can act on."""
    t = f"{target.day} {target:%b %Y}"
    plus = "+" if pub.capped else ""
    low, high = _n(pub.attempts_low), _n(pub.attempts_high)
    more = f"about {_n(pub.attempts)} more answers ({low}–{high}{plus})"
    if why is Why.reached:
        return "Every goal skill is mastered."
    if why is Why.past_target:
        left = pub.remaining_skills
        return f"The target date {t} has passed with {left} goal skill(s) still to master."
    if why is Why.no_practice:
        return (
            f"No practice in the last {WINDOW_DAYS} days, so no date can be projected; "
            f"{more} are needed by {t}."
        )
    per_day = pub.answers_per_day or 0.0
    rate = f"at {per_day:.1f} answers a day"
    when = (
        f"{pub.date_low.day} {pub.date_low:%b} – {pub.date_high.day} {pub.date_high:%b}"
        if pub.date_low and pub.date_high
        else ""
    )
    if why is Why.median_after_target:
        return f"Needs {more}; {rate} that is likely after the target {t} (projected {when})."
    if why is Why.late_end_after_target:
        return (
            f"Needs {more}; {rate} the goal is likely reached by {t}, "
            f"but the late end of the range ({when}) is after it."
        )
    return f"Needs {more}; {rate} the whole range ({when}) ends by the target {t}."


def pace_public(
    projection: Projection,
    practice: tuple[int, float],
    target: date,
    today: date,
    remaining: int,
) -> PacePublic:
    answers, days = practice
    pub = PacePublic(
        flag="",
        reason="",
        remaining_skills=remaining,
        attempts=round(projection.attempts, 1),
        attempts_low=projection.attempts_low,
        attempts_high=projection.attempts_high,
        projected_date=_day(today, projection.days, up=True),
        date_low=_day(today, projection.days_low, up=False),
        date_high=_day(today, projection.days_high, up=True),
        answers_per_day=round(answers / days, 2) if answers else None,
        recent_answers=answers,
        window_days=round(days, 2),
        capped=projection.capped,
    )
    flag, why = classify(projection, float((target - today).days))
    pub.flag = flag.value
    pub.reason = reason(flag, why, pub, target)
    return pub


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def progress_on(
    snap: Snapshot,
    state: StudentState,
    goal: Goal,
    practice: tuple[int, float],
    today: date,
    student_id: int,
    beliefs: Beliefs | None = None,
) -> tuple[GoalStanding, PacePublic]:
    """Progress and pace on one goal; `beliefs` if the caller has them for this state."""
    beliefs = beliefs if beliefs is not None else snap.recommender.beliefs(state)
    stand = standing(snap, state, beliefs, goal.skills)
    answers, days = practice
    projection = project(stand.starts, Practice(answers, days), seed=student_id)
    remaining = len(stand.skills) - stand.mastered
    return stand, pace_public(projection, practice, goal.target_date, today, remaining)


def goal_progress(
    session: Session, runtime: Runtime, student_id: int, now: datetime | None = None
) -> StudentGoal | None:
    """The student's current goal, progress and pace; None without a goal. No access
    check: the caller has checked that the viewer may see this student."""
    moment = _now(now)
    today = school_day(moment, runtime.settings.zone)
    goal = goals.current_goal(session, student_id, today)
    if goal is None:
        return None
    snap = runtime.cache.recent(session)
    state = load_state(session, student_id)
    practice = recent_practice(session, [student_id], moment)[student_id]
    stand, pub = progress_on(snap, state, goal, practice, today, student_id)
    return StudentGoal(
        student_id=student_id,
        goal=goals.public(session, goal),
        skills=stand.skills,
        mastered=stand.mastered,
        total=len(stand.skills),
        pace=pub,
    )


def student_goal(
    session: Session, runtime: Runtime, viewer: User, student_id: int, now: datetime | None = None
) -> StudentGoal | None:
    """`goal_progress` for a viewer who may see the student (themselves, their teacher,
    an admin); NotFound otherwise."""
    visible_student(session, viewer, student_id)
    return goal_progress(session, runtime, student_id, now)


def goal_pace(
    session: Session, runtime: Runtime, viewer: User, goal_id: int, now: datetime | None = None
) -> GoalPace:
    """Every student the goal applies to, with progress and pace, behind first."""
    moment = _now(now)
    today = school_day(moment, runtime.settings.zone)
    goal = goals.visible_goal(session, viewer, goal_id)
    people = goals.goal_students(session, viewer, goal)
    snap = runtime.cache.recent(session)
    ids = [p.student_id for p in people]
    states = load_states(session, ids)
    practice = recent_practice(session, ids, moment)
    rows = []
    for p in people:
        stand, pub = progress_on(
            snap,
            states.get(p.student_id) or StudentState(),
            goal,
            practice[p.student_id],
            today,
            p.student_id,
        )
        rows.append(
            StudentPaceRow(
                student_id=p.student_id,
                username=p.username,
                full_name=p.full_name,
                mastered=stand.mastered,
                total=len(stand.skills),
                pace=pub,
            )
        )
    order = {Flag.behind.value: 0, Flag.at_risk.value: 1, Flag.on_track.value: 2}
    rows.sort(key=lambda r: (order.get(r.pace.flag, 3), r.username))
    return GoalPace(goal=goals.public(session, goal), students=rows)


def load_states(session: Session, ids: Sequence[int]) -> dict[int, StudentState]:
    return {
        r.student_id: StudentState.from_dict(r.state)
        for r in session.exec(
            select(StudentStateRow).where(col(StudentStateRow.student_id).in_(ids))
        )
    }
