from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from content import Curriculum, CurriculumError, curriculum_from_data, load_item_csv
from content.csv_items import parse_item_csv

HEADER = "item_id,skill_ids,type,prompt,answer,tolerance,choices,hints,solution,difficulty,options"
GOOD = f"""{HEADER}
x1,a,numeric,What is 1/2 as a decimal?,0.5,,,Divide 1 by 2,1 ÷ 2 = 0.5,easy,decimal_only
x2,a;b,fraction,Simplify 4/8,1/2,,,Divide by 4|4/8 = 1/2,,medium,simplest_form
x3,b,multiple_choice,Which is bigger?,B,,1/3|1/2,,,hard,
x4,c,short_text,Type yes,yes|yep,,,,,,
x5,a,numeric,What percent is 3/4?,75%,,,,,,
x6,c,numeric,"About how much is 2/3, to 2 places?",0.67,0.005,,,,,
x7,a,fraction,Write 7/4 as a mixed number,1 3/4,,,,,,mixed_number
x8,b,numeric,How many cm in 1 m?,100,,,,,,unit=cm
"""


@pytest.fixture
def cur(data: dict[str, Any]) -> Curriculum:
    return curriculum_from_data(data)


def test_good_file_imports_every_row(cur: Curriculum, tmp_path: Path) -> None:
    path = tmp_path / "bank.csv"
    path.write_text("\ufeff" + GOOD, encoding="utf-8")  # Excel's BOM is fine
    items = load_item_csv(path, cur)
    assert [i.id for i in items] == [f"x{n}" for n in range(1, 9)]
    by_id = {i.id: i for i in items}
    assert by_id["x1"].answer.allow_fraction is False  # type: ignore[union-attr]
    assert by_id["x2"].skills == ("a", "b") and by_id["x2"].hints == ("Divide by 4", "4/8 = 1/2")
    assert by_id["x2"].answer.simplest_form is True  # type: ignore[union-attr]
    assert by_id["x3"].answer.correct == "1/2"  # type: ignore[union-attr]
    assert by_id["x4"].answer.accepted == ("yes", "yep")  # type: ignore[union-attr]
    assert by_id["x5"].answer.percent is True  # type: ignore[union-attr]
    assert by_id["x6"].answer.tolerance == pytest.approx(0.005)  # type: ignore[union-attr]
    assert by_id["x7"].answer.mixed_number is True  # type: ignore[union-attr]
    assert by_id["x8"].answer.unit == "cm"  # type: ignore[union-attr]
    assert by_id["x1"].difficulty == "easy" and by_id["x1"].solution == "1 ÷ 2 = 0.5"
    assert load_item_csv(GOOD, cur) == items  # text works too


def test_only_required_columns(cur: Curriculum) -> None:
    text = "type,item_id,prompt,skill_ids,answer\nnumeric,n1,1+1?,a,2\n"
    assert [i.id for i in load_item_csv(text, cur)] == ["n1"]


@pytest.mark.parametrize(
    ("row", "location", "says"),
    [
        ("y1,zz,numeric,p,1,,,,,,", "row 2, column skill_ids (id 'y1')", "unknown skill 'zz'"),
        ("y1,a,numeric,p,abc,,,,,,", "row 2, column answer (id 'y1')", "not a number"),
        ("y1,a,numeric,p,1,-1,,,,,", "row 2, column tolerance (id 'y1')", "must be >= 0"),
        ("y1,a,fraction,p,1/2,0.1,,,,,", "row 2, column tolerance (id 'y1')", "only applies"),
        ("y1,a,numeric,p,1,,x|y,,,,", "row 2, column choices (id 'y1')", "only apply"),
        ("y1,a,multiple_choice,p,z,,x|y,,,,", "row 2, column answer (id 'y1')", "not one of"),
        ("y1,a,multiple_choice,p,x,,x,,,,", "row 2, column choices (id 'y1')", "at least 2"),
        ("y1,a,essay,p,1,,,,,,", "row 2, column type (id 'y1')", "Input should be"),
        ("y1,a,numeric,p,1,,,,,extreme,", "row 2, column difficulty (id 'y1')", "'easy'"),
        ("y1,a,numeric,p,,,,,,,", "row 2, column answer (id 'y1')", "no answer key"),
        ("y1,a,numeric,,1,,,,,,", "row 2, column prompt (id 'y1')", "at least 1 character"),
        ("bad id,a,numeric,p,1,,,,,,", "row 2, column item_id (id 'bad id')", "pattern"),
        ("y1,a,numeric,p,1,,,,,,fancy", "row 2, column options (id 'y1')", "unknown option"),
        (
            "y1,a,numeric,p,1,,,,,,simplest_form",
            "row 2, column options (id 'y1')",
            "does not apply",
        ),
        ("y1,a,fraction,p,2/4,,,,,,simplest_form", "row 2, column answer (id 'y1')", "checker"),
        ("i-a,a,numeric,p,1,,,,,,", "row 2, column item_id (id 'i-a')", "duplicate item id"),
        ("y1,a,numeric,p,1", "row 2", "has 5 cells but the header has 11"),
    ],
)
def test_each_bad_row_names_row_and_column(
    cur: Curriculum, row: str, location: str, says: str
) -> None:
    with pytest.raises(CurriculumError) as err:
        load_item_csv(f"{HEADER}\n{row}\n", cur)
    shown = [str(p) for p in err.value.problems]
    assert len(shown) == 1, shown
    assert f"{location}:" in shown[0] and says in shown[0], shown


