"""Student-facing sentences: one short sentence a 10-year-old can read, naming the skills.

Kept apart from the policy so wording can change (or be translated) without touching
the decision, and so tests can check every kind has a sentence.
"""

from __future__ import annotations


def gap(skill: str, struggling: str) -> str:
    return f"Let's strengthen {skill} first: it's what {struggling} builds on."


def return_to(skill: str, filled: str) -> str:
    return f"You've got {filled} down now, so let's go back to {skill}!"


def frontier(skill: str, known_prerequisite: str | None) -> str:
    if known_prerequisite is None:
        return f"Let's start something new: {skill}!"
    return f"You know {known_prerequisite} well, so you're ready to start {skill}!"


def practice(skill: str, mastery: float, *, almost_there: float, fail_streak: int) -> str:
    if mastery >= almost_there:
        return f"You're almost there with {skill} — one more push!"
    if fail_streak >= 2:
        return f"{skill} is tricky, but every try helps you learn it — keep going!"
    return f"Let's keep building up {skill}."


def review(skill: str, *, decayed: bool) -> str:
    if decayed:
        return f"It's been a while since {skill}, so let's do a quick review."
    return f"Quick check: show me you still know {skill}!"


def recheck(skill: str, struggling: str) -> str:
    return f"Let's check {skill} again: {struggling} builds on it."


def moved_on(contradicted: str, then: str) -> str:
    """Prefix when practice leaves a skill whose model contradicted the student's answers."""
    return (
        f"Your answers on {contradicted} were not moving its score, so we've told "
        f"your teacher. {then}"
    )
