"""The standards report of a class: mastery per standard code, per student and class.

A standard (the curriculum's `standard` code on its skills) is mastered when every
active skill with that code is mastered, in progress when any of them has answers or is
mastered, else not started: the same rule as a student's own standards view, on the
same per-skill verdict as the heatmap. Skills without a code are listed apart.
"""

from __future__ import annotations

import csv
import io

from sqlmodel import Session, col, select

from api.services.class_overview import ClassOverview
from models.class_reports import (
    StandardCell,
    StandardInfo,
    StandardsReport,
    StandardSummary,
    StudentStandards,
)
from models.content import Skill

MASTERED, IN_PROGRESS, NOT_STARTED = "mastered", "in progress", "not started"


def skill_codes(session: Session) -> dict[str, str]:
    """skill id -> standard code, for active skills that declare one."""
    out: dict[str, str] = {}
    for skill_id, definition in session.exec(
        select(Skill.id, Skill.definition).where(col(Skill.retired).is_(False))
    ).all():
        code = (definition or {}).get("standard")
        if isinstance(code, str) and code:
            out[skill_id] = code
    return out


def standards_report(session: Session, overview: ClassOverview) -> StandardsReport:
    snap = overview.snap
    codes = skill_codes(session)
    by_code: dict[str, list[str]] = {}
    for skill in snap.skills:  # curriculum order: a standard sits where its first skill is
        if skill in codes:
            by_code.setdefault(codes[skill], []).append(skill)
    standards = [
        StandardInfo(
            code=code, skills=skills, skill_names=[snap.skill_names.get(s, s) for s in skills]
        )
        for code, skills in by_code.items()
    ]
    students = []
    tally = {code: {MASTERED: 0, IN_PROGRESS: 0, NOT_STARTED: 0} for code in by_code}
    for s in overview.students:
        cells = []
        for code, skills in by_code.items():
            done = sum(1 for k in skills if k in s.mastered)
            started = any(s.state.attempts(k) for k in skills)
            status = (
                MASTERED if done == len(skills) else IN_PROGRESS if started or done else NOT_STARTED
            )
            tally[code][status] += 1
            mean = sum(s.beliefs.effective.get(k, 0.0) for k in skills) / len(skills)
            cells.append(
                StandardCell(
                    code=code,
                    status=status,
                    mastered_skills=done,
                    total_skills=len(skills),
                    mean_mastery=round(mean, 4),
                )
            )
        students.append(
            StudentStandards(
                student_id=s.enrolment.student_id,
                username=s.enrolment.username,
                full_name=s.enrolment.full_name,
                standards=cells,
            )
        )
    n = len(overview.students)
    summary = [
        StandardSummary(
            code=code,
            mastered=t[MASTERED],
            in_progress=t[IN_PROGRESS],
            not_started=t[NOT_STARTED],
            share_mastered=t[MASTERED] / n if n else 0.0,
        )
        for code, t in tally.items()
    ]
    assert overview.classroom.id is not None
    return StandardsReport(
        class_id=overview.classroom.id,
        class_name=overview.classroom.name,
        standards=standards,
        students=students,
        summary=summary,
        uncoded_skills=[s for s in snap.skills if s not in codes],
    )


def _cell(value: object) -> str:
    """Spreadsheet-safe text: a leading = + - @ would be run as a formula."""
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def standards_csv(report: StandardsReport) -> str:
    """Long form for report cards: one line per student and standard."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        [
            "student_id",
            "username",
            "full_name",
            "standard",
            "status",
            "mastered_skills",
            "total_skills",
            "mean_mastery",
        ]
    )
    for s in report.students:
        for c in s.standards:
            w.writerow(
                [
                    _cell(v)
                    for v in (
                        s.student_id,
                        s.username,
                        s.full_name,
                        c.code,
                        c.status,
                        c.mastered_skills,
                        c.total_skills,
                        c.mean_mastery,
                    )
                ]
            )
    return buf.getvalue()
