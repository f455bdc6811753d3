"""The xAPI statement of an answer: its content, and an id fixed by the answer's id alone."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from api.services.xapi_statement import (
    ANSWERED,
    RecordedAnswer,
    SkillResult,
    answer_statement,
    extension,
    statement_id,
)

HOME = "https://pathways.example.edu"


def _answer(response_id: int = 7, **changes: object) -> RecordedAnswer:
    values: dict[str, object] = {
        "response_id": response_id,
        "student_id": 42,
        "item_id": "add 1/2",
        "answer": "3/4",
        "correct": True,
        "attempt": 2,
        "skills": [SkillResult("add", 0.81, False), SkillResult("equiv", 0.97, True)],
        "recorded_at": datetime(2026, 3, 4, 5, 6, 7, 891_000, tzinfo=UTC),
    }
    values.update(changes)
    return RecordedAnswer(**values)  # type: ignore[arg-type]


def test_statement_names_the_student_the_item_its_skills_and_the_new_mastery() -> None:
    s = answer_statement(HOME, _answer())
    assert s["actor"] == {"objectType": "Agent", "account": {"homePage": HOME, "name": "42"}}
    assert s["verb"]["id"] == ANSWERED == "http://adlnet.gov/expapi/verbs/answered"
    assert s["object"]["objectType"] == "Activity"
    assert s["object"]["id"] == f"{HOME}/items/add%201%2F2"  # the id quoted into one segment
    assert s["object"]["definition"]["extensions"] == {extension(HOME, "skills"): ["add", "equiv"]}
    grouping = s["context"]["contextActivities"]["grouping"]
    assert [g["id"] for g in grouping] == [f"{HOME}/skills/add", f"{HOME}/skills/equiv"]
    assert s["result"]["success"] is True
    assert s["result"]["response"] == "3/4"
    assert s["result"]["extensions"][extension(HOME, "mastery")] == {"add": 0.81, "equiv": 0.97}
    assert s["result"]["extensions"][extension(HOME, "mastered")] == {"add": False, "equiv": True}
    assert s["context"]["extensions"] == {extension(HOME, "attempt"): 2}
    assert s["timestamp"] == "2026-03-04T05:06:07.891+00:00"
    assert uuid.UUID(s["id"]).version == 5


def test_timestamp_is_utc_whatever_zone_the_time_came_in() -> None:
    eastern = datetime(2026, 3, 4, 0, 6, 7, tzinfo=UTC).astimezone(timezone(timedelta(hours=-5)))
    assert answer_statement(HOME, _answer(recorded_at=eastern))["timestamp"] == (
        "2026-03-04T00:06:07.000+00:00"
    )


@given(
    response_id=st.integers(min_value=1, max_value=2**31 - 1),
    correct=st.booleans(),
    mastery=st.floats(min_value=0.0, max_value=1.0),
)
def test_statement_id_depends_on_the_answer_id_only(
    response_id: int, correct: bool, mastery: float
) -> None:
    a = answer_statement(HOME, _answer(response_id))
    b = answer_statement(
        HOME,
        _answer(response_id, correct=correct, skills=[SkillResult("add", mastery, False)]),
    )
    assert a["id"] == b["id"] == statement_id(HOME, response_id)
    assert statement_id(HOME, response_id) != statement_id(HOME, response_id + 1)
    assert statement_id(HOME, response_id) != statement_id(HOME + "/other", response_id)
