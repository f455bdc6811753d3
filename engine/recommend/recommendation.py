"""The recommender's output: one choice offered to the student, with its why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from engine.recommend.reasons import Phrase

Kind = Literal["gap", "return", "frontier", "practice", "review"]
KINDS: tuple[Kind, ...] = ("gap", "return", "frontier", "practice", "review")


@dataclass(frozen=True, slots=True)
class Recommendation:
    """An item to offer next.

    kind: gap      - an unmastered prerequisite of a skill the student struggles with;
          return   - back to the skill that sent the student to fill a gap;
          frontier - a new skill whose prerequisites are (probably) known;
          practice - an unlocked skill the student has started but not mastered;
          review   - a mastered skill: spaced review after forgetting, or a quick check.
    A gap with `recheck` goes back to a prerequisite rated mastered, because the student
    keeps failing what builds on it (mastery can rest on lucky guesses or a bad model).
    `related` is the other skill the reason names (the struggling skill for a gap, the
    filled prerequisite for a return), else None. `numbers` are the values behind the
    choice: mastery, effective_mastery, p_correct, attempts, correct, threshold.
    """

    item_id: str
    skill_id: str
    kind: Kind
    reason: str
    numbers: Mapping[str, float] = field(default_factory=dict)
    related: str | None = None
    recheck: bool = False  # a gap to a prerequisite rated mastered: checked again
    reason_phrases: tuple[Phrase, ...] = ()  # `reason` as translatable sentences
