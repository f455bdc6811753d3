"""Loaders on small hand-written files: what each format yields and each malformed input's error."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from engine.io import (
    ColumnMapping,
    DataError,
    DataWarning,
    detect_format,
    from_frame,
    load_responses,
    to_pybkt_frame,
)
from engine.responses import Responses

DATA = Path(__file__).parent / "data"


def sequences(r: Responses) -> dict[tuple[str, str], list[int]]:
    """(skill, student) -> correctness in time order: what the math sees."""
    out: dict[tuple[str, str], list[int]] = {}
    for s, u, c in zip(r.skill, r.student, r.correct, strict=True):
        out.setdefault((r.skills[s], r.students[u]), []).append(int(c))
    return out


def items_of(r: Responses) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for s, u, i in zip(r.skill, r.student, r.item, strict=True):
        out.setdefault((r.skills[s], r.students[u]), []).append(r.items[i])
    return out


# --- formats ------------------------------------------------------------------------------


def test_ct_orders_by_row_splits_kcs_and_drops_untagged_steps() -> None:
    with pytest.warns(DataWarning, match="dropped 1 of 6 rows with an empty skill"):
        r = load_responses(DATA / "ct_small.csv")
    assert sequences(r) == {
        ("Add", "s1"): [0, 1],  # Row 1 before Row 3, although the file lists Row 3 first
        ("Add", "s2"): [1],
        ("Mult", "s2"): [1, 0, 1],
    }
    assert items_of(r)[("Mult", "s2")] == ["P2", "P3", "P3"]
    # the split response keeps its source row (data row 3) under both skills
    assert sorted(r.row[r.item == r.items.index("P2")].tolist()) == [3, 3]


def test_ct_multi_skill_first_and_error() -> None:
    with pytest.warns(DataWarning):
        first = load_responses(DATA / "ct_small.csv", multi_skill="first")
    assert sequences(first)[("Mult", "s2")] == [0, 1]
    assert sequences(first)[("Add", "s2")] == [1]
    with (
        pytest.warns(DataWarning),
        pytest.raises(DataError, match=r"row 3, column 'KC\(Default\)': 'Add~~Mult' names"),
    ):
        load_responses(DATA / "ct_small.csv", multi_skill="error")


def test_assistments_split_first_error_and_row_rules() -> None:
    path = DATA / "assistments_small.csv"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = load_responses(path)
    messages = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    assert any("dropped 1 of 7 scaffolding rows" in m for m in messages)
    assert any(
        "dropped 1 of 6 rows with an empty skill in column 'skill_name'" in m for m in messages
    )
    assert sequences(r) == {
        ("Addition", "u1"): [1, 0],
        ("Subtraction", "u1"): [0],
        ("Subtraction", "u2"): [1],
        ("Addition", "u2"): [0],  # order_id 9 precedes everything else of u2
    }
    assert set(r.items) == {"7", "8"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        first = load_responses(path, multi_skill="first")
        assert ("Subtraction", "u1") not in sequences(first)
        with pytest.raises(DataError, match=r"row 3, column 'skill_name'.*repeated with another"):
            load_responses(path, multi_skill="error")


def test_assistments_collapsed_skill_ids_split_on_underscore(tmp_path: Path) -> None:
    path = tmp_path / "collapsed.csv"
    path.write_text("order_id,user_id,problem_id,correct,skill_id\n1,a,9,1,9_15\n2,a,9,0,15\n")
    r = load_responses(path)
    assert sequences(r) == {("15", "a"): [1, 0], ("9", "a"): [1]}
    with pytest.raises(DataError, match=r"row 1, column 'skill_id': '9_15' names several"):
        load_responses(path, multi_skill="error")


def test_dkt_sequences_are_students_with_file_prefix() -> None:
    r = load_responses(DATA / "dkt_small.csv")
    assert sequences(r) == {
        ("1", "dkt_small:0"): [1, 1],
        ("2", "dkt_small:0"): [0],
        ("2", "dkt_small:1"): [0, 1],
    }
    # rows are the 1-based lines holding the correctness values
    assert sorted(set(r.row.tolist())) == [3, 6]


def test_pybkt_frame_round_trip(tmp_path: Path) -> None:
    with pytest.warns(DataWarning):
        original = load_responses(DATA / "ct_small.csv")
    frame = to_pybkt_frame(original)
    assert list(frame.columns) == [
        "order_id",
        "user_id",
        "skill_name",
        "correct",
        "template_id",
        "row",
    ]
    path = tmp_path / "pybkt.csv"
    frame.to_csv(path, index=False)
    assert detect_format(path) == "pybkt"
    again = load_responses(path)
    assert sequences(again) == sequences(original)
    assert items_of(again) == items_of(original)


def test_pybkt_frame_without_items_has_no_template_column() -> None:
    r = load_responses(DATA / "dkt_small.csv")
    assert "template_id" not in to_pybkt_frame(r).columns


def test_from_frame_with_mapping_and_native_types() -> None:
    df = pd.DataFrame(
        {
            "who": [1.0, 1.0, 2.0],  # float ids (as pandas reads ids with gaps) -> "1", "2"
            "ok": [True, False, True],
            "kc": ["a", "a", "b"],
            "t": [2, 1, 3],
            "cls": ["x", "x", "y"],
        }
    )
    mapping = ColumnMapping(correct="ok", skill="kc", student="who", order="t", student_class="cls")
    r = from_frame(df, mapping)
    assert r.students == ("1", "2")
    assert sequences(r) == {("a", "1"): [0, 1], ("b", "2"): [1]}
    assert r.classes == ("x", "y")


def test_auto_with_mapping_reads_an_unknown_header() -> None:
    mapping = ColumnMapping(correct="score", skill="topic", student="user")
    r = load_responses(DATA / "unknown_header.csv", mapping=mapping)
    assert sequences(r) == {("x", "a"): [1]}


def test_tab_separated_files_are_read(tmp_path: Path) -> None:
    path = tmp_path / "kdd.txt"
    path.write_text("Row\tAnon Student Id\tCorrect First Attempt\tKC(SubSkills)\n1\ts\t1\tk\n")
    assert detect_format(path) == "ct"
    assert sequences(load_responses(path)) == {("k", "s"): [1]}


# --- malformed input ----------------------------------------------------------------------


def test_missing_columns_lists_present_ones(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("Row,Anon Student Id,KC(Default)\n1,s,k\n")
    with pytest.raises(DataError) as err:
        load_responses(path, format="ct")
    msg = str(err.value)
    assert "missing column(s) 'Correct First Attempt'" in msg
    assert "columns present: 'Row', 'Anon Student Id', 'KC(Default)'" in msg


def test_missing_mapped_column_in_frame() -> None:
    df = pd.DataFrame({"a": [1], "b": ["k"]})
    with pytest.raises(DataError, match=r"missing column\(s\) 'u'; columns present: 'a', 'b'"):
        from_frame(df, ColumnMapping(correct="a", skill="b", student="u"))


def test_non_binary_correctness_names_row_column_and_value() -> None:
    with pytest.raises(
        DataError,
        match=r"row 1, column 'Correct First Attempt': correctness must be 0 or 1, got 'yes'",
    ):
        load_responses(DATA / "ct_nonbinary.csv")


def test_non_binary_correctness_in_frame_counts_rows() -> None:
    df = pd.DataFrame({"c": [1, 2, 0, 3], "s": ["k"] * 4, "u": ["a"] * 4})
    with pytest.raises(DataError, match=r"row 2, column 'c': .* got 2.* \(2 such rows\)"):
        from_frame(df, ColumnMapping(correct="c", skill="s", student="u"))


def test_empty_correctness_cell(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("user_id,skill_name,correct\na,k,1\na,k,\n")
    with pytest.raises(DataError, match=r"row 2, column 'correct': .* got an empty value"):
        load_responses(path)


def test_empty_skill_is_an_error_for_pybkt_and_frames(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("user_id,skill_name,correct\na,k,1\na,,0\n")
    with pytest.raises(DataError, match=r"row 2, column 'skill_name': empty skill value"):
        load_responses(path)


def test_empty_student_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("user_id,skill_name,correct\na,k,1\n,k,0\n")
    with pytest.raises(DataError, match=r"row 2, column 'user_id': empty student value"):
        load_responses(path)


def test_non_numeric_order(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("order_id,user_id,skill_name,correct\n1,a,k,1\nlate,a,k,0\n")
    with pytest.raises(DataError, match=r"row 2, column 'order_id': order must be a number"):
        load_responses(path)


def test_unknown_format_lists_supported() -> None:
    with pytest.raises(
        DataError, match=r"unknown format 'xlsx'; supported formats: auto, ct .*dkt"
    ):
        load_responses(DATA / "ct_small.csv", format="xlsx")


def test_undetectable_header_lists_columns_and_formats() -> None:
    with pytest.raises(DataError) as err:
        load_responses(DATA / "unknown_header.csv")
    msg = str(err.value)
    assert "cannot detect the format" in msg and "'user', 'score', 'topic'" in msg
    assert all(name in msg for name in ("ct (", "assistments (", "pybkt (", "dkt ("))


def test_empty_file() -> None:
    with pytest.raises(DataError, match=r"empty\.csv: the file is empty"):
        load_responses(DATA / "empty.csv")
    with pytest.raises(DataError, match="the file is empty"):
        load_responses(DATA / "empty.csv", format="dkt")


def test_header_only_file(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("user_id,skill_name,correct\n")
    with pytest.raises(DataError, match=r"h\.csv: no responses: the input is empty"):
        load_responses(path)


def test_empty_frame() -> None:
    df = pd.DataFrame({"c": [], "s": [], "u": []})
    with pytest.raises(DataError, match="no responses"):
        from_frame(df, ColumnMapping(correct="c", skill="s", student="u"))


def test_missing_file() -> None:
    with pytest.raises(DataError, match=r"nope\.csv: no such file"):
        load_responses(DATA / "nope.csv")


def test_dkt_count_mismatch_names_the_line() -> None:
    with pytest.raises(
        DataError, match=r"line 3: line 1 says 3 responses but this line has 2 correctness values"
    ):
        load_responses(DATA / "dkt_bad_count.csv")


def test_dkt_unparseable_count_line() -> None:
    with pytest.raises(DataError, match=r"line 4: expected the number of responses, got 'three'"):
        load_responses(DATA / "dkt_bad_line.csv", format="dkt")


def test_dkt_non_binary_value() -> None:
    with pytest.raises(DataError, match=r"line 3, value 2: correctness must be 0 or 1, got '2'"):
        load_responses(DATA / "dkt_nonbinary.csv")


def test_dkt_incomplete_sequence_at_end(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("1\n5,\n1,\n2\n5,5,\n")
    with pytest.raises(DataError, match=r"line 4: incomplete sequence"):
        load_responses(path)


def test_dkt_rejects_a_mapping() -> None:
    with pytest.raises(DataError, match="does not apply to the DKT format"):
        load_responses(
            DATA / "dkt_small.csv",
            format="dkt",
            mapping=ColumnMapping(correct="c", skill="s", student="u"),
        )


def test_bad_multi_skill_choice() -> None:
    with pytest.raises(DataError, match=r"multi_skill must be one of 'split', 'first', 'error'"):
        load_responses(DATA / "ct_small.csv", multi_skill="all")  # type: ignore[arg-type]


def test_empty_token_between_separators(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text("Row,Anon Student Id,Correct First Attempt,KC(Default)\n1,s,1,a~~~~b\n")
    with pytest.raises(DataError, match=r"row 1, column 'KC\(Default\)': empty skill name"):
        load_responses(path)


def test_loading_is_all_or_nothing_and_ids_keep_spelling(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("user_id,skill_name,correct\n007,NA,1\n007,NA,0\n")
    r = load_responses(path)
    assert r.students == ("007",) and r.skills == ("NA",)
    np.testing.assert_array_equal(r.correct, [1, 0])
