"""`pathways serve --demo`: a classroom to click through, seeded idempotently.

Seeds the sample curriculum, a teacher, a designer, an admin and a class of 25
students with subgroup attributes (English learner, IEP), gives each student a
practice history, then refits the parameters on that history and activates them
only if the activation gate passes (else the demo runs on the curriculum's starting
values and says why). Answers go through the real answer service
(`api.services.answers.submit_answer`, the recommender choosing each item), so the
log, the mastery rows and the stored replies are exactly what students clicking
would have produced.

The students are simulated like the service benchmark's (`engine.recommend.sim`):
true per-skill guess, slip and learn drawn once from `TRUTH_SEED`, multiple-choice
items guessed right at least 1/choices of the time, and students in turn from the
graph-consistent populations with a few holes (about half, most skills known) and
novices. `demo_classroom` gives that truth to the benchmark, so it can test the
demo's own refit on new students of the same school.

The password is checked before anything is written, and the curriculum, accounts
and histories are written in one transaction: a failure leaves nothing behind.
Every step is skipped when already done, so running it again changes nothing.
"""

from __future__ import annotations

import os
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from api.db import outer_write_transaction
from api.services import classes, content_import, fits, params, practice, users
from api.services.answers import submit_answer
from api.services.cache import active_param_set
from api.services.curriculum_store import current_curriculum_data
from api.services.errors import GateRefused
from content import sample_curriculum_path
from content.answers import canonical_answer, check_answer
from content.models import Item as ContentItem
from engine.recommend.graph import SkillGraph
from engine.recommend.sim import GRAPH_POPULATIONS, Classroom, Learner, Population, draw_student
from models.fit_jobs import FitJob, FitOptions, FitStatus
from models.practice import AnswerSubmit
from models.responses import ResponseLog
from models.users import Role, User, UserCreate

if TYPE_CHECKING:
    from api.runtime import Runtime

CLASS_NAME = "Demo class 7B"
STUDENTS = 25
ANSWERS_MIN, ANSWERS_SPREAD = 25, 30  # each student answers 25..54 items
STAFF = (
    ("teacher", Role.teacher, "Tess Teacher"),
    ("designer", Role.designer, "Dana Designer"),
    ("admin", Role.admin, "Ada Admin"),
)
PASSWORD_FILE = "demo_password"
SEED = 20240901
TRUTH_SEED = 20240902  # the demo school's true guess/slip/learn per skill
POPULATIONS: tuple[Population, ...] = GRAPH_POPULATIONS


class DemoError(RuntimeError):
    """The demo cannot be seeded as configured; nothing was written."""


@dataclass
class DemoReport:
    password: str
    password_note: str
    logins: list[tuple[str, str]] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)


def demo_password(data_dir: Path) -> tuple[str, str]:
    """PATHWAYS_DEMO_PASSWORD, else one generated once and kept in the data dir (0600)."""
    given = os.environ.get("PATHWAYS_DEMO_PASSWORD")
    if given:
        return given, "from PATHWAYS_DEMO_PASSWORD"
    path = data_dir / PASSWORD_FILE
    if path.exists():
        return path.read_text().strip(), f"generated earlier, kept in {path}"
    data_dir.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(password + "\n")
    return password, f"generated now, kept in {path}"


def check_password(password: str) -> None:
    """The demo password must be one an account may have; DemoError before any write."""
    try:
        UserCreate(username="check", role=Role.student, password=password)
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]) for e in exc.errors())
        raise DemoError(f"PATHWAYS_DEMO_PASSWORD is not a usable password: {problems}") from None


def demo_classroom(graph: SkillGraph, guess_floors: Mapping[str, float]) -> Classroom:
    """The demo school's hidden truth on this skill graph (same draws for the same graph)."""
    return Classroom.draw(graph, np.random.default_rng(TRUTH_SEED), guess_floors)


def _user(session: Session, runtime: Runtime, name: str, role: Role, full: str, pw: str) -> User:
    found = users.find_user(session, name)
    if found is not None:
        return found
    return users.create_user(
        session, runtime, UserCreate(username=name, full_name=full, role=role, password=pw)
    )


def wrong_answer(item: ContentItem) -> str:
    """A readable but wrong answer of the item's kind."""
    key = item.answer
    if key.type == "multiple_choice":
        right = canonical_answer(key).casefold()
        return next(c for c in key.choices if c.casefold() != right)
    candidates = {
        "numeric": ["987654", "-987654"],
        "fraction": ["97/98", "98/97"],
        "short_text": ["no idea", "something else"],
    }[key.type]
    return next(c for c in candidates if not check_answer(item, c).correct)


