"""Class heatmap as a view model: students x skills grouped by unit, ready to render.

Pure: the caller fetches mastery, mastered and stuck flags from the service and
passes plain values in; this module decides colours, labels, grouping and order.
Sorting "by gap" puts the students furthest from mastery first: a student's gap is
the mean shortfall below each skill's mastery threshold over the skills with
evidence, so a student with no evidence at all has no gap and sorts last (there is
nothing to act on yet). Subgroups are "attribute=value" labels from enrolments.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from api.pages.palette import DARK_TEXT, NO_EVIDENCE_BACKGROUND, Swatch, legend, shade, swatch

SortKey = Literal["name", "gap"]
SORT_KEYS: tuple[SortKey, ...] = ("name", "gap")


@dataclass(frozen=True)
class HeatStudent:
    id: int
    name: str
    subgroups: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeatSkill:
    id: str
    name: str
    unit: str
    threshold: float = 0.95


@dataclass(frozen=True)
class CellIn:
    """One student's standing on one skill; value None means no evidence yet."""

    value: float | None
    mastered: bool = False
    stuck: bool = False


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
    shade: int | None = None  # the percentage shown, which picks the colour class

    @property
    def no_evidence(self) -> bool:
        return self.value is None


@dataclass(frozen=True)
class HeatRow:
    student: HeatStudent
    cells: tuple[HeatCell, ...]
    gap: float | None
    mastered_count: int

    @property
    def stuck_skills(self) -> tuple[HeatSkill, ...]:
        return tuple(c.skill for c in self.cells if c.stuck)

    @property
    def stuck(self) -> bool:
        return any(c.stuck for c in self.cells)


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
    sort: SortKey
    subgroup: str | None
    subgroups: tuple[str, ...]

    @property
    def stuck_count(self) -> int:
        return sum(1 for r in self.rows if r.stuck)


def percent(value: float) -> str:
    """Mastery as a whole percentage, never rounding up to 100 below 0.995."""
    return str(int(value * 100 + 0.5) if value < 0.995 else 100)


def student_gap(values: Sequence[tuple[float | None, float]]) -> float | None:
    """Mean shortfall below threshold over evidenced (value, threshold) pairs; None if none."""
    seen = [(v, t) for v, t in values if v is not None]
    if not seen:
        return None
    return sum(max(0.0, t - v) for v, t in seen) / len(seen)


def order_skills_by_unit(skills: Sequence[HeatSkill]) -> list[HeatSkill]:
    """Keep the given (curriculum) order but bring each unit's skills together."""
    units: dict[str, list[HeatSkill]] = {}
    for s in skills:
        units.setdefault(s.unit, []).append(s)
    return [s for group in units.values() for s in group]


def build_heatmap(
    students: Sequence[HeatStudent],
    skills: Sequence[HeatSkill],
    cells: Mapping[tuple[int, str], CellIn],
    *,
    sort: SortKey = "name",
    subgroup: str | None = None,
    cell_href: Callable[[HeatStudent, HeatSkill], str] | None = None,
) -> HeatmapView:
    """Assemble the heatmap; a (student, skill) missing from `cells` means no evidence."""
    if sort not in SORT_KEYS:
        raise ValueError(f"build_heatmap: sort must be one of {SORT_KEYS}, got {sort!r}")
    for sk in skills:
        if not 0.0 < sk.threshold < 1.0:
            raise ValueError(f"build_heatmap: skill {sk.id!r} threshold must be in (0, 1)")
    ordered = order_skills_by_unit(skills)
    units: list[UnitGroup] = []
    for s in ordered:
        if units and units[-1].name == s.unit:
            units[-1] = UnitGroup(s.unit, units[-1].span + 1)
        else:
            units.append(UnitGroup(s.unit, 1))
    all_groups = sorted({g for st in students for g in st.subgroups})
    chosen = [st for st in students if subgroup is None or subgroup in st.subgroups]
    empty = CellIn(None)
    rows: list[HeatRow] = []
    for st in chosen:
        row_cells = [_cell(st, sk, cells.get((st.id, sk.id), empty), cell_href) for sk in ordered]
        rows.append(
            HeatRow(
                student=st,
                cells=tuple(row_cells),
                gap=student_gap([(c.value, c.skill.threshold) for c in row_cells]),
                mastered_count=sum(1 for c in row_cells if c.mastered),
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
        sort=sort,
        subgroup=subgroup,
        subgroups=tuple(all_groups),
    )


def _cell(
    st: HeatStudent,
    sk: HeatSkill,
    cell: CellIn,
    cell_href: Callable[[HeatStudent, HeatSkill], str] | None,
) -> HeatCell:
    href = cell_href(st, sk) if cell_href else None
    value = cell.value
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
            stuck=cell.stuck,
        )
    pct = shade(value)
    sw = swatch(pct / 100)  # the colour of the number shown (one class per percent)
    state = "mastered" if cell.mastered else ("stuck" if cell.stuck else "not yet mastered")
    return HeatCell(
        skill=sk,
        value=value,
        text=percent(value),
        background=sw.background,
        foreground=sw.foreground,
        label=f"{st.name}, {sk.name}: {percent(value)}% mastery, {state}",
        href=href,
        mastered=cell.mastered,
        stuck=cell.stuck,
        shade=pct,
    )


def unit_starts(skills: Sequence[HeatSkill]) -> frozenset[int]:
    """Column indices where a new unit begins (not the first): they get a thick rule."""
    return frozenset(i for i in range(1, len(skills)) if skills[i].unit != skills[i - 1].unit)


def render_cells(row: HeatRow, starts: frozenset[int]) -> Markup:
    """The <td>s of one row, built here rather than in Jinja: a class heatmap has over a
    thousand cells and this keeps the page well inside its time budget."""
    out: list[str] = []
    for i, c in enumerate(row.cells):
        classes = ["cell"]
        if c.no_evidence:
            classes.append("none")
        if c.mastered:
            classes.append("mastered")
        if c.stuck:
            classes.append("stuck")
        if i in starts:
            classes.append("unit-start")
        if c.shade is not None:
            classes.append(f"hm-{c.shade}")
        label = escape(c.label)
        text = escape(c.text)
        inner = (
            f'<a href="{escape(c.href)}" aria-label="{label}" title="{label}">{text}</a>'
            if c.href
            else f'<span title="{label}">{text}</span>'
        )
        out.append(f'<td class="{" ".join(classes)}">{inner}</td>')
    return Markup("".join(out))
