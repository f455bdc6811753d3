"""Heatmap view model: grouping by unit, gap sorting, subgroup filter, no-evidence cells."""

from __future__ import annotations

import pytest

from api.pages.heatmap import (
    CellIn,
    HeatSkill,
    HeatStudent,
    build_heatmap,
    order_skills_by_unit,
    percent,
    student_gap,
)

SKILLS = [
    HeatSkill("add", "Addition", "Unit 1"),
    HeatSkill("frac", "Fractions", "Unit 2", threshold=0.9),
    HeatSkill("sub", "Subtraction", "Unit 1"),
]
STUDENTS = [
    HeatStudent(1, "Zoe", ("group=A",)),
    HeatStudent(2, "Adam", ("group=B",)),
    HeatStudent(3, "Mia", ("group=A", "ell=yes")),
]
CELLS = {
    (1, "add"): CellIn(0.97, mastered=True),
    (1, "sub"): CellIn(0.90),
    (2, "add"): CellIn(0.30),
    (2, "frac"): CellIn(0.10, stuck=True),
}


def test_skills_are_grouped_by_unit_in_curriculum_order() -> None:
    assert [s.id for s in order_skills_by_unit(SKILLS)] == ["add", "sub", "frac"]
    view = build_heatmap(STUDENTS, SKILLS, CELLS)
    assert [(u.name, u.span) for u in view.units] == [("Unit 1", 2), ("Unit 2", 1)]


def test_default_sort_is_by_name_and_missing_cells_are_no_evidence() -> None:
    view = build_heatmap(STUDENTS, SKILLS, CELLS)
    assert [r.student.name for r in view.rows] == ["Adam", "Mia", "Zoe"]
    mia = view.rows[1]
    assert all(c.no_evidence and c.text == "–" for c in mia.cells)
    assert "no evidence yet" in mia.cells[0].label
    assert mia.gap is None


def test_sort_by_gap_uses_each_skills_threshold_and_puts_no_evidence_last() -> None:
    view = build_heatmap(STUDENTS, SKILLS, CELLS, sort="gap")
    assert [r.student.name for r in view.rows] == ["Adam", "Zoe", "Mia"]
    adam = view.rows[0]
    assert adam.gap == pytest.approx(((0.95 - 0.30) + (0.90 - 0.10)) / 2)


def test_subgroup_filter_keeps_members_and_lists_all_groups() -> None:
    view = build_heatmap(STUDENTS, SKILLS, CELLS, subgroup="group=A")
    assert {r.student.name for r in view.rows} == {"Zoe", "Mia"}
    assert view.subgroups == ("ell=yes", "group=A", "group=B")


def test_cells_carry_number_mastery_and_stuck_flags() -> None:
    view = build_heatmap(STUDENTS, SKILLS, CELLS, cell_href=lambda st, sk: f"/s/{st.id}/{sk.id}")
    zoe = next(r for r in view.rows if r.student.name == "Zoe")
    add = zoe.cells[0]
    assert add.text == "97" and add.mastered and add.href == "/s/1/add"
    assert zoe.mastered_count == 1 and not zoe.stuck
    adam = next(r for r in view.rows if r.student.name == "Adam")
    assert adam.stuck and view.stuck_count == 1
    assert [s.id for s in adam.stuck_skills] == ["frac"]
    frac = adam.cells[2]
    assert frac.stuck and "stuck" in frac.label and frac.text == "10"


def test_percent_never_shows_100_below_mastery_rounding() -> None:
    assert percent(0.994) == "99"
    assert percent(0.995) == "100"
    assert percent(0.0) == "0"
    assert percent(0.125) == "13"


def test_student_gap_ignores_mastered_skills() -> None:
    assert student_gap([(0.99, 0.95), (None, 0.95), (0.95, 0.95)]) == 0.0
    assert student_gap([(None, 0.95)]) is None


def test_bad_arguments_are_named() -> None:
    with pytest.raises(ValueError, match="threshold"):
        build_heatmap(STUDENTS, [HeatSkill("x", "X", "U", threshold=1.5)], CELLS)
    with pytest.raises(ValueError, match="sort"):
        build_heatmap(STUDENTS, SKILLS, CELLS, sort="colour")  # type: ignore[arg-type]
