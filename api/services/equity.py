"""The equity panel: subgroups of a class (enrolment attributes) compared on progress.

For every attribute and value: how many students, skills mastered per week since each
student's first answer, recent answers per week, the median projected days to the
current goal (0 for a goal already reached; students without a goal or without recent
practice are left out of it) and the share on track; a student who never answered
counts as no progress. A group with fewer than `MIN_GROUP_SIZE` students is
suppressed (no numbers shown): averages over two or three students identify them and
say nothing reliable. Attributes are read here only, for
reporting; the model and the recommender never see them (`tests/api/test_equity.py`).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from api.services.class_overview import ClassOverview, StudentOverview
from models.class_reports import EquityGroup, EquityReport

MIN_GROUP_SIZE = 5
DEFINITION = (
    f"Subgroups by enrolment attribute. Groups of fewer than {MIN_GROUP_SIZE} students are "
    "not shown. Progress per week: skills mastered per week since the student's first "
    "answer. Time to goal: median projected days to the current goal."
)


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 3) if values else None


def _group(
    attr: str, value: str, members: list[StudentOverview], overview: ClassOverview
) -> EquityGroup:
    if len(members) < MIN_GROUP_SIZE:
        return EquityGroup(
            attribute=attr,
            value=value,
            students=None,
            suppressed=True,
            mastered_per_week=None,
            answers_per_week=None,
            median_days_to_goal=None,
            on_track_share=None,
        )
    today = overview.today
    per_week = []  # a student who never answered has made no progress (0), not none
    for m in members:
        since = overview.now - m.first_answer if m.first_answer is not None else None
        weeks = max(since.total_seconds() / (7 * 86400.0), 1.0) if since else 1.0
        per_week.append(len(m.mastered) / weeks)
    answers = [m.recent[0] / m.recent[1] * 7.0 for m in members]
    days = []
    for m in members:
        if m.pace is None:
            continue
        if m.pace.remaining_skills == 0:
            days.append(0.0)
        elif m.pace.projected_date is not None:
            days.append(float((m.pace.projected_date - today).days))
    paced = [m for m in members if m.pace is not None]
    return EquityGroup(
        attribute=attr,
        value=value,
        students=len(members),
        suppressed=False,
        mastered_per_week=_mean(per_week),
        answers_per_week=_mean(answers),
        median_days_to_goal=statistics.median(days) if days else None,
        on_track_share=(
            round(
                sum(m.pace is not None and m.pace.flag == "on track" for m in paced) / len(paced), 3
            )
            if paced
            else None
        ),
    )


def equity_report(overview: ClassOverview) -> EquityReport:
    by_attr: dict[str, dict[str, list[StudentOverview]]] = {}
    for s in overview.students:
        for attr, value in s.enrolment.attributes.items():
            by_attr.setdefault(attr, {}).setdefault(value, []).append(s)
    groups = [
        _group(attr, value, members, overview)
        for attr in sorted(by_attr)
        for value, members in sorted(by_attr[attr].items())
    ]
    assert overview.classroom.id is not None
    return EquityReport(
        class_id=overview.classroom.id,
        min_group_size=MIN_GROUP_SIZE,
        groups=groups,
        definition=DEFINITION,
    )
