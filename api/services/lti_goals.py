"""An assignment's goal: a unit or a skill, written `unit:ID` or `skill:ID`.

A launch lands a student in practice towards the goal, and the score sent to the
LMS is the share of the goal's skills the student has mastered: for a skill, the
skill and every prerequisite it rests on; for a unit, the unit's skills.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from api.services.errors import Invalid
from engine.graph import ancestors
from models.content import Prerequisite, Skill, Unit


@dataclass(frozen=True)
class Goal:
    kind: str  # "skill" or "unit"
    id: str
    name: str
    practice_skill: str  # the skill practice aims at (a unit's last, in teaching order)
    skills: tuple[str, ...]  # whose mastery makes up the score

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.id}"


def _unit_skills(session: Session, unit_id: str) -> list[str]:
    rows = session.exec(
        select(Skill.id).where(Skill.unit_id == unit_id).order_by(col(Skill.position))
    ).all()
    return list(rows)


def resolve_goal(session: Session, ref: str) -> Goal:
    """The goal a reference names; Invalid saying what is unknown."""
    kind, sep, ident = ref.partition(":")
    if not sep:
        kind, ident = "skill", ref
    if kind == "unit":
        unit = session.get(Unit, ident)
        skills = _unit_skills(session, ident) if unit is not None else []
        if unit is None or not skills:
            raise Invalid(f"goal: unknown unit {ident!r}")
        return Goal("unit", ident, unit.title or ident, skills[-1], tuple(skills))
    if kind == "skill":
        skill = session.get(Skill, ident)
        if skill is None:
            raise Invalid(f"goal: unknown skill {ident!r}")
        edges = session.exec(select(Prerequisite.requires_id, Prerequisite.skill_id)).all()
        below = ancestors([(a, b) for a, b in edges], ident)
        return Goal("skill", ident, skill.name or ident, ident, (ident, *sorted(below - {ident})))
    raise Invalid(f"goal: {ref!r} is not 'unit:ID' or 'skill:ID'")


@dataclass(frozen=True)
class GoalChoice:
    ref: str
    label: str


def goal_choices(session: Session) -> list[GoalChoice]:
    """Every unit, then every skill, in curriculum order: what a teacher may assign."""
    units = session.exec(select(Unit).order_by(col(Unit.position))).all()
    out = [GoalChoice(f"unit:{u.id}", f"Unit: {u.title or u.id}") for u in units if not u.retired]
    skills = session.exec(select(Skill).order_by(col(Skill.unit_id), col(Skill.position))).all()
    out += [GoalChoice(f"skill:{s.id}", f"Skill: {s.name}") for s in skills if not s.retired]
    session.commit()
    return out
