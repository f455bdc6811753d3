"""The DKT reader codes ids itself (no pandas): the result must equal `from_columns`'s."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from engine.io import parse_dkt
from engine.responses import DataError, Responses

# skill ids that sort differently as numbers and as text, a non-ASCII one, an empty
# sequence, values with spaces (the reader's slow path), and more than ten sequences
# so that "p:10" sorts before "p:2"
TEXT = "".join(
    f"{n}\n{','.join(sk)},\n{sep.join(co)}\n"
    for n, sk, co, sep in [
        (3, ["10", "2", "10"], ["1", "0", "1"], ","),
        (1, ["é"], ["0"], ","),
        (0, [], [], ","),
        (2, ["é", "10"], [" 1", "0 "], ", "),
        *[(2, ["2", str(i % 3)], ["1", str(i % 2)], ",") for i in range(12)],
    ]
)


def by_columns(text: str, prefix: str) -> Responses:
    """The columns the reader sees, built the general way."""
    lines = text.splitlines()
    skill: list[str] = []
    student: list[str] = []
    correct: list[int] = []
    row: list[int] = []
    for q in range(len(lines) // 3):
        sk = [f for f in lines[3 * q + 1].split(",") if f]
        co = [int(f) for f in lines[3 * q + 2].split(",") if f]
        skill += sk
        correct += co
        student += [f"{prefix}:{q}"] * len(sk)
        row += [3 * q + 3] * len(sk)
    return Responses.from_columns(correct=correct, skill=skill, student=student, row=row)


def test_dkt_codes_equal_from_columns() -> None:
    got = parse_dkt(TEXT, "p")
    want = by_columns(TEXT, "p")
    for name in ("skills", "students", "items", "classes"):
        assert getattr(got, name) == getattr(want, name), name
    for name in ("correct", "skill", "student", "item", "student_class", "row"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype and np.array_equal(a, b), name


def test_dkt_bad_values_name_line_position_and_count() -> None:
    text = "2\n1,1\n0,1\n3\n1,2,2\n1,x,2\n"
    with pytest.raises(DataError, match=r"line 6, value 2: .* got 'x' \(2 such values\)"):
        parse_dkt(text, "p")


def test_dkt_empty_skill_id_names_its_line() -> None:
    with pytest.raises(DataError, match=r"line 5: empty skill id"):
        parse_dkt("1\n1\n0\n2\n1,,\n0,1\n", "p")


def test_dkt_loading_never_imports_pandas() -> None:
    """`pathways fit` on a DKT file starts without pandas (about half a second)."""
    path = Path(__file__).parent / "data" / "dkt_small.csv"
    probe = (
        "import sys; from pathlib import Path; from engine.io import detect_format, "
        f"load_responses; p = Path({str(path)!r}); load_responses(p, format=detect_format(p)); "
        "print('pandas' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
