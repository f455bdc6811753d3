"""Class heatmap as a view model: students x skills grouped by unit, ready to render.

Pure: the caller fetches mastery from the service and passes plain values in;
this module decides colours, labels, grouping and order. Sorting "by gap" puts
the students furthest from mastery first: a student's gap is the mean shortfall
below the mastery threshold over the skills with evidence, so a student with no
evidence at all has no gap and sorts last (there is nothing to act on yet).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from api.pages.palette import DARK_TEXT, NO_EVIDENCE_BACKGROUND, Swatch, legend, swatch

SortKey = Literal["name", "gap"]
SORT_KEYS: tuple[SortKey, ...] = ("name", "gap")


@dataclass(frozen=True)
class HeatStudent:
    id: int
    name: str
    subgroups: tuple[str, ...] = ()
    stuck_skills: tuple[str, ...] = ()

    @property
    def stuck(self) -> bool:
        return bool(self.stuck_skills)


@dataclass(frozen=True)
class HeatSkill:
    id: str
    name: str
    unit: str


@dataclass(frozen=True)
class HeatCell:
    skill: HeatSkill
    value: float | None
    text: str
    background: str
    foreground: str
    label: str
    href: str | None
    mastered: bool
    stuck: bool

    @property
    def no_evidence(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class HeatRow:
    student: HeatStudent
    cells: tuple[HeatCell, ...]
    gap: float | None
    mastered_count: int


@dataclass(frozen=True)
class UnitGroup:
    name: str
    span: int


@dataclass(frozen=True)
class HeatmapView:
    units: tuple[UnitGroup, ...]
    skills: tuple[HeatSkill, ...]
    rows: tuple[HeatRow, ...]
    legend: tuple[Swatch, ...]
    threshold: float
    sort: SortKey
    subgroup: str | None
    subgroups: tuple[str, ...]

    @property
    def stuck_count(self) -> int:
        return sum(1 for r in self.rows if r.student.stuck)


def percent(value: float) -> str:
    """Mastery as a whole percentage, never rounding up to 100 below 0.995."""
    return str(int(value * 100 + 0.5) if value < 0.995 else 100)


def student_gap(values: Sequence[float | None], threshold: float) -> float | None:
    """Mean shortfall below threshold over evidenced values; None without evidence."""
    seen = [v for v in values if v is not None]
    if not seen:
        return None
    return sum(max(0.0, threshold - v) for v in seen) / len(seen)


def order_skills_by_unit(skills: Sequence[HeatSkill]) -> list[HeatSkill]:
    """Keep the given (curriculum) order but bring each unit's skills together."""
    units: dict[str, list[HeatSkill]] = {}
    for s in skills:
        units.setdefault(s.unit, []).append(s)
    return [s for group in units.values() for s in group]


def build_heatmap(
    students: Sequence[HeatStudent],
    skills: Sequence[HeatSkill],
    mastery: Mapping[tuple[int, str], float | None],
    *,
    threshold: float,
    sort: SortKey = "name",
    subgroup: str | None = None,
    cell_href: Callable[[HeatStudent, HeatSkill], str] | None = None,
) -> HeatmapView:
    """Assemble the heatmap; a (student, skill) missing from `mastery` means no evidence."""
    if not 0.0 < threshold < 1.0:
        raise ValueError(f"build_heatmap: threshold must be in (0, 1), got {threshold}")
    if sort not in SORT_KEYS:
        raise ValueError(f"build_heatmap: sort must be one of {SORT_KEYS}, got {sort!r}")
    ordered = order_skills_by_unit(skills)
    units: list[UnitGroup] = []
    for s in ordered:
        if units and units[-1].name == s.unit:
            units[-1] = UnitGroup(s.unit, units[-1].span + 1)
        else:
            units.append(UnitGroup(s.unit, 1))
    all_groups = sorted({g for st in students for g in st.subgroups})
    chosen = [st for st in students if subgroup is None or subgroup in st.subgroups]

    rows: list[HeatRow] = []
    for st in chosen:
        cells = []
        values: list[float | None] = []
        for sk in ordered:
            v = mastery.get((st.id, sk.id))
            values.append(v)
            cells.append(_cell(st, sk, v, threshold, cell_href))
        rows.append(
            HeatRow(
                student=st,
                cells=tuple(cells),
                gap=student_gap(values, threshold),
                mastered_count=sum(1 for c in cells if c.mastered),
            )
        )
    if sort == "gap":
        rows.sort(key=lambda r: (r.gap is None, -(r.gap or 0.0), r.student.name.lower()))
    else:
        rows.sort(key=lambda r: (r.student.name.lower(), r.student.id))
    return HeatmapView(
        units=tuple(units),
        skills=tuple(ordered),
        rows=tuple(rows),
        legend=tuple(legend(6)),
        threshold=threshold,
        sort=sort,
        subgroup=subgroup,
        subgroups=tuple(all_groups),
    )


def _cell(
    st: HeatStudent,
    sk: HeatSkill,
    value: float | None,
    threshold: float,
    cell_href: Callable[[HeatStudent, HeatSkill], str] | None,
) -> HeatCell:
    href = cell_href(st, sk) if cell_href else None
    stuck = sk.id in st.stuck_skills
    if value is None:
        return HeatCell(
            skill=sk,
            value=None,
            text="–",
            background=NO_EVIDENCE_BACKGROUND,
            foreground=DARK_TEXT,
            label=f"{st.name}, {sk.name}: no evidence yet",
            href=href,
            mastered=False,
            stuck=stuck,
        )
    sw = swatch(value)
    mastered = value >= threshold
    state = "mastered" if mastered else ("stuck" if stuck else "not yet mastered")
    return HeatCell(
        skill=sk,
        value=value,
        text=percent(value),
        background=sw.background,
        foreground=sw.foreground,
        label=f"{st.name}, {sk.name}: {percent(value)}% mastery, {state}",
        href=href,
        mastered=mastered,
        stuck=stuck,
    )
