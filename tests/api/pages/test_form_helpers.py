"""Pure helpers of the pages: answer forms, tries in a round, item form <-> definition."""

from __future__ import annotations

from dataclasses import dataclass

from api.pages.item_form import (
    GENERAL,
    definition_from_form,
    errors_by_field,
    field_for,
    form_from_definition,
    problems_of,
)
from api.pages.practice_view import read_answer_form, tries_used, unfinished_item, wrong_streak


@dataclass
class Logged:
    item_id: str
    correct: bool


def test_fraction_boxes_make_one_answer() -> None:
    assert read_answer_form("fraction", {"numerator": "3", "denominator": "4"}).text == "3/4"
    mixed = read_answer_form("fraction", {"whole": "1", "numerator": "3", "denominator": "4"})
    assert mixed.text == "1 3/4"
    assert read_answer_form("fraction", {"whole": "2"}).text == "2"
    half = read_answer_form("fraction", {"numerator": "3"})
    assert half.text is None and "denominator" in (half.error or "")
    assert read_answer_form("fraction", {}).error == "Type your answer in the boxes first."


def test_empty_answers_are_errors_worded_for_the_type() -> None:
    assert read_answer_form("multiple_choice", {}).error == "Choose one of the answers first."
    assert read_answer_form("numeric", {"answer": "  "}).error == "Type your answer first."
    assert read_answer_form("numeric", {"answer": " 12 "}).text == "12"


def test_a_round_is_two_tries_ending_at_the_first_right_answer() -> None:
    log = [Logged("a", False), Logged("a", False), Logged("a", False), Logged("b", True)]
    assert wrong_streak(log, "a") == 3
    assert tries_used(log, "a") == 1  # a third wrong answer opened a new round
    assert tries_used(log[1:], "a") == 0  # two wrong: the round is over
    assert tries_used([Logged("a", True), Logged("a", False)], "a") == 0
    assert unfinished_item(log[2:]) == "a"
    assert unfinished_item(log[1:]) is None
    assert unfinished_item([]) is None


def test_item_form_round_trips_each_type() -> None:
    definitions = [
        {
            "id": "m1",
            "skills": ["a", "b"],
            "type": "multiple_choice",
            "prompt": "Pick",
            "answer": {"choices": ["x", "y"], "correct": "x"},
            "hints": ["h1", "h2"],
            "solution": "because",
            "difficulty": "easy",
        },
        {
            "id": "n1",
            "skills": ["a"],
            "type": "numeric",
            "prompt": "How many?",
            "answer": {
                "value": "2.5",
                "tolerance": "0.1",
                "unit": "cm",
                "percent": False,
                "allow_fraction": True,
            },
        },
        {
            "id": "f1",
            "skills": ["a"],
            "type": "fraction",
            "prompt": "Half?",
            "answer": {
                "value": "1/2",
                "simplest_form": True,
                "mixed_number": False,
                "improper_fraction": False,
            },
        },
        {
            "id": "t1",
            "skills": ["a"],
            "type": "short_text",
            "prompt": "Name it",
            "answer": {"accepted": ["numerator", "top"]},
        },
    ]
    for d in definitions:
        assert definition_from_form(form_from_definition(d)) == d


def test_problem_locations_point_at_form_fields() -> None:
    assert field_for("body: prompt (id 'x')", "numeric") == "prompt"
    assert field_for("body: answer.tolerance (id 'x')", "numeric") == "answer_tolerance"
    assert field_for("body: answer.correct", "multiple_choice") == "answer_correct"
    assert field_for("body: answer", "fraction") == "answer_fraction"
    assert field_for("body: items[57].skills[0] (id 'x')", "numeric") == "skills"
    assert field_for("curriculum: units[2]", "numeric") == GENERAL
    errors = errors_by_field(
        [
            {"location": "body: answer.value", "message": "not a number"},
            {"location": "body: answer.value", "message": "too big"},
            {"location": "", "message": "import a curriculum first"},
        ],
        "numeric",
    )
    assert errors == {"answer_value": "not a number; too big", GENERAL: "import a curriculum first"}


def test_service_details_become_problem_lists() -> None:
    assert problems_of({"errors": [{"location": "body: id", "message": "taken"}]}) == [
        {"location": "body: id", "message": "taken"}
    ]
    assert problems_of("id: the body's id differs") == [
        {"location": "body: id", "message": "the body's id differs"}
    ]
    assert problems_of("something odd") == [{"location": "", "message": "something odd"}]


def test_starting_values_survive_an_edit_and_their_errors_land_on_their_fields() -> None:
    definition = {
        "id": "q1",
        "skills": ["add"],
        "type": "numeric",
        "prompt": "2 + 2?",
        "answer": {"value": "4"},
        "bkt": {"guess": 0.3, "slip": None},
    }
    form = form_from_definition(definition)
    assert form["bkt_guess"] == "0.3" and "bkt_slip" not in form
    again = definition_from_form(form)
    assert again["bkt"] == {"guess": 0.3}
    assert definition_from_form({**form, "bkt_guess": "lots"})["bkt"] == {"guess": "lots"}
    assert field_for("body: bkt.guess (id 'q1')", "numeric") == "bkt_guess"
