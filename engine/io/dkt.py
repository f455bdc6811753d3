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
    correct_fields: list[str] = []
    counts: list[int] = []
    for s in range(len(lines) // 3):
        at = 3 * s  # 0-based index of the count line
        head = lines[at].strip().rstrip(",").strip()
        if not head.isdigit():
            raise DataError(
                f"{source}: line {at + 1}: expected the number of responses, got {lines[at]!r}"
            )
        count = int(head)
        sk = _fields(lines[at + 1])
        co = _fields(lines[at + 2])
        for offset, found, what in ((1, sk, "skill ids"), (2, co, "correctness values")):
            if len(found) != count:
                raise DataError(
                    f"{source}: line {at + 1 + offset}: line {at + 1} says {count} responses "
                    f"but this line has {len(found)} {what}"
                )
        skills.extend(sk)
        correct_fields.extend(co)
        counts.append(count)
    if not correct_fields:
        raise DataError(f"{source}: no responses: every sequence is empty")

    count_arr = np.asarray(counts, dtype=np.int64)
    seq = np.repeat(np.arange(count_arr.shape[0]), count_arr)
    line_of_correct = 3 * seq + 3  # 1-based line holding each correctness value
    values = np.asarray(correct_fields, dtype=str)
    ones = values == "1"
    bad = ~(ones | (values == "0"))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        position = i - int(count_arr[: seq[i]].sum()) + 1
        more = f" ({int(bad.sum())} such values)" if bad.sum() > 1 else ""
        raise DataError(
            f"{source}: line {line_of_correct[i]}, value {position}: correctness must be "
            f"0 or 1, got {str(values[i])!r}{more}"
        )
    skill_arr = np.asarray(skills)
    empty = skill_arr == ""
    if empty.any():
        raise DataError(
            f"{source}: line {line_of_correct[int(np.flatnonzero(empty)[0])] - 1}: empty skill id"
        )
    names = np.asarray([f"{prefix}:{i}" for i in range(count_arr.shape[0])])
    return Responses.from_columns(
        correct=ones.astype(np.int8),
        skill=skill_arr,
        student=names[seq],
        row=line_of_correct,
    )


def read_dkt(path: Path, student_prefix: str | None = None) -> Responses:
    """`Responses.row` holds the line number of each response's correctness line."""
    open_checked(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a DKT text file (not UTF-8 text)") from None
    return parse_dkt(text, path.stem if student_prefix is None else student_prefix, str(path))
