"""Pure helpers of the student pages: reading the answer form, tries, map states.

A "round" on an item is up to MAX_TRIES answers ending at the first right one. The
round is read from the response log (newest first), so a student who closes the
laptop after one wrong try comes back to the same item with one try left, and a
later return to an item (spaced review) starts a fresh round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from api.i18n.markers import N_

MAX_TRIES = 2
MAX_FIELD = 40

MapState = Literal["mastered", "in_progress", "ready", "locked"]

KIND_LABELS: dict[str, str] = {
    "gap": N_("Fill a gap"),
    "return": N_("Back to it"),
    "frontier": N_("Something new"),
    "practice": N_("Keep practising"),
    "review": N_("Quick review"),
}


class LoggedAnswer(Protocol):
    item_id: str
    correct: bool


@dataclass(frozen=True)
class FormAnswer:
    """What the answer form produced: the text to check, or why there is none."""

    text: str | None
    error: str | None
    echo: dict[str, str]


def _field(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()[:MAX_FIELD]


def read_answer_form(item_type: str, form: Mapping[str, str]) -> FormAnswer:
    """Turn the type-specific inputs into the one answer string the checker reads."""
    if item_type == "fraction":
        whole, num, den = (_field(form, k) for k in ("whole", "numerator", "denominator"))
        echo = {"whole": whole, "numerator": num, "denominator": den}
        if not (whole or num or den):
            return FormAnswer(None, N_("Type your answer in the boxes first."), echo)
        if bool(num) != bool(den):
            missing = (
                N_("Fill in the bottom (denominator) number of the fraction too.")
                if num
                else N_("Fill in the top (numerator) number of the fraction too.")
            )
            return FormAnswer(None, missing, echo)
        if not num:
            return FormAnswer(whole, None, echo)
        frac = f"{num}/{den}"
        return FormAnswer(f"{whole} {frac}" if whole else frac, None, echo)
    text = (form.get("answer") or "").strip()
    echo = {"answer": text[:200]}
    if not text:
        what = N_("Choose one of the answers first.") if item_type == "multiple_choice" else None
        return FormAnswer(None, what or N_("Type your answer first."), echo)
    return FormAnswer(text, None, echo)


def wrong_streak(entries: Iterable[LoggedAnswer], item_id: str) -> int:
    """Wrong answers to `item_id` at the head of the log (newest first)."""
    n = 0
    for e in entries:
        if e.item_id != item_id or e.correct:
            break
        n += 1
    return n


def tries_used(entries: Iterable[LoggedAnswer], item_id: str, max_tries: int = MAX_TRIES) -> int:
    """Tries already spent in the current round on this item (0 = a fresh round)."""
    return wrong_streak(entries, item_id) % max_tries


def unfinished_item(entries: Sequence[LoggedAnswer], max_tries: int = MAX_TRIES) -> str | None:
    """The item the student left mid-round (wrong, tries left), if the newest answer was one."""
    if not entries:
        return None
    head = entries[0]
    return head.item_id if tries_used(entries, head.item_id, max_tries) else None


def map_state(
    skill: str,
    *,
    mastered: Callable[[str], bool],
    attempts: Callable[[str], int],
    prerequisites: Callable[[str], Sequence[str]],
    unlocked: Callable[[str], bool],
) -> MapState:
    """Mastered / in progress (practised, not mastered) / ready (prerequisites in hand) / locked."""
    if mastered(skill):
        return "mastered"
    if attempts(skill) > 0:
        return "in_progress"
    if all(unlocked(p) for p in prerequisites(skill)):
        return "ready"
    return "locked"
