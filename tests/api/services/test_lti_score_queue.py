"""The answer path's one LTI write: an outbox row per graded link of the student, in the
answer's own transaction, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from api.db import write_transaction
from api.runtime import Runtime
from api.services import lti_platforms
from models.lti import LtiGradeTarget, LtiLink, LtiPlatformCreate, LtiScoreOutbox
from models.users import Role
from tests.utils import factories as f
from tests.utils.curriculum import RIGHT

LMS = {
    "name": "LMS",
    "issuer": "https://lms.example.org",
    "client_id": "pathways",
    "deployment_ids": ["d1"],
    "auth_login_url": "https://lms.example.org/auth",
    "auth_token_url": "https://lms.example.org/token",
    "jwks_url": "https://lms.example.org/jwks",
}


def test_an_answer_queues_one_score_per_graded_link_and_none_for_others(
    client: TestClient, session: Session, runtime: Runtime
) -> None:
    f.load_curriculum(session)
    graded = f.make_user(session, runtime, Role.student)
    plain = f.make_user(session, runtime, Role.student)
    room = f.make_class(session, None, [graded, plain])
    platform = lti_platforms.create_platform(session, LtiPlatformCreate.model_validate(LMS))
    assert platform.id is not None and room.id is not None and graded.id is not None
    with write_transaction(session):
        links = [
            LtiLink(
                platform_id=platform.id,
                resource_link_id=f"r{n}",
                class_id=room.id,
                goal="skill:add",
                lineitem_url=f"https://lms.example.org/li/{n}",
            )
            for n in (1, 2)
        ]
        session.add_all(links)
        session.flush()
        for link in links:
            assert link.id is not None
            session.add(LtiGradeTarget(link_id=link.id, user_id=graded.id, sub="s-1"))
    replies = [
        f.answer(client, f.login(client, user.username), "eq1", RIGHT["eq1"])
        for user in (graded, plain)
    ]
    assert all(r.status_code == 200 for r in replies), [r.text for r in replies]
    rows = session.exec(select(LtiScoreOutbox)).all()
    assert len(rows) == 2
    assert {r.response_id for r in rows} == {replies[0].json()["response_id"]}
    assert all(r.sent_at is None and r.attempts == 0 for r in rows)
