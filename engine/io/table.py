"""Reading delimited text tables (CSV or tab-separated) for the table formats.

Only the mapped columns are read; identifier columns as text, so ids keep
their exact spelling ("007" stays "007"). Only empty cells count as missing:
a student called "NA" is a student.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from engine.io.mapping import (
    ColumnMapping,
    DataWarning,
    MissingSkill,
    MultiSkill,
    binary_values,
    from_frame,
    missing_columns_error,
)
from engine.responses import DataError, Responses

if TYPE_CHECKING:
    import pandas as pd

# pandas is imported inside the functions that use it: the DKT reader needs this
# module's helpers, and `pathways fit` on a DKT file then starts without pandas.


def open_checked(path: Path) -> bytes:
    """First bytes of the file (at most 64 KiB); a clear error if it cannot be read."""
    if not path.exists():
        raise DataError(f"{path}: no such file")
    if path.is_dir():
        raise DataError(f"{path}: is a directory, not a data file")
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise DataError(f"{path}: the file is empty")
    return head


def first_line(head: bytes) -> str:
    line = head.lstrip(b"\xef\xbb\xbf").splitlines()[0] if head.strip() else b""
    return line.decode("utf-8", errors="replace")


def delimiter_of(header_line: str) -> str:
    return "\t" if header_line.count("\t") > header_line.count(",") else ","


def read_header(path: Path) -> tuple[list[str], str]:
    """Column names and delimiter of a table file."""
    import pandas as pd

    line = first_line(open_checked(path))
    sep = delimiter_of(line)
    try:
        cols = pd.read_csv(path, sep=sep, nrows=0, encoding="utf-8-sig").columns
    except UnicodeDecodeError:
        cols = pd.read_csv(path, sep=sep, nrows=0, encoding="latin-1").columns
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: cannot parse the header line: {exc}") from None
    return [str(c) for c in cols], sep


def read_columns(
    path: Path, columns: Sequence[str], sep: str, text: Sequence[str] = ()
) -> pd.DataFrame:
    """The named columns, those in `text` as text (ids keep their spelling); others are
    left to the C parser's number inference, which is fast and falls back to text."""
    import pandas as pd

    kwargs = {
        "sep": sep,
        "usecols": list(dict.fromkeys(columns)),
        "dtype": dict.fromkeys(text, str),
        "keep_default_na": False,
        "na_values": [""],
        "low_memory": False,
    }
    try:
        try:
            df = pd.read_csv(path, encoding="utf-8-sig", **kwargs)  # type: ignore[call-overload]
        except UnicodeDecodeError:
            # DataShop and ASSISTments exports are often Latin-1 (pyBKT reads them so too).
            df = pd.read_csv(path, encoding="latin-1", **kwargs)  # type: ignore[call-overload]
    except pd.errors.ParserError as exc:
        raise DataError(f"{path}: not a well-formed delimited file: {exc}") from None
    return df.reset_index(drop=True)


def _originals(df: pd.DataFrame, path: Path) -> NDArray[np.bool_]:
    """Mask of main-problem rows (`original == 1`); scaffolding sub-steps are 0."""
    values = binary_values(df["original"])
    bad = np.isnan(values)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raw = df["original"].iloc[i]
        raise DataError(f"{path}: row {i + 1}, column 'original': must be 0 or 1, got {raw!r}")
    return values == 1.0


def load_table(
    path: Path,
    preset: Callable[[Sequence[str], str], ColumnMapping],
    mapping: ColumnMapping | None,
    *,
    multi_skill: MultiSkill,
    missing_skill: MissingSkill,
    originals_only: bool,
) -> Responses:
    """Read a table file through `mapping` (or the format's preset for this header).

    `originals_only` keeps rows with `original == 1` when that column exists,
    as pyBKT does for ASSISTments data (scaffolding sub-questions are not
    independent attempts at the skill).
    """
    columns, sep = read_header(path)
    resolved = mapping if mapping is not None else preset(columns, str(path))
    needed = list(dict.fromkeys(resolved.roles().values()))
    missing = [c for c in needed if c not in columns]
    if missing:
        raise missing_columns_error(missing, columns, str(path))
    use_original = originals_only and "original" in columns
    ids = [resolved.roles()[r] for r in ("skill", "student", "item", "student_class")
           if r in resolved.roles()]  # fmt: skip
    df = read_columns(path, [*needed, "original"] if use_original else needed, sep, ids)
    rows = np.arange(1, len(df) + 1, dtype=np.int64)
    if use_original and len(df):
        keep = _originals(df, path)
        if not keep.all():
            warnings.warn(
                f"{path}: dropped {int((~keep).sum())} of {len(df)} scaffolding rows "
                "(original == 0), as pyBKT does",
                DataWarning,
                stacklevel=3,
            )
            df, rows = df[keep], rows[keep]
            if not len(df):
                raise DataError(f"{path}: no responses: every row is scaffolding (original == 0)")
    return from_frame(
        df,
        resolved,
        multi_skill=multi_skill,
        missing_skill=missing_skill,
        rows=rows,
        source=str(path),
    )
