"""The pieces of a curriculum: units, skills and items (pydantic, frozen).

Each model checks only itself (field types, id syntax, answer-key shape,
starting BKT values); relations between them (unknown references, cycles,
duplicates, an item's values against its skills') are checked by
`content.checks`, so one bad item never hides the problems of the others.
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
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from content.keys import ITEM_TYPES, AnswerKey, ChoiceKey, ItemType

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, min_length=1, max_length=80)]
"""Skill, unit and item ids: letters, digits, '.', '_' and '-', starting alphanumeric."""

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)]
Difficulty = Literal["easy", "medium", "hard"]
DEFAULT_MASTERY_THRESHOLD = 0.95
FLOOR_TOLERANCE = 1e-9
"""Slack for a guess written as 1/3 in floating point."""

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


# --- starting BKT values -------------------------------------------------------------

SKILL_RATE_MAX = 0.5
"""A skill's guess and slip are at most 0.5: above it, being right says little about mastery."""


def _not_bool(value: object) -> object:
    if isinstance(value, bool):
        raise ValueError(f"expected a probability such as 0.2, got {value!r}")
    return value


Probability = Annotated[float, BeforeValidator(_not_bool), Field(allow_inf_nan=False)]


def field_error(title: str, loc: tuple[str, ...], message: str, value: object) -> ValidationError:
    """An error at a field below the model: a model-level check can still say which field."""
    error = InitErrorDetails(type=PydanticCustomError("value_error", message), loc=loc, input=value)
    return ValidationError.from_exception_data(title, [error])


def _probability(v: float | None, name: str, open_interval: bool = False) -> float | None:
    if v is None:
        return v
    if open_interval and not 0.0 < v < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {v:g}")
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name} must be a probability in [0, 1], got {v:g}")
    return v


def _informative(title: str, guess: float | None, slip: float | None) -> None:
    """Refuse guess >= 1 - slip: P(right | unknown) >= P(right | known) inverts the evidence."""
    if guess is not None and slip is not None and guess >= 1.0 - slip:
        message = (
            f"guess {guess:g} must be below 1 - slip = {1.0 - slip:g} (slip {slip:g}): "
            "otherwise a right answer would lower mastery"
        )
        raise field_error(title, ("guess",), message, guess)


class _Declared(_Model):
    def declared(self) -> dict[str, float]:
        """The fields given a value (None means "not declared here")."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


class SkillBkt(_Declared):
    """Starting BKT values a skill declares; the rest come from `defaults` or the engine.

    `prior` and `learn` lie strictly inside (0, 1) (0 or 1 could never change);
    `guess` and `slip` are at most 0.5 and guess < 1 - slip, so a right answer
    always raises mastery.
    """

    prior: Probability | None = None
    learn: Probability | None = None
    guess: Probability | None = None
    slip: Probability | None = None
    forget: Probability | None = None

    @field_validator("prior", "learn")
    @classmethod
    def _open(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _probability(v, str(info.field_name), open_interval=True)

    @field_validator("guess", "slip", "forget")
    @classmethod
    def _closed(cls, v: float | None, info: ValidationInfo) -> float | None:
        name = str(info.field_name)
        v = _probability(v, name)
        if v is not None and name != "forget" and v > SKILL_RATE_MAX:
            raise ValueError(
                f"a skill's {name} must be at most {SKILL_RATE_MAX:g} "
                f"(above it a right answer says little about mastery), got {v:g}"
            )
        return v

    @model_validator(mode="after")
    def _right_answer_helps(self) -> SkillBkt:
        _informative("SkillBkt", self.guess, self.slip)
        return self


class ItemBkt(_Declared):
    """An item's own guess/slip, overriding the ones derived from its skill's."""

    guess: Probability | None = None
    slip: Probability | None = None

    @field_validator("guess", "slip")
    @classmethod
    def _range(cls, v: float | None, info: ValidationInfo) -> float | None:
        return _probability(v, str(info.field_name))

    @model_validator(mode="after")
    def _right_answer_helps(self) -> ItemBkt:
        _informative("ItemBkt", self.guess, self.slip)
        return self


class Defaults(_Model):
    """Curriculum-wide values for skills that leave a field out (the loader applies them)."""

    bkt: SkillBkt | None = None


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
    bkt: SkillBkt | None = None

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
    bkt: ItemBkt | None = None

    @property
    def guess_floor(self) -> float | None:
        """1/choices for multiple choice (picking at random); other types have no floor."""
        return 1.0 / len(self.answer.choices) if isinstance(self.answer, ChoiceKey) else None

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

    @model_validator(mode="after")
    def _guess_not_below_chance(self) -> Item:
        floor, guess = self.guess_floor, self.bkt.guess if self.bkt else None
        if floor is not None and guess is not None and guess < floor - FLOOR_TOLERANCE:
            choices = round(1.0 / floor)
            message = (
                f"guess {guess:g} is below 1/{choices} = {floor:.3g}, the chance of picking "
                f"the right one of {choices} choices at random"
            )
            raise field_error("Item", ("bkt", "guess"), message, guess)
        return self

    @field_validator("skills")
    @classmethod
    def _unique(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        return _distinct(v, "skill")
