"""A response log written straight into the database, for tests of what reads it (the
answer path is not under test there)."""

from __future__ import annotations

import random

from sqlalchemy import func, select
from sqlmodel import Session

from api.runtime import Runtime
from api.services.fits import create_fit_job, run_fit
from models.fit_jobs import FitJob, FitOptions, FitStatus
from models.responses import ResponseLog
from models.users import Role
from tests.utils import factories as f

ITEMS = {
    "eq1": ["equiv"],
    "eq2": ["equiv"],
    "eq3": ["equiv"],
    "ad1": ["add"],
    "ad2": ["add"],
    "ad3": ["add", "equiv"],
    "mu1": ["mul"],
    "mu2": ["mul"],
}
FLOORS = {"eq3": 0.34, "mu2": 0.25}


def seed_log(session: Session, runtime: Runtime, seed: int, n_students: int = 14) -> int:
    """Answers written straight into the log (the answer path is not under test); ids of
    more than one digit, so string order of students differs from numeric order."""
    f.load_curriculum(session)
    students = [f.make_user(session, runtime, Role.student) for _ in range(n_students)]
    rng = random.Random(seed)
    for n in range(600):
        student = rng.choice(students)
        assert student.id is not None
        item = rng.choice(sorted(ITEMS))
        session.add(
            ResponseLog(
                student_id=student.id,
                item_id=item,
                raw_answer="x",
                correct=rng.random() < 0.3 + 0.4 * (student.id % 2),
                skills=ITEMS[item],
                attempt=1,
                idempotency_key=f"k{n}",
            )
        )
    session.commit()
    last = session.execute(select(func.max(ResponseLog.id))).scalar_one()
    session.rollback()
    return int(last)


def run_fit_job(session: Session, options: FitOptions) -> FitJob:
    """A fit job created and run to completion in this session (it must succeed)."""
    job = create_fit_job(session, None, options)
    assert job.id is not None
    run_fit(session, job.id)
    done = session.get(FitJob, job.id)
    assert done is not None
    session.refresh(done)
    assert done.status == FitStatus.succeeded, done.error
    return done
