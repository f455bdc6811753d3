"""The three-line format of Piech et al.'s Deep Knowledge Tracing data.

Per sequence: a line with the number of responses, a line of skill ids and a
line of 0/1 correctness, both comma-separated (a trailing comma is allowed).
There is no student id and no time stamp: each sequence is its own student,
named "<prefix>:<index>" (0-based index in the file; prefix defaults to the
file's stem, so "builder_train:17" never collides with "builder_test:17").
Multi-skill responses already appear once per skill and cannot be told apart
from repeated practice, so `multi_skill` does not apply to this format.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from engine.io.table import open_checked
from engine.responses import DataError, Responses

_COUNT = re.compile(r"^\s*\d+\s*,?\s*$")


def looks_like(head: bytes) -> bool:
    """First non-blank line is a bare count."""
    for line in head.lstrip(b"\xef\xbb\xbf").decode("utf-8", errors="replace").splitlines():
        if line.strip():
            return bool(_COUNT.match(line))
    return False


def _fields(line: str) -> list[str]:
    text = line.strip()
    if text.endswith(","):
        text = text[:-1]
    if not text:
        return []
    parts = text.split(",")
    return [p.strip() for p in parts] if " " in text or "\t" in text else parts


def _binary_run(line: str, count: int) -> str | None:
    """The values of a correctness line written plainly ("1,0,1" with an optional trailing
    comma) as one string "101", without splitting it; None for any other line."""
    text = line.strip()
    if text.endswith(","):
        text = text[:-1]
    if count == 0:
        return "" if not text else None
    run = text[::2]
    if len(text) == 2 * count - 1 and text[1::2] == "," * (count - 1) and not run.strip("01"):
        return run
    return None


def parse_dkt(text: str, prefix: str, source: str = "<text>") -> Responses:
    """Parse DKT text; every error names the 1-based line."""
    lines = text.lstrip("\ufeff").splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise DataError(f"{source}: the file is empty")
    if len(lines) % 3:
        start = len(lines) - len(lines) % 3 + 1
        raise DataError(
            f"{source}: line {start}: incomplete sequence at the end of the file "
            f"(expected 3 lines per sequence, the file has {len(lines)} lines)"
        )
    skills: list[str] = []
    runs: list[str] = []  # each sequence's correctness as a string of 0/1 characters
    counts: list[int] = []
    clean = True  # every correctness value is 0 or 1
    for s in range(len(lines) // 3):
        at = 3 * s  # 0-based index of the count line
        head = lines[at].strip().rstrip(",").strip()
        if not head.isdigit():
            raise DataError(
                f"{source}: line {at + 1}: expected the number of responses, got {lines[at]!r}"
            )
        count = int(head)
        sk = _fields(lines[at + 1])
        run = _binary_run(lines[at + 2], count)
        co = _fields(lines[at + 2]) if run is None else run
        for offset, found, what in ((1, sk, "skill ids"), (2, co, "correctness values")):
            if len(found) != count:
                raise DataError(
                    f"{source}: line {at + 1 + offset}: line {at + 1} says {count} responses "
                    f"but this line has {len(found)} {what}"
                )
        if run is None:
            clean = clean and set(co) <= {"0", "1"}
            run = "".join(co)
        skills.extend(sk)
        runs.append(run)
        counts.append(count)
    if not skills:
        raise DataError(f"{source}: no responses: every sequence is empty")

    skill_codes, skill_names = _sorted_codes(skills)
    if not clean or skill_names[0] == "":
        correct_fields = [f for s in range(len(counts)) for f in _fields(lines[3 * s + 2])]
        _raise_bad_value(source, skills, correct_fields, counts)
    count_arr = np.asarray(counts, dtype=np.int64)
    seq = np.repeat(np.arange(count_arr.shape[0]), count_arr)
    ones = np.frombuffer("".join(runs).encode("ascii"), dtype=np.uint8) == ord("1")
    seen = np.flatnonzero(count_arr)  # an empty sequence is no student
    student_codes = np.zeros(count_arr.shape[0], dtype=np.int32)
    student_codes[seen], students = _sorted_codes([f"{prefix}:{q}" for q in seen.tolist()])
    return Responses.from_codes(
        correct=ones,
        skill=skill_codes,
        skills=skill_names,
        student=student_codes[seq],
        students=students,
        row=3 * seq + 3,  # 1-based line holding each correctness value
    )


def _sorted_codes(values: list[str]) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    """Codes into the sorted distinct names, as `Responses.from_columns` makes them
    (Python and numpy both sort strings by code point), without pandas."""
    names = sorted(dict.fromkeys(values))
    code_of = {name: i for i, name in enumerate(names)}
    codes = np.fromiter(map(code_of.__getitem__, values), dtype=np.int32, count=len(values))
    return codes, tuple(names)


def _raise_bad_value(
    source: str, skills: list[str], correct_fields: list[str], counts: list[int]
) -> None:
    """The error for the first correctness value other than 0/1, else the first empty skill id."""
    ends = np.cumsum(np.asarray(counts, dtype=np.int64))

    def located(i: int) -> tuple[int, int]:  # (1-based correctness line, 1-based position)
        q = int(np.searchsorted(ends, i, side="right"))
        return 3 * q + 3, i - (int(ends[q - 1]) if q else 0) + 1

    bad = [i for i, v in enumerate(correct_fields) if v not in ("0", "1")]
    if bad:
        line, position = located(bad[0])
        more = f" ({len(bad)} such values)" if len(bad) > 1 else ""
        raise DataError(
            f"{source}: line {line}, value {position}: correctness must be "
            f"0 or 1, got {correct_fields[bad[0]]!r}{more}"
        )
    line, _ = located(skills.index(""))
    raise DataError(f"{source}: line {line - 1}: empty skill id")


def read_dkt(path: Path, student_prefix: str | None = None) -> Responses:
    """`Responses.row` holds the line number of each response's correctness line."""
    open_checked(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a DKT text file (not UTF-8 text)") from None
    return parse_dkt(text, path.stem if student_prefix is None else student_prefix, str(path))
