"""Item banks as CSV: one item per row, for teachers who author in spreadsheets.

Columns (header row required, any order; the first five are required):
  item_id, skill_ids, type, prompt, answer,
  tolerance, choices, hints, solution, difficulty, options, guess, slip
`skill_ids` are separated by ';'; `choices`, `hints` and short-text accepted
answers (in `answer`) by '|'. Rows are numbered as a spreadsheet shows them
(the header is row 1). Import is all-or-nothing: any problem rejects the file
with every problem named by row, column and item id.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from content.checks import (
    Located,
    duplicate_problems,
    key_problem,
    starting_problem,
    starting_values,
)
from content.curriculum import Curriculum
from content.models import Item
from content.problems import CurriculumError, Location, Problem
from content.pydantic_errors import problems_from_validation

COLUMNS = (
    "item_id",
    "skill_ids",
    "type",
    "prompt",
    "answer",
    "tolerance",
    "choices",
    "hints",
    "solution",
    "difficulty",
    "options",
    "guess",
    "slip",
)
REQUIRED = COLUMNS[:5]
FLAGS = ("simplest_form", "mixed_number", "improper_fraction", "percent", "decimal_only")

_FIELD_COLUMN = {
    "id": "item_id",
    "skills": "skill_ids",
    "type": "type",
    "prompt": "prompt",
    "hints": "hints",
    "solution": "solution",
    "difficulty": "difficulty",
    "answer.tolerance": "tolerance",
    "answer.choices": "choices",
    "answer.simplest_form": "options",
    "answer.mixed_number": "options",
    "answer.improper_fraction": "options",
    "answer.percent": "options",
    "answer.allow_fraction": "options",
    "answer.unit": "options",
    "bkt.guess": "guess",
    "bkt.slip": "slip",
}


def _column_of(path: str) -> str:
    """The CSV column holding the item field at `path` (answer key fields included)."""
    head = path.split("[")[0]
    for field, column in _FIELD_COLUMN.items():
        if head == field or head.startswith(field + "."):
            return column
    return "answer" if head.startswith("answer") else head or "item_id"


def _where(file: str | None, row: int, column: str, item_id: str | None) -> Location:
    return Location(file, f"row {row}, column {column}", item_id or None)


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


class _RowError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        self.column = column
        super().__init__(message)


def _options(text: str) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for option in _split(text, ";"):
        name, _, value = option.partition("=")
        name = name.strip().lower()
        if name == "unit" and value.strip():
            found["unit"] = value.strip()
        elif name in FLAGS and not value:
            found[name] = True
        else:
            allowed = ", ".join((*FLAGS, "unit=WORD"))
            raise _RowError("options", f"unknown option {option!r} (use {allowed})")
    return found


def _answer(kind: str, row: dict[str, str]) -> dict[str, Any]:
    answer, options = row.get("answer", "").strip(), _options(row.get("options", ""))
    tolerance, choices = row.get("tolerance", "").strip(), row.get("choices", "").strip()
    if tolerance and kind != "numeric":
        raise _RowError("tolerance", "tolerance only applies to numeric items")
    if choices and kind != "multiple_choice":
        raise _RowError("choices", "choices only apply to multiple_choice items")
    allowed = {
        "numeric": {"percent", "decimal_only", "unit"},
        "fraction": {"simplest_form", "mixed_number", "improper_fraction"},
    }.get(kind, set())
    if extra := sorted(set(options) - allowed):
        raise _RowError("options", f"option {extra[0]!r} does not apply to {kind} items")
    if not answer:
        return {}
    if kind == "numeric":
        key: dict[str, Any] = {"value": answer.removesuffix("%").strip()}
        key["percent"] = answer.endswith("%") or options.get("percent", False)
        key["allow_fraction"] = not options.get("decimal_only", False)
        if tolerance:
            key["tolerance"] = tolerance
        if "unit" in options:
            key["unit"] = options["unit"]
        return key
    if kind == "fraction":
        return {"value": answer, **options}
    if kind == "multiple_choice":
        texts = _split(choices, "|")
        correct = answer
        index = ord(answer.upper()) - ord("A") if len(answer) == 1 else -1
        if answer.casefold() not in {c.casefold() for c in texts} and 0 <= index < len(texts):
            correct = texts[index]  # a label such as "B"
        return {"choices": texts, "correct": correct}
    return {"accepted": _split(answer, "|")}


def _item_data(row: dict[str, str]) -> dict[str, Any]:
    kind = row.get("type", "").strip().lower()
    data: dict[str, Any] = {
        "id": row.get("item_id", "").strip(),
        "skills": _split(row.get("skill_ids", ""), ";"),
        "type": kind,
        "prompt": row.get("prompt", ""),
        "hints": _split(row.get("hints", ""), "|"),
    }
    if solution := row.get("solution", "").strip():
        data["solution"] = solution
    if difficulty := row.get("difficulty", "").strip().lower():
        data["difficulty"] = difficulty
    if key := _answer(kind, row):
        data["answer"] = key
    bkt = {name: row[name].strip() for name in ("guess", "slip") if row.get(name, "").strip()}
    if bkt:
        data["bkt"] = bkt
    return data


def _read_text(path_or_text: str | os.PathLike[str]) -> tuple[str | None, str]:
    """(file name or None, text). A str is always CSV text and only a Path (os.PathLike)
    is read from disk, so an uploaded one-line file can never name a server file."""
    if isinstance(path_or_text, str):
        return None, path_or_text
    path = Path(path_or_text)
    try:
        return str(path), path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        raise CurriculumError([Problem(Location(str(path)), f"cannot read file: {reason}")]) from e


def _header_problems(file: str | None, header: Sequence[str]) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[str] = set()
    for name in header:
        if name not in COLUMNS:
            message = f"unknown column {name!r} (columns: {', '.join(COLUMNS)})"
            problems.append(Problem(_where(file, 1, name, None), message))
        elif name in seen:
            problems.append(Problem(_where(file, 1, name, None), "column appears twice"))
        seen.add(name)
    for name in REQUIRED:
        if name not in seen:
            problems.append(Problem(_where(file, 1, name, None), "missing required column"))
    return problems


def _readable_rows(
    reader: Iterator[list[str]], file: str | None, problems: list[Problem]
) -> Iterator[list[str]]:
    """The reader's rows until one cannot be read (e.g. a cell over the csv module's
    128 KiB limit), which becomes a problem located at its row instead of an exception."""
    number = 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            why = str(exc)
            if "field larger than field limit" in why:
                limit = csv.field_size_limit()
                why = f"a cell is longer than {limit // 1024} KiB ({limit} characters), the limit"
            problems.append(
                Problem(Location(file, f"row {number}"), f"cannot read this row: {why}")
            )
            return
        yield cells
        number += 1


def parse_item_csv(
    path_or_text: str | os.PathLike[str], curriculum: Curriculum
) -> tuple[list[Located[Item]], list[Problem]]:
    """Every row's item and every problem, checked against `curriculum`; never raises
    for content (an unreadable file raises CurriculumError)."""
    file, text = _read_text(path_or_text)
    text = text.removeprefix("\ufeff")
    unreadable: list[Problem] = []  # a row the csv module refuses ends the file here
    reader = _readable_rows(csv.reader(io.StringIO(text, newline="")), file, unreadable)
    header = [h.strip().lower() for h in next(reader, [])]
    if unreadable:
        return [], unreadable
    if not header:
        return [], [Problem(Location(file, "row 1"), "the file is empty (no header row)")]
    problems = _header_problems(file, header)
    if problems:
        return [], problems
    items: list[Located[Item]] = []
    ids = [Location(None, f"items[{i}]", it.id) for i, it in enumerate(curriculum.items)]
    refs: list[tuple[Location, str]] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            message = f"has {len(cells)} cells but the header has {len(header)} columns"
            problems.append(Problem(Location(file, f"row {number}"), message))
            continue
        row = dict(zip(header, cells, strict=True))
        item_id = row["item_id"].strip()
        ids.append(_where(file, number, "item_id", item_id))
        refs += [
            (_where(file, number, "skill_ids", item_id), sid)
            for sid in _split(row["skill_ids"], ";")
        ]
        try:
            data = _item_data(row)
            items.append(
                Located(_where(file, number, "answer", item_id), Item.model_validate(data))
            )
        except _RowError as e:
            problems.append(Problem(_where(file, number, e.column, item_id), str(e)))
        except ValidationError as e:
            for p in problems_from_validation(e, Location(file, "", item_id)):
                column = _column_of(p.location.path)
                problems.append(Problem(_where(file, number, column, item_id), p.message))
    problems += unreadable
    problems += duplicate_problems(ids, "item")
    known = starting_values(curriculum.skills)
    problems += [Problem(loc, f"unknown skill {sid!r}") for loc, sid in refs if sid not in known]
    for it in items:
        if (why := key_problem(it.value)) is not None:
            problems.append(Problem(it.location, why))
        if (found := starting_problem(it.value, known)) is not None:
            head = it.location.path.split(",")[0]
            column = _column_of(found[0] or "bkt.guess")
            where = Location(it.location.file, f"{head}, column {column}", it.location.id)
            problems.append(Problem(where, found[1]))
    return items, sorted(problems, key=_row_number)


def _row_number(problem: Problem) -> int:
    head = problem.location.path.split(",")[0].removeprefix("row ")
    return int(head) if head.isdigit() else 0


def load_item_csv(path_or_text: str | os.PathLike[str], curriculum: Curriculum) -> list[Item]:
    """The bank's items, checked against `curriculum`; CurriculumError lists every problem."""
    items, problems = parse_item_csv(path_or_text, curriculum)
    if problems:
        raise CurriculumError(problems)
    return [it.value for it in items]
