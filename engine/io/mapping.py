"""Turn a table (pandas DataFrame) into `Responses` through a typed column mapping.

Every table format (Cognitive Tutor, ASSISTments, pyBKT) is a preset
`ColumnMapping` plus a few row filters, so validation, multi-skill handling and
error messages live here once. Row numbers in messages are 1-based data rows
(the first row below a file's header is row 1).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from engine.responses import DataError, Responses

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported inside the functions that use it: the DKT reader needs this
# module's helpers, and `pathways fit` on a DKT file then starts without pandas.

MultiSkill = Literal["split", "first", "error"]
MissingSkill = Literal["error", "drop"]

MULTI_SKILL_CHOICES: tuple[str, ...] = get_args(MultiSkill)
MISSING_SKILL_CHOICES: tuple[str, ...] = get_args(MissingSkill)


class DataWarning(UserWarning):
    """Rows were dropped by a format's documented rule (e.g. untagged responses)."""


@dataclass(frozen=True)
class ColumnMapping:
    """Which column holds what. Only `correct`, `skill` and `student` are required.

    `order` (numeric) gives time order; without it file order is time order.
    `skill_separator` splits one skill cell into several skills (e.g. "~~" in
    DataShop KC columns); see `from_frame` for what happens to such rows.
    """

    correct: str
    skill: str
    student: str
    item: str | None = None
    student_class: str | None = None
    order: str | None = None
    skill_separator: str | None = None

    def __post_init__(self) -> None:
        for role in ("correct", "skill", "student"):
            value = getattr(self, role)
            if not isinstance(value, str) or not value:
                raise DataError(f"ColumnMapping.{role} must be a column name, got {value!r}")
        if self.skill_separator == "":
            raise DataError("ColumnMapping.skill_separator must be non-empty or None")

    def roles(self) -> dict[str, str]:
        """Role -> column name for every column the mapping uses."""
        out = {"correct": self.correct, "skill": self.skill, "student": self.student}
        for role in ("item", "student_class", "order"):
            column = getattr(self, role)
            if column is not None:
                out[role] = column
        return out


def check_choice(value: str, choices: Sequence[str], name: str) -> None:
    if value not in choices:
        raise DataError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


def _prefix(source: str | None) -> str:
    return f"{source}: " if source else ""


def missing_columns_error(
    missing: Sequence[str], present: Sequence[object], source: str | None
) -> DataError:
    return DataError(
        f"{_prefix(source)}missing column(s) {', '.join(map(repr, missing))}; "
        f"columns present: {', '.join(map(repr, map(str, present)))}"
    )


def _by_value(
    series: pd.Series, convert: Callable[[pd.Series], NDArray[Any]], fill: Any
) -> NDArray[Any]:
    """Apply a per-value conversion to the distinct values only, then spread it to the rows.

    Response columns hold few distinct values (ids, 0/1) in many rows, so this
    is what keeps loading a 400k-row export well under a second.
    """
    import pandas as pd

    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    converted = convert(pd.Series(np.asarray(uniques, dtype=object)))
    return np.append(converted, np.asarray([fill], dtype=converted.dtype))[codes]


def _id_text(uniques: pd.Series) -> NDArray[np.object_]:
    """Distinct ids -> stripped strings; integral floats print as ints ("297", not "297.0")."""
    import pandas as pd

    values = uniques.to_numpy(dtype=object)
    if all(isinstance(v, float | np.floating) for v in values):
        floats = values.astype(np.float64)
        if np.all(np.isfinite(floats)) and np.all(floats == np.round(floats)):
            values = floats.astype(np.int64).astype(object)
    values = np.asarray([str(int(v)) if isinstance(v, bool | np.bool_) else v for v in values])
    return pd.Series(values, dtype=object).astype(str).str.strip().to_numpy(dtype=object)


def _id_strings(series: pd.Series) -> tuple[NDArray[np.object_], NDArray[np.bool_]]:
    """Identifier column -> stripped strings ("" when missing) and a missing mask."""
    text = _by_value(series, _id_text, "")
    return text, text == ""


def _binary_of(uniques: pd.Series) -> NDArray[np.float64]:
    """Distinct values -> 0.0/1.0, NaN for anything else (accepts 0/1, 0.0/1.0, booleans, text)."""
    out = np.full(len(uniques), np.nan)
    for i, v in enumerate(uniques.tolist()):
        if isinstance(v, bool | np.bool_):
            out[i] = float(v)
            continue
        text = str(v).strip().lower()
        text = {"true": "1", "false": "0"}.get(text, text)
        try:
            number = float(text)
        except ValueError:
            continue
        if number in (0.0, 1.0):
            out[i] = number
    return out


