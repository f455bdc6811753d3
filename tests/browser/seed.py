"""Seeding the browser tests' server through the real services: curriculum, people, history.

Answers are submitted with `answers.submit_answer`, exactly as a student's would be, so
the heatmap, curves and item statistics the tests look at come from a real log.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path

from api.runtime import Runtime
from api.services import answers, classes, content_import, practice, users
from content.answers import canonical_answer
from models.practice import AnswerSubmit
from models.users import Role, User, UserCreate

SAMPLE = Path(__file__).resolve().parents[2] / "content" / "sample" / "fractions.yaml"
PASSWORD = "browser-pass-1"
_keys = itertools.count(1)


@dataclass
class Seeded:
    teacher: str
    designer: str
    class_id: int
    class_name: str
    students: dict[str, int] = field(default_factory=dict)


def right_answer(runtime: Runtime, item_id: str) -> str:
    with runtime.session() as s:
        item = runtime.cache.get(s).items[item_id].content
    return canonical_answer(item.answer)


def wrong_answer(runtime: Runtime, item_id: str) -> str:
    """A readable but wrong answer for the item's type."""
    with runtime.session() as s:
        item = runtime.cache.get(s).items[item_id].content
    key = item.answer
    if key.type == "multiple_choice":
        return next(c for c in key.choices if c.strip().casefold() != key.correct.casefold())
    if key.type == "short_text":
        return "zzz"
    if key.type == "fraction":
        return "97/98"
    return "98765" if not key.percent else "97"


def new_user(runtime: Runtime, role: Role, username: str, full_name: str) -> User:
    with runtime.session() as s:
        return users.create_user(
            s,
            runtime,
            UserCreate(username=username, full_name=full_name, role=role, password=PASSWORD),
        )


def enrol(runtime: Runtime, class_id: int, student: User, attrs: dict[str, str]) -> None:
    with runtime.session() as s:
        classes.enrol(s, class_id, student, attrs)


def answer(runtime: Runtime, student_id: int, item_id: str, correct: bool) -> None:
    text = right_answer(runtime, item_id) if correct else wrong_answer(runtime, item_id)
    with runtime.session() as s:
        result = answers.submit_answer(
            s,
            runtime,
            student_id,
            AnswerSubmit(item_id=item_id, answer=text, idempotency_key=f"seed-{next(_keys)}"),
        )
    assert result.recorded and result.correct == correct, (item_id, text, result)


def practise(runtime: Runtime, student_id: int, n: int, p_right: float, rng: random.Random) -> None:
    """n answers on whatever the recommender offers first, right with probability p_right."""
    for _ in range(n):
        with runtime.session() as s:
            nxt = practice.next_items(s, runtime, student_id)
        if nxt.recommended is None:
            return
        answer(runtime, student_id, nxt.recommended.item.id, rng.random() < p_right)


def seed_classroom(runtime: Runtime) -> Seeded:
    """Sample curriculum, a teacher, a designer and a class of eight with history."""
    with runtime.session() as s:
        content_import.import_text(s, SAMPLE.read_text(encoding="utf-8"), SAMPLE.name)
    teacher = new_user(runtime, Role.teacher, "mrs.rivera", "Mrs Rivera")
    new_user(runtime, Role.designer, "dana.designer", "Dana Designer")
    with runtime.session() as s:
        room = classes.create_class(s, "Year 6 Cedar")
        assert room.id is not None
        classes.add_teacher(s, room.id, teacher)
    rng = random.Random(20240611)
    seeded = Seeded("mrs.rivera", "dana.designer", room.id, room.name)
    roster = [
        ("amara", "Amara Okafor", {"ell": "no", "group": "red"}, 24, 0.9),
        ("bao", "Bao Nguyen", {"ell": "yes", "group": "red"}, 18, 0.75),
        ("carlos", "Carlos Diaz", {"ell": "yes", "group": "blue"}, 14, 0.6),
        ("dina", "Dina Haddad", {"ell": "no", "group": "blue"}, 20, 0.85),
        ("eli", "Eli Cohen", {"ell": "no", "group": "red"}, 0, 0.0),
        ("fatima", "Fatima Zahra", {"ell": "yes", "group": "blue"}, 16, 0.7),
        ("gus", "Gus Olsen", {"ell": "no", "group": "red"}, 4, 0.5),
    ]
    for username, name, attrs, n, p in roster:
        student = new_user(runtime, Role.student, username, name)
        assert student.id is not None
        enrol(runtime, room.id, student, attrs)
        seeded.students[username] = student.id
        practise(runtime, student.id, n, p, rng)
    # Gus wheel-spins on comparing fractions: the heatmap must flag him as stuck.
    stuck_on = "compare-fractions"
    gus = seeded.students["gus"]
    for i in range(runtime.settings.stuck_attempts + 1):
        answer(runtime, gus, items_of(runtime, stuck_on)[i % 3], correct=i == 4)
    return seeded


def items_of(runtime: Runtime, skill: str) -> list[str]:
    with runtime.session() as s:
        snap = runtime.cache.get(s)
    return [
        i.id for i in snap.items.values() if i.skills and i.skills[0] == skill and not i.retired
    ]
