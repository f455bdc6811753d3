"""Student-facing sentences: one short sentence a 10-year-old can read, naming the skills.

Kept apart from the policy so wording can change (or be translated) without touching
the decision, and so tests can check every kind has a sentence. Each sentence is a
`Phrase`: an English template with named fields plus their values, so the service can
show it in the student's language (the template is the msgid of its translations) and
`text()` gives the English.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

GAP = "Let's strengthen {skill} first: it's what {struggling} builds on."
RETURN = "You've got {filled} down now, so let's go back to {skill}!"
FRONTIER_NEW = "Let's start something new: {skill}!"
FRONTIER_READY = "You know {known} well, so you're ready to start {skill}!"
ALMOST_THERE = "You're almost there with {skill} — one more push!"
TRICKY = "{skill} is tricky, but every try helps you learn it — keep going!"
KEEP_BUILDING = "Let's keep building up {skill}."
REVIEW_DECAYED = "It's been a while since {skill}, so let's do a quick review."
REVIEW_CHECK = "Quick check: show me you still know {skill}!"
RECHECK = "Let's check {skill} again: {struggling} builds on it."
MOVED_ON = "Your answers on {contradicted} were not moving its score, so we've told your teacher."

TEMPLATES: tuple[str, ...] = (
    GAP, RETURN, FRONTIER_NEW, FRONTIER_READY, ALMOST_THERE, TRICKY, KEEP_BUILDING,
    REVIEW_DECAYED, REVIEW_CHECK, RECHECK, MOVED_ON,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Phrase:
    """One sentence: `template` with `{name}` fields, filled from `fields` (name, value)."""

    template: str
    fields: tuple[tuple[str, str], ...] = ()

    def text(self, translate: Callable[[str], str] | None = None) -> str:
        """The sentence, its template first passed through `translate` (a gettext)."""
        template = self.template if translate is None else translate(self.template)
        return template.format(**dict(self.fields))


def joined(phrases: tuple[Phrase, ...], translate: Callable[[str], str] | None = None) -> str:
    return " ".join(p.text(translate) for p in phrases)


def _p(template: str, **fields: str) -> tuple[Phrase, ...]:
    return (Phrase(template, tuple(fields.items())),)


def gap(skill: str, struggling: str) -> tuple[Phrase, ...]:
    return _p(GAP, skill=skill, struggling=struggling)


def return_to(skill: str, filled: str) -> tuple[Phrase, ...]:
    return _p(RETURN, skill=skill, filled=filled)


def frontier(skill: str, known_prerequisite: str | None) -> tuple[Phrase, ...]:
    if known_prerequisite is None:
        return _p(FRONTIER_NEW, skill=skill)
    return _p(FRONTIER_READY, skill=skill, known=known_prerequisite)


def practice(
    skill: str, mastery: float, *, almost_there: float, fail_streak: int
) -> tuple[Phrase, ...]:
    if mastery >= almost_there:
        return _p(ALMOST_THERE, skill=skill)
    if fail_streak >= 2:
        return _p(TRICKY, skill=skill)
    return _p(KEEP_BUILDING, skill=skill)


def review(skill: str, *, decayed: bool) -> tuple[Phrase, ...]:
    return _p(REVIEW_DECAYED if decayed else REVIEW_CHECK, skill=skill)


def recheck(skill: str, struggling: str) -> tuple[Phrase, ...]:
    return _p(RECHECK, skill=skill, struggling=struggling)


def moved_on(contradicted: str, then: tuple[Phrase, ...]) -> tuple[Phrase, ...]:
    """Prefix when practice leaves a skill whose model contradicted the student's answers."""
    return _p(MOVED_ON, contradicted=contradicted) + then
