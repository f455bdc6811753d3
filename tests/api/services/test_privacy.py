"""Export and purge of one student: everything, only them, audited without personal data."""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.runtime import Runtime
from api.services import privacy
from api.services.errors import Invalid, NotFound
from api.services.replay import replay
from api.services.roster_import import run_import
from models.audit import AuditEvent, PurgeRequest
from models.classes import Enrolment
from models.mastery import Mastery, StudentStateRow
from models.responses import AnswerReply, ResponseLog
from models.roster import RosterImport
from models.users import Role, User
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT, WRONG
from tests.utils.queries import derived_state
from tests.utils.roster import small_school

ITEMS = ["eq1", "eq2", "eq3", "ad1", "ad2", "ad3", "mu1", "mu2", "mu3"]
REASON = "parent's written request under the district contract"


def _class_of_four(
    client: TestClient, session: Session, runtime: Runtime, rng: random.Random, answers: int
) -> list[User]:
    f.load_curriculum(session)
    students = [
        f.make_user(session, runtime, Role.student, full_name="Zed Quill") for _ in range(4)
    ]
    teacher = f.make_user(session, runtime, Role.teacher)
    f.make_class(session, teacher, students, attributes={students[0].id or 0: {"ell": "yes"}})
    headers = [f.login(client, s.username) for s in students]
    for _ in range(answers):
        h = rng.choice(headers)
        item = rng.choice(ITEMS)
        text = RIGHT[item] if rng.random() < 0.6 else WRONG[item]
        assert f.answer(client, h, item, text).json()["recorded"]
    return students


def _count(session: Session, model: object, **where: object) -> int:
    query = select(func.count()).select_from(model)  # type: ignore[arg-type]
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    found = int(session.execute(query).scalar_one())
    session.commit()  # end the read: the in-memory database has one connection
    return found


def test_export_holds_the_students_rows_and_no_one_elses(
    client: TestClient, session: Session, runtime: Runtime, seed: int
) -> None:
    students = _class_of_four(client, session, runtime, random.Random(seed), answers=30)
    target = students[0]
    assert target.id is not None
    export = privacy.export_student(session, target.id)
    assert export["student"]["username"] == target.username
    assert "password_hash" not in export["student"]
    tables = export["tables"]
    logged = _count(session, ResponseLog, student_id=target.id)
    assert len(tables["response_log"]) == logged
    assert {r["student_id"] for r in tables["response_log"]} <= {target.id}
    assert len(tables["answer_reply"]) == logged
    assert tables["enrolment"][0]["attributes"] == {"ell": "yes"}
    assert {r["student_id"] for r in tables["mastery"]} <= {target.id}
    assert len(tables["student_state"]) == (1 if logged else 0)

    archive = zipfile.ZipFile(io.BytesIO(privacy.export_zip(export)))
    assert "student.csv" in archive.namelist() and "response_log.csv" in archive.namelist()
    rows = list(csv.DictReader(io.StringIO(archive.read("response_log.csv").decode())))
    assert len(rows) == logged
    enrolled = list(csv.DictReader(io.StringIO(archive.read("enrolment.csv").decode())))
    assert json.loads(enrolled[0]["attributes"]) == {"ell": "yes"}


def test_purge_removes_the_student_and_replay_still_equals_everyone_elses_mastery(
    client: TestClient,
    session: Session,
    runtime: Runtime,
    engine: Engine,
    seed: int,
) -> None:
    students = _class_of_four(client, session, runtime, random.Random(seed), answers=80)
    target, admin = students[1], f.make_user(session, runtime, Role.admin)
    assert target.id is not None
    # make sure the target has answered, whatever the draw
    headers = f.login(client, target.username)
    assert f.answer(client, headers, "eq1", RIGHT["eq1"]).json()["recorded"]
    others_log = _count(session, ResponseLog) - _count(session, ResponseLog, student_id=target.id)
    session.commit()
    mastery, states = derived_state(engine)
    kept_mastery = [row for row in mastery if row[0] != target.id]
    kept_states = [row for row in states if row[0] != target.id]

    result = privacy.purge_student(
        session, target.id, PurgeRequest(confirm_username=target.username, reason=REASON), admin.id
    )
    assert result.deleted["response_log"] >= 1
    assert session.get(User, target.id) is None
    for model in (ResponseLog, Mastery, StudentStateRow, Enrolment):
        assert _count(session, model, student_id=target.id) == 0
    assert _count(session, ResponseLog) == others_log
    assert _count(session, AnswerReply) == others_log
    assert derived_state(engine) == (kept_mastery, kept_states)
    replay(session, runtime.cache)
    assert derived_state(engine) == (kept_mastery, kept_states)
    assert client.get("/api/me", headers=headers).status_code == 401

    event = session.execute(select(AuditEvent)).scalar_one()
    session.commit()
    assert (event.action, event.actor_id, event.reason) == ("purge", admin.id, REASON)
    recorded = json.dumps(event.details)
    assert target.username not in recorded and "Zed" not in recorded
    assert "student_id" not in recorded and str(target.id) not in json.dumps(
        {k: v for k, v in event.details.items() if k != "responses"}
    )
    # the append-only guarantee holds again for everyone else
    from sqlalchemy.exc import DBAPIError

    other = students[2].id
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(ResponseLog.__table__.delete().where(ResponseLog.student_id == other))  # type: ignore[attr-defined]


def test_purge_needs_the_username_typed_and_a_reason_that_names_no_one(
    client: TestClient, session: Session, runtime: Runtime, engine: Engine, seed: int
) -> None:
    students = _class_of_four(client, session, runtime, random.Random(seed), answers=10)
    target = students[0]
    assert target.id is not None
    before = _count(session, ResponseLog)
    cases = {
        ("someone.else", REASON): "confirm_username",
        (target.username, "   because   "): "reason",
        (target.username, f"request from {target.username}'s parent"): "reason",
        (target.username, "request about zed from the district"): "reason",
    }
    for (typed, reason), field in cases.items():
        with pytest.raises(Invalid) as caught:
            privacy.purge_student(
                session, target.id, PurgeRequest(confirm_username=typed, reason=reason), None
            )
        assert [e["location"] for e in caught.value.detail["errors"]] == [field]
    assert _count(session, ResponseLog) == before and session.get(User, target.id) is not None
    assert _count(session, AuditEvent) == 0
    teacher = session.execute(select(User).where(User.role == Role.teacher)).scalars().first()
    assert teacher is not None and teacher.id is not None
    with pytest.raises(NotFound):
        privacy.purge_student(
            session,
            teacher.id,
            PurgeRequest(confirm_username=teacher.username, reason=REASON),
            None,
        )


def test_purge_scrubs_the_student_from_stored_roster_reports(
    session: Session, engine: Engine
) -> None:
    run_import(session, small_school().files(), "roster")
    amy = session.execute(select(User).where(User.username == "amy.lee")).scalar_one()
    assert amy.id is not None
    mentioned = privacy.export_student(session, amy.id)["tables"]["roster_import_report"]
    assert sorted(e["sourced_id"] for e in mentioned) == ["e2", "s1", "s1"]
    assert len(mentioned) == 3  # her account, her enrolment, her demographics
    privacy.purge_student(
        session, amy.id, PurgeRequest(confirm_username="amy.lee", reason=REASON), None
    )
    report = session.execute(select(RosterImport)).scalar_one().report
    session.commit()
    text = json.dumps(report)
    assert "amy.lee" not in text and '"s1"' not in text
    assert "ben.ortiz" in text  # the others' entries stay
