"""The pieces of a curriculum: units, skills and items (pydantic, frozen).

Each model checks only itself (field types, id syntax, answer-key shape);
relations between them (unknown references, cycles, duplicates) are checked
by `content.checks`, so one bad item never hides the problems of the others.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from content.keys import ITEM_TYPES, AnswerKey, ItemType

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=80)]
"""Skill, unit and item ids: letters, digits, '.', '_' and '-', starting alphanumeric."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Difficulty = Literal["easy", "medium", "hard"]
DEFAULT_MASTERY_THRESHOLD = 0.95

_GRADE = re.compile(r"^(K|[0-9]{1,2})(?:-(K|[0-9]{1,2}))?$")


def _grade_number(text: str) -> int:
    return 0 if text == "K" else int(text)


def _grade_band(value: object) -> object:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return value
    m = _GRADE.match(value.strip().upper())
    if m is None:
        raise ValueError(f"grade band {value!r} should look like '4', 'K' or '5-6'")
    low = _grade_number(m[1])
    high = _grade_number(m[2]) if m[2] else low
    if high > 12 or low > high:
        raise ValueError(f"grade band {value!r} should run from a lower to a higher grade, K-12")
    return value.strip().upper()


GradeBand = Annotated[str, BeforeValidator(_grade_band)]


def _distinct(values: tuple[str, ...], what: str) -> tuple[str, ...]:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise ValueError(f"{what} {v!r} is listed twice")
        seen.add(v)
    return values


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Unit(_Model):
    """A group of skills shown together; `skills` is the teaching order within it."""

    id: Id
    name: Text
    description: str = ""
    skills: tuple[Id, ...] = Field(min_length=1)

    @field_validator("skills")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _distinct(v, "skill")


class Skill(_Model):
    """One masterable skill; `requires` lists its prerequisite skill ids."""

    id: Id
    name: Text
    description: str = ""
    grade_band: GradeBand
    standard: str | None = Field(default=None, min_length=1, max_length=40)
    case_uri: str | None = None
    mastery_threshold: float = Field(default=DEFAULT_MASTERY_THRESHOLD, gt=0.0, lt=1.0)
    requires: tuple[Id, ...] = ()

    @field_validator("case_uri")
    @classmethod
    def _uri(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://\S+$", v):
            raise ValueError(f"CASE item URI {v!r} should be an http(s) URI")
        return v

    @field_validator("requires")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _distinct(v, "prerequisite")


class Item(_Model):
    """One practice question. `family` names the template it was expanded from."""

    id: Id
    skills: tuple[Id, ...] = Field(min_length=1)
    type: ItemType
    prompt: Text
    answer: AnswerKey
    hints: tuple[Text, ...] = ()
    solution: Text | None = None
    difficulty: Difficulty | None = None
    family: Id | None = None

    @model_validator(mode="before")
    @classmethod
    def _key_type_from_item(cls, data: Any) -> Any:
        """Authors give the type once, on the item; the key's union needs it too."""
        if isinstance(data, dict):
            answer, kind = data.get("answer"), data.get("type")
            if isinstance(answer, dict) and "type" not in answer and kind in ITEM_TYPES:
                data = {**data, "answer": {**answer, "type": kind}}
        return data

    @model_validator(mode="after")
    def _key_matches(self) -> Item:
        if self.answer.type != self.type:
            raise ValueError(
                f"answer key is for a {self.answer.type} item but the item type is {self.type}"
            )
        return self

    @field_validator("skills")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _distinct(v, "skill")
