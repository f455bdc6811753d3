"""The engine's one data container: responses in long form, grouped into sequences.

Every loader (files, DataFrames, the service's response log) produces a
`Responses`; fitting, tracing and evaluation consume it. Rows are ordered by
(skill, student) with each student's original time order kept, so a sequence
is a contiguous slice and the math needs no Python-level grouping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from engine.grouping import skill_student_order


class DataError(ValueError):
    """Input data is malformed; the message says what and where (row, column)."""


def _codes(
    values: Sequence[object] | NDArray[np.generic],
) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    """Factorize to int codes, names sorted so codes are reproducible."""
    arr = np.asarray(values)
    if arr.dtype.kind in "OUiub":
        import pandas as pd  # here only: readers that build codes themselves skip pandas

        # Hash-factorize first, then sort only the distinct names (5x faster than
        # np.unique over all values as strings). Missing values (code -1) take the slow
        # path so that None still becomes "None"; letting pandas mark them is 2-3x
        # faster than use_na_sentinel=False, which checks every value for NA.
        raw, uniq = pd.factorize(arr.ravel())
        if not (raw < 0).any():
            names, remap = np.unique(np.asarray(uniq).astype(str), return_inverse=True)
            return remap.ravel().astype(np.int32)[raw], tuple(str(n) for n in names)
    names, codes = np.unique(arr.astype(str), return_inverse=True)
    return codes.astype(np.int32), tuple(str(n) for n in names)


@dataclass(frozen=True, eq=False)
class Responses:
    """Binary responses with skill, student, item and student-class codes.

    `row` is the 1-based source row (or line) of each response, kept so that
    later errors can still name where a value came from. `position` is each
    response's 0-based place in the input, i.e. its time order across skills within
    a student (a DKT line gives all its responses one `row`); None when the maker
    had no such order (simulated skills are independent).
    """

    correct: NDArray[np.int8]
    skill: NDArray[np.int32]
    student: NDArray[np.int32]
    item: NDArray[np.int32]
    student_class: NDArray[np.int32]
    row: NDArray[np.int64]
    skills: tuple[str, ...]
    students: tuple[str, ...]
    items: tuple[str, ...]
    classes: tuple[str, ...]
    position: NDArray[np.int64] | None = None

    @classmethod
    def from_columns(
        cls,
        correct: Sequence[int] | NDArray[np.integer],
        skill: Sequence[object] | NDArray[np.generic],
        student: Sequence[object] | NDArray[np.generic],
        item: Sequence[object] | NDArray[np.generic] | None = None,
        student_class: Sequence[object] | NDArray[np.generic] | None = None,
        row: Sequence[int] | NDArray[np.integer] | None = None,
    ) -> Responses:
        """Build from parallel columns given in time order within each student."""
        c = np.asarray(correct)
        n = c.shape[0]
        if n == 0:
            raise DataError("no responses: the input is empty")
        rows = np.arange(1, n + 1, dtype=np.int64) if row is None else np.asarray(row, np.int64)
        bad = ~np.isin(c, (0, 1))
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise DataError(
                f"row {rows[i]}: correctness must be 0 or 1, got {c[i]!r} "
                f"({int(bad.sum())} such row(s))"
            )
        lengths = {"skill": len(skill), "student": len(student)}
        if item is not None:
            lengths["item"] = len(item)
        if student_class is not None:
            lengths["student_class"] = len(student_class)
        for name, length in lengths.items():
            if length != n:
                raise DataError(f"column {name!r} has {length} values but correct has {n}")
        skill_codes, skills = _codes(skill)
        student_codes, students = _codes(student)
        return cls.from_codes(
            c, skill_codes, skills, student_codes, students, rows,
            item=None if item is None else _codes(item),
            student_class=None if student_class is None else _codes(student_class),
        )  # fmt: skip

    @classmethod
    def from_codes(
        cls,
        correct: NDArray[np.integer],
        skill: NDArray[np.int32],
        skills: tuple[str, ...],
        student: NDArray[np.int32],
        students: tuple[str, ...],
        row: NDArray[np.int64],
        item: tuple[NDArray[np.int32], tuple[str, ...]] | None = None,
        student_class: tuple[NDArray[np.int32], tuple[str, ...]] | None = None,
    ) -> Responses:
        """Build from checked 0/1 values and codes already factorized as `from_columns` does
        (names sorted, codes their indices), in time order within each student; a reader
        that codes its ids itself (DKT) needs neither `_codes` nor pandas."""
        n = correct.shape[0]
        item_codes, items = (np.zeros(n, np.int32), ("",)) if item is None else item
        class_codes, classes = (
            (np.zeros(n, np.int32), ("",)) if student_class is None else student_class
        )
        order = skill_student_order(skill, student)
        return cls(
            correct=correct.astype(np.int8)[order],
            skill=skill[order],
            student=student[order],
            item=item_codes[order],
            student_class=class_codes[order],
            row=row[order],
            skills=skills,
            students=students,
            items=items,
            classes=classes,
            position=order.astype(np.int64),
        )

    def __len__(self) -> int:
        return int(self.correct.shape[0])

    def sequence_starts(self) -> NDArray[np.int64]:
        """Start offsets of each (skill, student) sequence, plus a final end offset."""
        n = len(self)
        change = np.empty(n, dtype=bool)
        change[0] = True
        change[1:] = (self.skill[1:] != self.skill[:-1]) | (self.student[1:] != self.student[:-1])
        return np.append(np.flatnonzero(change), n).astype(np.int64)

    def skill_bounds(self) -> NDArray[np.int64]:
        """Row offsets where each skill code's block starts, plus the end (len = skills+1)."""
        return np.searchsorted(self.skill, np.arange(len(self.skills) + 1)).astype(np.int64)

    def take(self, mask: NDArray[np.bool_]) -> Responses:
        """Rows where mask is true; code tables are kept so codes stay comparable."""
        return Responses(
            correct=self.correct[mask],
            skill=self.skill[mask],
            student=self.student[mask],
            item=self.item[mask],
            student_class=self.student_class[mask],
            row=self.row[mask],
            skills=self.skills,
            students=self.students,
            items=self.items,
            classes=self.classes,
            position=None if self.position is None else self.position[mask],
        )

    def for_students(self, names: Sequence[str]) -> Responses:
        wanted = np.isin(np.asarray(self.students), np.asarray(list(names), dtype=str))
        return self.take(wanted[self.student])

    def for_skills(self, names: Sequence[str]) -> Responses:
        wanted = np.isin(np.asarray(self.skills), np.asarray(list(names), dtype=str))
        return self.take(wanted[self.skill])
