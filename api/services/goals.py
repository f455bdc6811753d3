"""Goals with dates: set, list, archive, and which goal a student is working toward.

Only a class's teachers (and admins) set or see its goals (`visible_class`); a student's
current goal (`current_goal`) is read without a viewer, so callers check access first
(`api.services.pace.student_goal` does it for students, teachers and admins).

The current goal is the open goal with the nearest target date that is today or later;
when every goal's date has passed, the one whose date passed last. Ties go to the newest.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.access import visible_class
from api.services.cache import Catalog
from api.services.classes import class_students
from api.services.errors import Invalid, NotFound
from models.classes import Enrolment, EnrolmentPublic
from models.content import Skill, Unit
from models.goals import Goal, GoalCreate, GoalPublic, GoalStudent, goal_public
from models.users import User


def resolve_skills(session: Session, catalog: Catalog, data: GoalCreate) -> list[str]:
    """The goal's skill ids in curriculum order (a unit's active skills, or the list)."""
    if data.unit_id is not None:
        found = session.exec(
            select(Skill.id).where(Skill.unit_id == data.unit_id, col(Skill.retired).is_(False))
        ).all()
        if not found:
            raise Invalid(f"unit_id: no unit {data.unit_id!r} with active skills")
        wanted = set(found)
    else:
        unknown = [s for s in data.skills if s not in catalog.skill_names]
        if unknown:
            raise Invalid(f"skills: unknown or retired skill(s) {unknown}")
        wanted = set(data.skills)
    return [s for s in catalog.skills if s in wanted]


def _title(session: Session, data: GoalCreate, skills: list[str], catalog: Catalog) -> str:
    """The teacher's title, else the unit's name, else the first skills' names."""
    if data.title:
        return data.title
    if data.unit_id is not None:
        unit = session.get(Unit, data.unit_id)
        return unit.title if unit is not None and unit.title else f"Unit {data.unit_id}"
    names = [catalog.skill_names.get(s, s) for s in skills]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def create_goal(
    session: Session,
    catalog: Catalog,
    viewer: User,
    class_id: int,
    data: GoalCreate,
    today: date,
) -> GoalPublic:
    """Set a goal for the class (or the listed students of it); all or nothing: the
    checks run in the write transaction, so what they read cannot change before it."""
    if data.target_date < today:
        raise Invalid(f"target_date: {data.target_date.isoformat()} is in the past")
    with write_transaction(session):
        visible_class(session, viewer, class_id)
        skills = resolve_skills(session, catalog, data)
        if data.student_ids is not None:
            enrolled = set(
                session.exec(
                    select(Enrolment.student_id).where(
                        Enrolment.class_id == class_id,
                        col(Enrolment.student_id).in_(data.student_ids),
                    )
                ).all()
            )
            missing = [s for s in data.student_ids if s not in enrolled]
            if missing:
                raise Invalid(f"student_ids: not enrolled in class {class_id}: {missing}")
        goal = Goal(
            class_id=class_id,
            title=_title(session, data, skills, catalog),
            unit_id=data.unit_id,
            skills=skills,
            target_date=data.target_date,
            whole_class=data.student_ids is None,
            created_by=viewer.id,
        )
        session.add(goal)
        session.flush()
        assert goal.id is not None
        for student_id in data.student_ids or []:
            session.add(GoalStudent(goal_id=goal.id, student_id=student_id))
        out = goal_public(goal, list(data.student_ids or []))
    return out


def members(session: Session, goal: Goal) -> list[int]:
    """The students listed on a goal for part of a class ([] for whole-class goals)."""
    if goal.whole_class:
        return []
    return sorted(
        session.exec(select(GoalStudent.student_id).where(GoalStudent.goal_id == goal.id)).all()
    )


def public(session: Session, goal: Goal) -> GoalPublic:
    return goal_public(goal, members(session, goal))


def class_goals(session: Session, viewer: User, class_id: int) -> list[GoalPublic]:
    """The class's open goals, nearest target date first."""
    visible_class(session, viewer, class_id)
    rows = session.exec(
        select(Goal)
        .where(Goal.class_id == class_id, col(Goal.archived).is_(False))
        .order_by(col(Goal.target_date), col(Goal.id))
    ).all()
    return [public(session, g) for g in rows]


def visible_goal(session: Session, viewer: User, goal_id: int) -> Goal:
    """The goal if the viewer teaches its class (admins: any), else NotFound."""
    goal = session.get(Goal, goal_id)
    if goal is None or goal.archived:
        raise NotFound(f"no goal {goal_id}")
    try:
        visible_class(session, viewer, goal.class_id)
    except NotFound:
        raise NotFound(f"no goal {goal_id}") from None
    return goal


def archive_goal(session: Session, viewer: User, goal_id: int) -> None:
    with write_transaction(session):
        goal = visible_goal(session, viewer, goal_id)
        goal.archived = True
        session.add(goal)


def goal_students(session: Session, viewer: User, goal: Goal) -> list[EnrolmentPublic]:
    """The enrolled students the goal applies to, by username."""
    enrolled = class_students(session, viewer, goal.class_id)
    if goal.whole_class:
        return enrolled
    listed = set(members(session, goal))
    return [e for e in enrolled if e.student_id in listed]


def student_goals(session: Session, student_id: int) -> list[Goal]:
    """Every open goal that applies to the student, in any of their classes."""
    classes = select(Enrolment.class_id).where(Enrolment.student_id == student_id)
    listed = select(GoalStudent.goal_id).where(GoalStudent.student_id == student_id)
    return list(
        session.exec(
            select(Goal).where(
                col(Goal.archived).is_(False),
                col(Goal.class_id).in_(classes),
                or_(col(Goal.whole_class).is_(True), col(Goal.id).in_(listed)),
            )
        ).all()
    )


def pick_current(goals: list[Goal], today: date) -> Goal | None:
    """Nearest target date from today on; else the latest past one; ties: newest."""
    ahead = [g for g in goals if g.target_date >= today]
    if ahead:
        return min(ahead, key=lambda g: (g.target_date, -(g.id or 0)))
    if goals:
        return max(goals, key=lambda g: (g.target_date, g.id or 0))
    return None


def current_goal(session: Session, student_id: int, today: date) -> Goal | None:
    """The goal the student is working toward now (callers check the viewer's access)."""
    return pick_current(student_goals(session, student_id), today)


def current_goals(session: Session, student_ids: list[int], today: date) -> dict[int, Goal | None]:
    """`current_goal` for many students in three queries (a class page's worth)."""
    enrolled: dict[int, set[int]] = {}
    for class_id, student_id in session.exec(
        select(Enrolment.class_id, Enrolment.student_id).where(
            col(Enrolment.student_id).in_(student_ids)
        )
    ).all():
        enrolled.setdefault(student_id, set()).add(class_id)
    class_ids = {c for cs in enrolled.values() for c in cs}
    open_goals = session.exec(
        select(Goal).where(col(Goal.archived).is_(False), col(Goal.class_id).in_(class_ids))
    ).all()
    listed: dict[int, set[int]] = {}
    for goal_id, student_id in session.exec(
        select(GoalStudent.goal_id, GoalStudent.student_id).where(
            col(GoalStudent.student_id).in_(student_ids)
        )
    ).all():
        listed.setdefault(student_id, set()).add(goal_id)
    out: dict[int, Goal | None] = {}
    for sid in student_ids:
        mine = [
            g
            for g in open_goals
            if g.class_id in enrolled.get(sid, set())
            and (g.whole_class or g.id in listed.get(sid, set()))
        ]
        out[sid] = pick_current(mine, today)
    return out
