"""The teacher's view of a class: mastery per student and skill, stuck flags, subgroups.

Cells use the same numbers as the student's own mastery page (services.students).
`subgroup` compares groups of students by an enrolment attribute: "ell" groups by
every value of `ell` (students without it form "(not set)"); "ell:yes" compares
`ell=yes` with everyone else. Groups report means per skill and their size, so a
teacher can see both the gap and how few students it rests on.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from api.services.access import visible_class
from api.services.classes import class_students
from api.services.errors import Invalid
from api.services.students import skill_rows
from engine.recommend.state import StudentState
from models.heatmap import (
    STUCK_DEFINITION,
    GroupSkill,
    GroupSummary,
    Heatmap,
    HeatmapCell,
    HeatmapRow,
    HeatmapSkill,
)
from models.mastery import StudentStateRow
from models.users import User

if TYPE_CHECKING:
    from api.runtime import Runtime

NOT_SET = "(not set)"


def parse_subgroup(text: str) -> tuple[str, str | None]:
    attr, sep, value = text.partition(":")
    attr = attr.strip()
    if not attr or (sep and not value.strip()):
        raise Invalid("subgroup: use 'attribute' or 'attribute:value', e.g. 'ell' or 'ell:yes'")
    return attr, (value.strip() if sep else None)


def class_heatmap(
    session: Session, runtime: Runtime, viewer: User, class_id: int, subgroup: str | None = None
) -> Heatmap:
    classroom = visible_class(session, viewer, class_id)
    wanted = parse_subgroup(subgroup) if subgroup else None
    snap = runtime.cache.recent(session)
    enrolled = class_students(session, viewer, class_id)
    ids = [e.student_id for e in enrolled]
    states = {
        r.student_id: StudentState.from_dict(r.state)
        for r in session.exec(
            select(StudentStateRow).where(col(StudentStateRow.student_id).in_(ids))
        )
    }
    rows = []
    for e in enrolled:
        cells = skill_rows(
            snap, states.get(e.student_id) or StudentState(), runtime.settings.stuck_attempts
        )
        rows.append(
            HeatmapRow(
                student_id=e.student_id,
                username=e.username,
                full_name=e.full_name,
                attributes=e.attributes,
                cells=[
                    HeatmapCell(
                        skill_id=c.skill_id,
                        mastery=c.mastery,
                        effective=c.effective,
                        attempts=c.attempts,
                        corrects=c.corrects,
                        mastered=c.mastered,
                        stuck=c.stuck,
                    )
                    for c in cells
                ],
            )
        )
    heatmap = Heatmap(
        class_id=class_id,
        class_name=classroom.name,
        skills=[
            HeatmapSkill(
                skill_id=s, skill_name=snap.skill_names.get(s, s), threshold=snap.threshold(s)
            )
            for s in snap.skills
        ],
        students=rows,
        stuck_definition=STUCK_DEFINITION.format(n=runtime.settings.stuck_attempts),
    )
    if wanted is not None:
        heatmap.subgroup = subgroup
        heatmap.groups = group_summaries(rows, [s.skill_id for s in heatmap.skills], *wanted)
    return heatmap


def _group_of(row: HeatmapRow, attr: str, value: str | None) -> str:
    have = row.attributes.get(attr)
    if value is None:
        return have if have is not None else NOT_SET
    return f"{attr}={value}" if have == value else "others"


def group_summaries(
    rows: Sequence[HeatmapRow], skills: Sequence[str], attr: str, value: str | None
) -> list[GroupSummary]:
    groups: dict[str, list[HeatmapRow]] = {}
    if value is not None:
        groups = {f"{attr}={value}": [], "others": []}
    for r in rows:
        groups.setdefault(_group_of(r, attr, value), []).append(r)
    out = []
    for name in sorted(groups, key=lambda g: (g == NOT_SET or g == "others", g)):
        members = groups[name]
        n = len(members)
        per_skill = []
        for k, skill in enumerate(skills):
            cells = [m.cells[k] for m in members]
            per_skill.append(
                GroupSkill(
                    skill_id=skill,
                    mean_mastery=sum(c.mastery for c in cells) / n if n else 0.0,
                    mean_attempts=sum(c.attempts for c in cells) / n if n else 0.0,
                    share_mastered=sum(c.mastered for c in cells) / n if n else 0.0,
                    stuck=sum(c.stuck for c in cells),
                )
            )
        out.append(GroupSummary(group=name, students=n, skills=per_skill))
    return out


def _cell(value: object) -> str:
    """Spreadsheet-safe text: a leading = + - @ would be run as a formula."""
    text = f"{value:.4f}" if isinstance(value, float) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def heatmap_csv(heatmap: Heatmap) -> str:
    """Long form, one line per student and skill (or per group and skill with a subgroup)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    names = {s.skill_id: s.skill_name for s in heatmap.skills}
    if heatmap.groups is not None:
        w.writerow(
            [
                "group",
                "students",
                "skill_id",
                "skill_name",
                "mean_mastery",
                "mean_attempts",
                "share_mastered",
                "stuck",
            ]
        )
        for g in heatmap.groups:
            for s in g.skills:
                w.writerow(
                    [
                        _cell(v)
                        for v in (
                            g.group,
                            g.students,
                            s.skill_id,
                            names[s.skill_id],
                            s.mean_mastery,
                            s.mean_attempts,
                            s.share_mastered,
                            s.stuck,
                        )
                    ]
                )
        return buf.getvalue()
    w.writerow(
        [
            "student_id",
            "username",
            "full_name",
            "skill_id",
            "skill_name",
            "mastery",
            "attempts",
            "corrects",
            "mastered",
            "stuck",
        ]
    )
    for r in heatmap.students:
        for c in r.cells:
            w.writerow(
                [
                    _cell(v)
                    for v in (
                        r.student_id,
                        r.username,
                        r.full_name,
                        c.skill_id,
                        names[c.skill_id],
                        c.mastery,
                        c.attempts,
                        c.corrects,
                        str(c.mastered).lower(),
                        str(c.stuck).lower(),
                    )
                ]
            )
    return buf.getvalue()
