"""Skills whose model contradicts students' answers: the runtime self-check, counted.

`StudentState.record` flags a skill for a student when a run of right answers did not
raise its mastery (or wrong ones did not lower it); the flag travels with the mastery
row (`Mastery.contradicted`), so one grouped count tells designers which skills need a
refit or a look at their items. A replay under new parameters recomputes the flags.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session, col

from models.mastery import Mastery

CONTRADICTED_FLAG = "model contradicts answers"


def contradicted_skills(session: Session) -> dict[str, int]:
    """Skill -> number of students for whom its model contradicted their answers."""
    rows = session.execute(
        select(col(Mastery.skill_id), func.count())
        .where(col(Mastery.contradicted).is_(True))
        .group_by(col(Mastery.skill_id))
    ).all()
    return {str(skill): int(n) for skill, n in rows}
