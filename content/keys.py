"""Answer keys: what counts as correct for each item type.

The key lives under an item's `answer:`; its `type` is filled in from the item
so authors write it once. Values are exact fractions (see `content.numbers`).
Structural rules (tolerance >= 0, the correct choice is one of the choices,
...) are enforced here; whether the checker accepts the key's own answer is
checked in `content.checks`, because only the checker knows what it accepts.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationInfo,
    field_validator,
)

from content.numbers import (
    MAX_INPUT_LENGTH,
    Reading,
    format_number,
    parse_exact,
    read_number,
    tidy,
)

ItemType = Literal["multiple_choice", "numeric", "fraction", "short_text"]
ITEM_TYPES: tuple[ItemType, ...] = ("multiple_choice", "numeric", "fraction", "short_text")

Exact = Annotated[
    Fraction,
    BeforeValidator(parse_exact),
    PlainSerializer(format_number, return_type=str, when_used="json"),
]
"""An exact number: YAML int/float, or text such as "0.25", "3/4", "1 1/2"."""

MAX_CHOICES = 26  # labelled A-Z


class _Key(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class NumericKey(_Key):
    """A number, right within an absolute `tolerance`.

    `percent`: the value is a percentage (75 means 75%) and "75" or "75%" are
    both accepted. `allow_fraction`: "1/2" counts for 0.5 (turn off for "write
    as a decimal" items). `unit`: an optional unit word the student may add.
    """

    type: Literal["numeric"] = "numeric"
    value: Exact
    tolerance: Exact = Fraction(0)
    percent: bool = False
    allow_fraction: bool = True
    unit: str | None = Field(default=None, min_length=1, max_length=20)

    @field_validator("tolerance")
    @classmethod
    def _non_negative(cls, v: Fraction) -> Fraction:
        if v < 0:
            raise ValueError(f"tolerance must be >= 0, got {format_number(v)}")
        return v


class FractionKey(_Key):
    """A fraction written as text; equivalent fractions count unless `simplest_form`.

    `value` keeps the author's spelling ("2/4" stays "2/4") so a key that would
    fail its own simplest-form rule is caught. `mixed_number`: answers above 1
    must be written as a mixed number ("1 3/4", not "7/4"); `improper_fraction`:
    the reverse ("7/4", not "1 3/4").
    """

    type: Literal["fraction"] = "fraction"
    value: str
    simplest_form: bool = False
    mixed_number: bool = False
    improper_fraction: bool = False

    @field_validator("value", mode="before")
    @classmethod
    def _text(cls, v: object) -> object:
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v

    @field_validator("value")
    @classmethod
    def _readable(cls, v: str) -> str:
        reading = read_number(v, strip_currency=False)
        if not isinstance(reading, Reading) or reading.percent or reading.form == "decimal":
            raise ValueError(f"{v!r} is not a fraction (write e.g. 3/4, 1 1/2 or 2)")
        return tidy(v)

    @field_validator("improper_fraction")
    @classmethod
    def _one_form(cls, v: bool, info: ValidationInfo) -> bool:
        if v and info.data.get("mixed_number"):
            raise ValueError("a key cannot require both mixed_number and improper_fraction")
        return v

    @property
    def exact(self) -> Fraction:
        reading = read_number(self.value, strip_currency=False)
        assert isinstance(reading, Reading)
        return reading.value


def choice_text(text: str) -> str:
    """How choices and typed answers are compared: trimmed, single-spaced, casefolded."""
    return tidy(text).casefold()


class ChoiceKey(_Key):
    """Multiple choice: `correct` is the text of one of `choices` (labelled A, B, ...)."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    type: Literal["multiple_choice"] = "multiple_choice"
    choices: tuple[str, ...] = Field(min_length=2, max_length=MAX_CHOICES)
    correct: str

    @field_validator("choices")
    @classmethod
    def _distinct(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        seen: set[str] = set()
        for i, choice in enumerate(v):
            norm = choice_text(choice)
            if not norm:
                raise ValueError(f"choice {i + 1} is empty")
            if len(choice) > MAX_INPUT_LENGTH:
                raise ValueError(f"choice {i + 1} is longer than {MAX_INPUT_LENGTH} characters")
            if norm in seen:
                raise ValueError(f"choice {choice!r} appears twice")
            seen.add(norm)
        return v

    @field_validator("correct")
    @classmethod
    def _among_choices(cls, v: str, info: ValidationInfo) -> str:
        choices = info.data.get("choices")
        if choices is not None and choice_text(v) not in {choice_text(c) for c in choices}:
            raise ValueError(f"correct choice {v!r} is not one of the choices {list(choices)}")
        return v


def text_key(text: str) -> str:
    """How short-text answers are compared: case-, space- and final-period-insensitive."""
    return "".join(tidy(text).casefold().rstrip(".!").split())


class TextKey(_Key):
    """Short text: any of `accepted`, ignoring case, spaces and a final period."""

    model_config = ConfigDict(coerce_numbers_to_str=True)

    type: Literal["short_text"] = "short_text"
    accepted: tuple[str, ...] = Field(min_length=1)

    @field_validator("accepted")
    @classmethod
    def _non_empty(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for i, text in enumerate(v):
            if not text_key(text):
                raise ValueError(f"accepted answer {i + 1} is empty")
        return v


AnswerKey = Annotated[
    NumericKey | FractionKey | ChoiceKey | TextKey,
    Field(discriminator="type"),
]