def binary_values(series: pd.Series) -> NDArray[np.float64]:
    """0.0/1.0 per row, NaN where the cell is empty or not a 0/1 value."""
    return _by_value(series, _binary_of, np.nan)


def _plain(value: object) -> object:
    """numpy scalars -> Python values, so messages read 2, not np.int64(2)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _first_bad(
    bad: NDArray[np.bool_], rows: NDArray[np.int64], column: str, what: str, source: str | None
) -> DataError:
    i = int(np.flatnonzero(bad)[0])
    count = int(bad.sum())
    more = f" ({count} such rows)" if count > 1 else ""
    return DataError(f"{_prefix(source)}row {rows[i]}, column {column!r}: {what}{more}")


def parse_correct(
    series: pd.Series, rows: NDArray[np.int64], column: str, source: str | None = None
) -> NDArray[np.int8]:
    """0/1 (ints, 0.0/1.0 floats, booleans or their text) -> int8; anything else names the row."""
    import pandas as pd

    values = binary_values(series)
    bad = np.isnan(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = _plain(series.iloc[i])
        blank = raw is None or raw is pd.NA or (isinstance(raw, float) and np.isnan(raw))
        shown = "an empty value" if blank or str(raw).strip() == "" else repr(raw)
        raise _first_bad(bad, rows, column, f"correctness must be 0 or 1, got {shown}", source)
    return values.astype(np.int8)


def _parse_order(
    series: pd.Series, rows: NDArray[np.int64], column: str, source: str | None
) -> NDArray[np.float64]:
    import pandas as pd

    try:  # fast path; the slow one only runs to find the bad cell
        values = np.asarray(series.to_numpy(dtype=object, na_value=np.nan), dtype=np.float64)
    except (TypeError, ValueError):
        values = pd.to_numeric(series, errors="coerce").to_numpy(np.float64, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raw = _plain(series.iloc[int(np.flatnonzero(bad)[0])])
        raise _first_bad(bad, rows, column, f"order must be a number, got {raw!r}", source)
    return values


def from_frame(
    df: pd.DataFrame,
    mapping: ColumnMapping,
    *,
    multi_skill: MultiSkill = "split",
    missing_skill: MissingSkill = "error",
    rows: Sequence[int] | NDArray[np.integer] | None = None,
    source: str | None = None,
) -> Responses:
    """Validate and convert a table; all-or-nothing (any bad cell raises `DataError`).

    Multi-skill responses come in two shapes and `multi_skill` governs both:
    a skill cell naming several skills joined by `mapping.skill_separator`, and
    (only detectable when `mapping.order` is set) one response repeated on
    several rows with the same (student, order) but different skills, as the
    ASSISTments export does.

    - "split" (default): one response per skill. Each tagged skill's model sees
      the opportunity, which is how single-skill BKT is normally fitted to
      multi-skill data (pyBKT, KDD Cup baselines) and already how the ASSISTments
      and DKT files are laid out, so results stay comparable with published
      numbers. The cost: the response counts once per skill, which inflates
      counts and AUC (Xiong et al., EDM 2016).
    - "first": keep only the first listed skill (or first row) of each response.
    - "error": refuse such rows, naming the first one.

    `missing_skill="drop"` drops rows with an empty skill (untagged steps) with a
    `DataWarning`; the default refuses them. `rows` are the 1-based source row
    numbers used in messages and kept in `Responses.row` (default 1..n).
    """
    import pandas as pd

    check_choice(multi_skill, MULTI_SKILL_CHOICES, "multi_skill")
    check_choice(missing_skill, MISSING_SKILL_CHOICES, "missing_skill")
    roles = mapping.roles()
    missing = [col for col in dict.fromkeys(roles.values()) if col not in df.columns]
    if missing:
        raise missing_columns_error(missing, list(df.columns), source)
    n = len(df)
    if n == 0:
        raise DataError(f"{_prefix(source)}no responses: the input is empty")
    row_numbers = (
        np.arange(1, n + 1, dtype=np.int64) if rows is None else np.asarray(rows, np.int64)
    )
    if row_numbers.shape[0] != n:
        raise DataError(f"rows has {row_numbers.shape[0]} entries but the table has {n} rows")

    correct = parse_correct(df[mapping.correct], row_numbers, mapping.correct, source)
    columns: dict[str, NDArray[np.object_]] = {}
    for role in ("skill", "student", "item", "student_class"):
        column = roles.get(role)
        if column is None:
            continue
        values, empty = _id_strings(df[column])
        if empty.any() and not (role == "skill" and missing_skill == "drop"):
            hint = "; pass missing_skill='drop' to drop untagged rows" if role == "skill" else ""
            raise _first_bad(empty, row_numbers, column, f"empty {role} value{hint}", source)
        columns[role] = values

    keep = np.ones(n, dtype=bool)
    skill_empty = columns["skill"] == ""
    if skill_empty.any():
        keep &= ~skill_empty
        warnings.warn(
            f"{_prefix(source)}dropped {int(skill_empty.sum())} of {n} rows with an empty "
            f"skill in column {mapping.skill!r}",
            DataWarning,
            stacklevel=2,
        )
        if not keep.any():
            raise DataError(f"{_prefix(source)}no responses: every row has an empty skill")

    work = pd.DataFrame({"correct": correct, "row": row_numbers, **columns})
    if mapping.order is not None:
        work["order"] = _parse_order(df[mapping.order], row_numbers, mapping.order, source)
    work = work[keep]
    if mapping.order is not None:
        work = work.iloc[np.argsort(work["order"].to_numpy(), kind="stable")]
        if multi_skill != "split":
            work = _repeated_rows(work, mapping, multi_skill, source)
    if mapping.skill_separator is not None:
        work = _split_cells(work, mapping, multi_skill, source)

    return Responses.from_columns(
        correct=work["correct"].to_numpy(np.int8),
        skill=work["skill"].to_numpy(dtype=object),
        student=work["student"].to_numpy(dtype=object),
        item=work["item"].to_numpy(dtype=object) if "item" in work else None,
        student_class=(
            work["student_class"].to_numpy(dtype=object) if "student_class" in work else None
        ),
        row=work["row"].to_numpy(np.int64),
    )


def _repeated_rows(
    work: pd.DataFrame, mapping: ColumnMapping, multi_skill: MultiSkill, source: str | None
) -> pd.DataFrame:
    """One response on several rows (same student and order, other skill): keep first or refuse."""
    first = work.groupby(["student", "order"], sort=False)["skill"].transform("first")
    other = (work["skill"] != first).to_numpy()
    if not other.any():
        return work
    if multi_skill == "first":
        return work[~other]
    i = int(np.flatnonzero(other)[0])
    rec = work.iloc[i]
    raise DataError(
        f"{_prefix(source)}row {rec['row']}, column {mapping.skill!r}: response of student "
        f"{rec['student']!r} at {mapping.order} {rec['order']:g} is repeated with another "
        f"skill {rec['skill']!r} (first: {first.iloc[i]!r}); multi_skill='error' refuses "
        f"multi-skill responses ({int(other.sum())} such rows)"
    )


def _split_cells(
    work: pd.DataFrame, mapping: ColumnMapping, multi_skill: MultiSkill, source: str | None
) -> pd.DataFrame:
    sep = mapping.skill_separator
    assert sep is not None
    has_sep = work["skill"].str.contains(sep, regex=False).to_numpy(dtype=bool)
    if not has_sep.any():
        return work
    if multi_skill == "error":
        i = int(np.flatnonzero(has_sep)[0])
        rec = work.iloc[i]
        raise DataError(
            f"{_prefix(source)}row {rec['row']}, column {mapping.skill!r}: {rec['skill']!r} "
            f"names several skills (separator {sep!r}); multi_skill='error' refuses "
            f"multi-skill responses ({int(has_sep.sum())} such rows)"
        )
    parts = work["skill"].str.split(sep, regex=False)
    if multi_skill == "first":
        work = work.assign(skill=parts.str[0])
    else:
        work = work.assign(skill=parts).explode("skill", ignore_index=True)
    work = work.assign(skill=work["skill"].astype(str).str.strip())
    empty = (work["skill"] == "").to_numpy()
    if empty.any():
        row = work["row"].iloc[int(np.flatnonzero(empty)[0])]
        raise DataError(
            f"{_prefix(source)}row {row}, column {mapping.skill!r}: empty skill name "
            f"between separators {sep!r}"
        )
    if multi_skill == "split":
        work = work.drop_duplicates(["row", "skill"])
    return work
