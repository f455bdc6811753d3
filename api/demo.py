"""`pathways serve --demo`: a classroom to click through, seeded idempotently.

Seeds the sample curriculum, a teacher, a designer, an admin and a class of 25
students with subgroup attributes (English learner, IEP), gives each student a
practice history, then fits and activates parameters on that history. Answers go
through the real answer service (`api.services.answers.submit_answer`, the recommender choosing
each item), so the log, the mastery rows and the stored replies are exactly what
students clicking would have produced. Students' answers come from a hidden true
state drawn like `engine.recommend.sim` (a share of skills known at the start,
BKT-style learning), seeded so every run produces the same classroom.

Every step is skipped when already done (existing users, class, curriculum,
history, active parameters), so running it again changes nothing.
"""

from __future__ import annotations

import os
import random
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, select

from api.services import classes, content_import, fits, params, practice, users
from api.services.answers import submit_answer
from api.services.cache import active_param_set
from api.services.curriculum_store import current_curriculum_data
from content import sample_curriculum_path
from content.answers import canonical_answer, check_answer
from content.models import Item as ContentItem
from models.fit_jobs import FitOptions, FitStatus
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


def _user(session: Session, runtime: Runtime, name: str, role: Role, full: str, pw: str) -> User:
    found = users.find_user(session, name)
    if found is not None:
        return found
    return users.create_user(
        session, runtime, UserCreate(username=name, full_name=full, role=role, password=pw)
    )


def _wrong_answer(item: ContentItem) -> str:
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


def _simulate(
    session: Session, runtime: Runtime, student: User, rng: random.Random, answers: int
) -> int:
    """Answer `answers` recommended items as a student with a hidden true state."""
    assert student.id is not None
    snap = runtime.cache.get(session)
    known = {s: rng.random() < 0.35 for s in snap.skills}
    ability = rng.lognormvariate(0.0, 0.3)
    done = 0
    for n in range(answers):
        offered = practice.next_items(session, runtime, student.id)
        if offered.recommended is None:
            break
        choice = offered.recommended
        if offered.alternatives and rng.random() < 0.15:  # students sometimes pick another
            choice = rng.choice(offered.alternatives)
        item = snap.items[choice.item.id].content
        skill = item.skills[0]
        correct = rng.random() < (0.9 if known[skill] else 0.2)
        text = canonical_answer(item.answer) if correct else _wrong_answer(item)
        body = AnswerSubmit(item_id=item.id, answer=text, idempotency_key=f"demo-{student.id}-{n}")
        submit_answer(session, runtime, student.id, body)
        if not known[skill]:
            gaps = sum(not known.get(p, True) for p in snap.graph.prerequisites(skill))
            known[skill] = rng.random() < min(1.0, 0.25 * ability * 0.3**gaps)
        done += 1
    return done


def seed_demo(runtime: Runtime) -> DemoReport:
    """Seed (or find) the demo classroom; returns the logins to print."""
    password, note = demo_password(runtime.settings.data_dir)
    report = DemoReport(password=password, password_note=note)
    with runtime.session() as session:
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
            session.rollback()
            if not has_history:
                simulated += _simulate(
                    session,
                    runtime,
                    student,
                    random.Random(SEED + i),
                    ANSWERS_MIN + (i * 7) % ANSWERS_SPREAD,
                )
        if simulated:
            report.steps.append(f"simulated {simulated} answers for {len(students)} students")
        if active_param_set(session) is None:
            job = fits.create_fit_job(session, None, FitOptions(restarts=3, random_state=SEED))
            assert job.id is not None
            fits.run_fit(session, job.id)
            job = fits.get_fit_job(session, job.id)
            if job.status != FitStatus.succeeded or job.param_set_id is None:
                raise RuntimeError(f"demo fit failed: {job.error}")
            params.activate(session, runtime, job.param_set_id)
            report.steps.append(f"fitted and activated parameter set {job.param_set_id}")
        session.rollback()
    report.logins = [(name, role.value) for name, role, _ in STAFF]
    report.logins.append((f"student01 .. student{STUDENTS:02d}", "student"))
    return report
