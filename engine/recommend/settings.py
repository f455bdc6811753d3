"""The recommender's thresholds, in one frozen, validated object."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal


def _prob(name: str, value: float, *, open_low: bool = False) -> None:
    if not math.isfinite(value) or value < 0.0 or value > 1.0 or (open_low and value == 0.0):
        raise ValueError(f"RecommenderSettings.{name}: must be a probability, got {value!r}")


@dataclass(frozen=True)
class RecommenderSettings:
    """Knobs of the policy; defaults follow common tutor practice (see policy.py).

    mastery_threshold: a skill counts as mastered, and stops being practised, at this
        effective P(known) (Cognitive Tutor's 0.95); `skill_thresholds` overrides per skill.
    unlock_threshold: a skill is unlocked once every prerequisite is at least this likely
        known. Lower than mastery so the student moves on when a prerequisite is probably
        known; later success confirms it (support) and failure re-checks it (suspicion).
    target_p_correct: desirable difficulty; the item whose predicted P(correct) is nearest.
    recent_items: an item answered within this many answers is not repeated if avoidable.
    struggle_streak / struggle_attempts + struggle_mastery / wheel_spin_attempts: a skill
        is "struggling" after that many wrong in a row, or that many attempts with mastery
        still below struggle_mastery, or wheel_spin_attempts attempts without mastery.
    implication: weight in [0, 1] of the support evidence (a dependent learnt in practice
        lifts its prerequisites, see evidence.py); 0 switches support off.
    slowdown: kappa, the assumed factor on a skill's learn rate while a prerequisite is
        unknown; sets the strength of support and of suspicion (failures on a skill
        lower its weakest prerequisite).
    student_spread: sd (in logits) of the student-level shift of every skill's prior (see
        profile.py); 0 gives plain per-skill BKT.
    review_threshold: a mastered skill whose decayed mastery falls below this is due.
    almost_there: wording only - "almost there" above this mastery.
    difficulty_logit_span: how far item difficulty (normalised to [-0.5, 0.5] within its
        skill) shifts the predicted P(correct), in logits, when the model has no per-item
        guess/slip for it.
    start_model: "knowledge_space" (what a student knew on arrival, inferred over the
        down-sets of the graph, see knowledge_space.py; used when the graph allows at most
        `knowledge_space_cap` states) or "profile" (the one-number student shift).
    holes / beyond: the knowledge-space model's chance that a skill inside the student's
        down-set is unknown anyway, or one outside it known anyway.
    max_run: at most this many answers in a row on one skill; then something else comes
        first (another skill, a prerequisite re-check, a review) before it returns.
    recheck_streak: after this many wrong in a row (or `wheel_spin_attempts` attempts) on
        a skill whose prerequisites are all rated mastered, re-check the least certain one.
    confirm_after_wrong / confirm_streak: a skill with at least `confirm_after_wrong`
        wrong answers counts as mastered only after `confirm_streak` right in a row (a
        slow learner's lucky guesses are not mastery).
    guessable: an item whose guess is at least this is "guessable" (two-choice, yes/no):
        mastery reached only on such items is confirmed on another item first.
    """

    mastery_threshold: float = 0.95
    skill_thresholds: Mapping[str, float] = field(default_factory=dict)
    unlock_threshold: float = 0.9
    target_p_correct: float = 0.7
    recent_items: int = 10
    struggle_streak: int = 3
    struggle_attempts: int = 5
    struggle_mastery: float = 0.4
    wheel_spin_attempts: int = 10
    implication: float = 0.25
    slowdown: float = 0.25
    student_spread: float = 1.0
    review_threshold: float = 0.85
    almost_there: float = 0.8
    difficulty_logit_span: float = 1.0
    start_model: Literal["knowledge_space", "profile"] = "knowledge_space"
    holes: float = 0.08
    beyond: float = 0.02
    knowledge_space_cap: int = 20_000
    max_run: int = 10
    recheck_streak: int = 5
    confirm_after_wrong: int = 3
    confirm_streak: int = 3
    guessable: float = 0.34

    __hash__ = None  # type: ignore[assignment]  # the per-skill map makes it unhashable

    def __post_init__(self) -> None:
        for name in (
            "mastery_threshold",
            "unlock_threshold",
            "target_p_correct",
            "struggle_mastery",
            "implication",
            "slowdown",
            "review_threshold",
            "almost_there",
            "holes",
            "beyond",
            "guessable",
        ):
            _prob(name, getattr(self, name))
        _prob("mastery_threshold", self.mastery_threshold, open_low=True)
        thresholds = {str(k): float(v) for k, v in self.skill_thresholds.items()}
        for k, v in thresholds.items():
            _prob(f"skill_thresholds[{k!r}]", v, open_low=True)
        object.__setattr__(self, "skill_thresholds", MappingProxyType(thresholds))
        for name in (
            "recent_items",
            "struggle_streak",
            "struggle_attempts",
            "wheel_spin_attempts",
            "knowledge_space_cap",
            "max_run",
            "recheck_streak",
            "confirm_after_wrong",
            "confirm_streak",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"RecommenderSettings.{name}: must be an int >= 1, got {value!r}")
        if not math.isfinite(self.student_spread) or self.student_spread < 0:
            raise ValueError("RecommenderSettings.student_spread: must be finite and >= 0")
        if self.start_model not in ("knowledge_space", "profile"):
            raise ValueError(
                "RecommenderSettings.start_model: 'knowledge_space' or 'profile', "
                f"got {self.start_model!r}"
            )
        if not self.beyond < 1.0 - self.holes:
            raise ValueError("RecommenderSettings: need beyond < 1 - holes")
        if not math.isfinite(self.difficulty_logit_span) or self.difficulty_logit_span < 0:
            raise ValueError("RecommenderSettings.difficulty_logit_span: must be finite and >= 0")

    def threshold(self, skill: str) -> float:
        return self.skill_thresholds.get(skill, self.mastery_threshold)

    def unlock(self, skill: str) -> float:
        """Unlock bar for a prerequisite: never above its own mastery threshold."""
        return min(self.unlock_threshold, self.threshold(skill))