def test_all_or_nothing_and_every_problem_listed(cur: Curriculum) -> None:
    text = (
        f"{HEADER}\nok1,a,numeric,p,1,,,,,,\nbad1,zz,numeric,p,1,,,,,,\nok1,b,numeric,p,2,,,,,,\n"
    )
    items, problems = parse_item_csv(text, cur)
    assert len(items) == 3
    assert [p.location.path for p in problems] == [
        "row 3, column skill_ids",
        "row 4, column item_id",
    ]
    with pytest.raises(CurriculumError):
        load_item_csv(text, cur)


def test_header_problems(cur: Curriculum) -> None:
    with pytest.raises(CurriculumError) as err:
        load_item_csv("item_id,skill_ids,type,prompt,colour\nx,a,numeric,p,1\n", cur)
    shown = "\n".join(map(str, err.value.problems))
    assert "row 1, column colour: unknown column 'colour'" in shown
    assert "row 1, column answer: missing required column" in shown


def test_unreadable_file_raises_curriculum_error(cur: Curriculum, tmp_path: Path) -> None:
    with pytest.raises(CurriculumError, match="cannot read file"):
        load_item_csv(tmp_path / "missing.csv", cur)


def test_a_one_line_str_is_text_never_a_server_path(cur: Curriculum, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("item_id,skill_ids,type,prompt,answer\n")
    items, problems = parse_item_csv(str(secret), cur)
    assert items == []
    assert any("missing required column" in p.message for p in problems)


BKT_HEADER = "item_id,skill_ids,type,prompt,answer,choices,difficulty,guess,slip"


def test_guess_and_slip_columns_declare_the_items_starting_values(cur: Curriculum) -> None:
    text = f"{BKT_HEADER}\ng1,a,multiple_choice,Pick,x,x|y,,0.6,0.05\ng2,b,numeric,1+1?,2,,,,\n"
    items = load_item_csv(text, cur)
    assert items[0].bkt is not None and (items[0].bkt.guess, items[0].bkt.slip) == (0.6, 0.05)
    assert items[1].bkt is None


@pytest.mark.parametrize(
    ("row", "location", "says"),
    [
        ("g1,a,numeric,p,1,,,1.5,", "row 2, column guess (id 'g1')", "got 1.5"),
        ("g1,a,numeric,p,1,,,often,", "row 2, column guess (id 'g1')", "valid number"),
        ("g1,a,numeric,p,1,,,,-0.2", "row 2, column slip (id 'g1')", "got -0.2"),
        ("g1,a,numeric,p,1,,,0.7,0.4", "row 2, column guess (id 'g1')", "1 - slip = 0.6"),
        ("g1,a,multiple_choice,p,x,x|y|z,,0.3,", "row 2, column guess (id 'g1')", "1/3"),
        ("g1,a,numeric,p,1,,,0.95,", "row 2, column guess (id 'g1')", "for skill 'a'"),
        (
            "g1,a,multiple_choice,p,x,x|y,hard,,0.55",
            "row 2, column slip (id 'g1')",
            "1 - slip = 0.45",
        ),
    ],
)
def test_bad_starting_values_name_row_and_column(
    cur: Curriculum, row: str, location: str, says: str
) -> None:
    with pytest.raises(CurriculumError) as err:
        load_item_csv(f"{BKT_HEADER}\n{row}\n", cur)
    shown = [str(p) for p in err.value.problems]
    assert len(shown) == 1, shown
    assert f"{location}:" in shown[0] and says in shown[0], shown