def _simulate(session: Session, runtime: Runtime, student: User, index: int, answers: int) -> int:
    """Answer `answers` recommended items as a simulated student of the demo school."""
    assert student.id is not None
    snap = runtime.cache.get(session)
    classroom = demo_classroom(snap.graph, snap.guess_floors)
    population = POPULATIONS[index % len(POPULATIONS)]
    rng = np.random.default_rng([SEED, index])
    learner = Learner(classroom, population, draw_student(classroom, population, rng, answers))
    pick = random.Random(SEED + index)
    done = 0
    for n in range(answers):
        offered = practice.next_items(session, runtime, student.id)
        if offered.recommended is None:
            break
        choice = offered.recommended
        if offered.alternatives and pick.random() < 0.15:  # students sometimes pick another
            choice = pick.choice(offered.alternatives)
        item = snap.items[choice.item.id].content
        correct = learner.answer(item.skills[0], item.id)
        text = canonical_answer(item.answer) if correct else wrong_answer(item)
        body = AnswerSubmit(item_id=item.id, answer=text, idempotency_key=f"demo-{student.id}-{n}")
        submit_answer(session, runtime, student.id, body)
        done += 1
    return done


def _seed_classroom(session: Session, runtime: Runtime, password: str, report: DemoReport) -> None:
    """Curriculum, accounts, class and histories: one transaction (all or nothing)."""
    with outer_write_transaction(session):
        if current_curriculum_data(session) is None:
            text = sample_curriculum_path().read_text(encoding="utf-8")
            result = content_import.import_text(session, text, sample_curriculum_path().name)
            report.steps.append(f"imported the sample curriculum ({result['items']} items)")
        staff = {
            name: _user(session, runtime, name, role, full, password) for name, role, full in STAFF
        }
        if not runtime.passwords.verify(staff["teacher"].password_hash, password):
            report.password_note = (
                "the demo accounts already existed with another password, which they keep"
            )
        classroom = classes.get_or_create_class(session, CLASS_NAME)
        assert classroom.id is not None
        classes.add_teacher(session, classroom.id, staff["teacher"])
        rng = random.Random(SEED)
        students = []
        for i in range(1, STUDENTS + 1):
            name = f"student{i:02d}"
            student = _user(session, runtime, name, Role.student, f"Student {i:02d}", password)
            attrs = {
                "ell": "yes" if rng.random() < 0.2 else "no",
                "iep": "yes" if rng.random() < 0.12 else "no",
            }
            classes.enrol(session, classroom.id, student, attrs)
            students.append(student)
        simulated = 0
        for i, student in enumerate(students):
            has_history = session.exec(
                select(func.count())
                .select_from(ResponseLog)
                .where(ResponseLog.student_id == student.id)
            ).one()
            if not has_history:
                simulated += _simulate(
                    session, runtime, student, i, ANSWERS_MIN + (i * 7) % ANSWERS_SPREAD
                )
        if simulated:
            report.steps.append(f"simulated {simulated} answers for {len(students)} students")


def _refit(session: Session, runtime: Runtime, report: DemoReport) -> None:
    """Refit on the history; activate only what the gate passes."""
    job = fits.create_fit_job(session, None, FitOptions(restarts=3, random_state=SEED))
    assert job.id is not None
    fits.run_fit(session, job.id)
    job = fits.get_fit_job(session, job.id)
    if job.status != FitStatus.succeeded or job.param_set_id is None:
        raise DemoError(f"demo fit failed: {job.error}")
    try:
        params.activate(session, runtime, job.param_set_id)
    except GateRefused as refused:
        why = "; ".join(refused.gate.reasons)
        report.steps.append(
            f"fitted parameter set {job.param_set_id}, not activated (the gate refuses it: "
            f"{why}); running on the curriculum's starting values"
        )
        return
    report.steps.append(f"fitted parameter set {job.param_set_id}; the gate passed; activated")


def seed_demo(runtime: Runtime) -> DemoReport:
    """Seed (or find) the demo classroom; returns the logins to print."""
    password, note = demo_password(runtime.settings.data_dir)
    check_password(password)
    report = DemoReport(password=password, password_note=note)
    with runtime.session() as session:
        _seed_classroom(session, runtime, password, report)
        if active_param_set(session) is None and not _refit_tried(session):
            _refit(session, runtime, report)
        session.rollback()
    report.logins = [(name, role.value) for name, role, _ in STAFF]
    report.logins.append((f"student01 .. student{STUDENTS:02d}", "student"))
    return report


def _refit_tried(session: Session) -> bool:
    """A demo refit already ran (and the gate refused it): do not fit again on every start."""
    return session.exec(select(func.count()).select_from(FitJob)).one() > 0
