"""Mastery per curriculum standard code for one student, from their per-skill mastery.

A standard is mastered when every curriculum skill tagged with its code is mastered,
in progress when any of them has answers or is mastered, else not started. A skill
without a code stands on its own (code None), so a curriculum without codes still says
what was mastered. The per-skill verdict is the one the teacher's heatmap shows
(`students.skill_rows`), so family and teacher never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlmodel import Session, col, select

from models.content import Skill
from models.family import StandardProgress, StandardStatus
from models.practice import SkillMasteryPublic


def standard_codes(session: Session) -> dict[str, str]:
    """skill id -> its standard code, for the active skills that declare one."""
    rows = session.exec(select(Skill.id, Skill.definition).where(col(Skill.retired).is_(False)))
    out: dict[str, str] = {}
    for skill_id, definition in rows:
        code = (definition or {}).get("standard")
        if isinstance(code, str) and code:
            out[skill_id] = code
    return out


def _status(mastered: int, started: bool, total: int) -> StandardStatus:
    if mastered == total:
        return StandardStatus.mastered
    return StandardStatus.in_progress if started or mastered else StandardStatus.not_started


def standards_progress(
    skills: Sequence[SkillMasteryPublic], codes: Mapping[str, str]
) -> list[StandardProgress]:
    """One row per standard, in the curriculum order of its first skill."""
    # keyed (code, None) for a standard, (None, skill id) for a skill without a code
    groups: dict[tuple[str | None, str | None], list[SkillMasteryPublic]] = {}
    for s in skills:
        code = codes.get(s.skill_id)
        groups.setdefault((code, None) if code else (None, s.skill_id), []).append(s)
    out = []
    for (code, _skill), members in groups.items():
        mastered = sum(1 for m in members if m.mastered)
        started = any(m.attempts > 0 for m in members)
        out.append(
            StandardProgress(
                code=code,
                skills=[m.skill_name for m in members],
                mastered=mastered,
                total=len(members),
                status=_status(mastered, started, len(members)),
            )
        )
    return out
