"""API schemas of the student's practice loop: the next item, an answer, its result."""

from __future__ import annotations

from pydantic import field_validator
from sqlmodel import Field, SQLModel

from models.responses import IDEMPOTENCY_KEY_MAX
from models.types import no_nul

MAX_ANSWER_CHARS = 200
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]+$"


class PracticeItem(SQLModel):
    """An item as a student sees it: never the answer key or the solution."""

    id: str
    type: str
    prompt: str
    skills: list[str]
    hints: list[str] = []
    difficulty: str | None = None
    choices: list[str] | None = None
    unit: str | None = None
    percent: bool | None = None


class ReasonPhrase(SQLModel):
    """One sentence of a reason: an English template with `{name}` fields and their
    values; the template is the msgid a translation is filed under."""

    template: str
    fields: dict[str, str] = {}


class Suggestion(SQLModel):
    item: PracticeItem
    skill_id: str
    skill_name: str
    kind: str = Field(description="gap | return | frontier | practice | review")
    reason: str
    reason_phrases: list[ReasonPhrase] = Field(
        default_factory=list, description="`reason` sentence by sentence, for showing it translated"
    )
    related_skill: str | None = None
    numbers: dict[str, float] = {}


class NextItems(SQLModel):
    """The recommended item plus (up to) two alternatives, each with its reason."""

    recommended: Suggestion | None
    alternatives: list[Suggestion]
    message: str | None = Field(default=None, description="Why nothing is offered, if so.")


class AnswerSubmit(SQLModel):
    item_id: str = Field(min_length=1, max_length=100)
    answer: str = Field(max_length=MAX_ANSWER_CHARS)
    idempotency_key: str = Field(
        min_length=1,
        max_length=IDEMPOTENCY_KEY_MAX,
        schema_extra={"pattern": IDEMPOTENCY_KEY_PATTERN},
        description="Client-chosen, unique per answer (e.g. a UUID); a retry reuses it.",
    )

    goal: str | None = Field(
        default=None,
        max_length=100,
        description="Skill id the reply's next recommendation should work towards.",
    )

    @field_validator("item_id", "answer")
    @classmethod
    def _printable(cls, value: str) -> str:
        return no_nul(value)


class SkillMasteryChange(SQLModel):
    skill_id: str
    skill_name: str
    before: float
    mastery: float
    p_correct: float
    attempts: int
    mastered: bool


class AnswerResult(SQLModel):
    """What a submitted answer did. `recorded` is false when the answer could not be read
    (e.g. "abc" for a number): nothing was logged and the student should try again."""

    recorded: bool
    response_id: int | None = None
    attempt: int | None = None
    correct: bool
    feedback: str
    error: str | None = None
    normalized: str | None = None
    mastery: list[SkillMasteryChange] = []
    next: NextItems | None = None


class SkillMasteryPublic(SQLModel):
    skill_id: str
    skill_name: str
    mastery: float = Field(description="BKT P(known) now (the prior if never practised)")
    effective: float = Field(description="after evidence from related skills (recommender)")
    threshold: float
    attempts: int
    corrects: int
    mastered: bool
    stuck: bool = Field(description="attempts >= stuck_attempts and not mastered")


class StudentMastery(SQLModel):
    student_id: int
    username: str
    skills: list[SkillMasteryPublic]


class HistoryEntry(SQLModel):
    response_id: int
    item_id: str
    skills: list[str]
    answer: str
    correct: bool
    attempt: int
    created_at: str


class StudentHistory(SQLModel):
    student_id: int
    username: str
    total: int
    entries: list[HistoryEntry]
