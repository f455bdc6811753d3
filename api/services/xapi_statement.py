"""One recorded answer as an xAPI 1.0.3 statement: a pure function of the answer.

- actor: the student as an account on this service (`homePage` = PATHWAYS_XAPI_HOME_PAGE,
  `name` = the user id, never the username, which may be a person's name);
- verb: ADL's `answered`;
- object: the item as an activity (`HOME/items/ID`, a question), its skills in the
  definition's extension and as grouping activities (`HOME/skills/ID`);
- result: `success` (right or not), the typed `response`, and the new mastery of each
  skill in an extension;
- timestamp: when the answer was recorded; id: a UUID5 of the answer's id on this home
  page, so a resend of the same answer is the same statement and an LRS keeps it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

VERSION = "1.0.3"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
QUESTION = "http://adlnet.gov/expapi/activities/question"
SKILL = "http://adlnet.gov/expapi/activities/objective"


@dataclass(frozen=True)
class SkillResult:
    """A skill the answer was credited to, and its mastery (P(known)) after the answer."""

    skill_id: str
    mastery: float
    mastered: bool


@dataclass(frozen=True)
class RecordedAnswer:
    """What the statement says about one logged answer."""

    response_id: int
    student_id: int
    item_id: str
    answer: str
    correct: bool
    attempt: int
    skills: Sequence[SkillResult]
    recorded_at: datetime


def statement_id(home_page: str, response_id: int) -> str:
    """The statement id of an answer: the same answer always gets the same id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{home_page}/answers/{response_id}"))


def extension(home_page: str, name: str) -> str:
    """The IRI of one of our extensions (`mastery`, `skills`, `attempt`)."""
    return f"{home_page}/xapi/extensions/{name}"


def activity_id(home_page: str, kind: str, key: str) -> str:
    return f"{home_page}/{kind}/{quote(key, safe='')}"


def answer_statement(home_page: str, answer: RecordedAnswer) -> dict[str, Any]:
    """The statement for `answer` (JSON-ready), see the module doc."""
    skills = [s.skill_id for s in answer.skills]
    return {
        "id": statement_id(home_page, answer.response_id),
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": home_page, "name": str(answer.student_id)},
        },
        "verb": {"id": ANSWERED, "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": activity_id(home_page, "items", answer.item_id),
            "definition": {
                "type": QUESTION,
                "extensions": {extension(home_page, "skills"): skills},
            },
        },
        "result": {
            "success": answer.correct,
            "response": answer.answer,
            "extensions": {
                extension(home_page, "mastery"): {s.skill_id: s.mastery for s in answer.skills},
                extension(home_page, "mastered"): {s.skill_id: s.mastered for s in answer.skills},
            },
        },
        "context": {
            "platform": "Pathways",
            "contextActivities": {
                "grouping": [
                    {
                        "objectType": "Activity",
                        "id": activity_id(home_page, "skills", s),
                        "definition": {"type": SKILL},
                    }
                    for s in skills
                ]
            },
            "extensions": {extension(home_page, "attempt"): answer.attempt},
        },
        "timestamp": answer.recorded_at.astimezone(UTC).isoformat(timespec="milliseconds"),
    }
