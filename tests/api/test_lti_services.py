"""LTI Advantage services against the test platform over HTTP: scores to the line item
(AGS) from the outbox, with retries, and the roster from the membership service (NRPS)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlmodel import col, select

from api.lti_sender import ScoreSender
from models.classes import Enrolment
from models.lti import LtiContext, LtiScoreOutbox
from models.types import utcnow
from models.users import User
from tests.utils.curriculum import RIGHT
from tests.utils.lti_world import LtiWorld, launch, lti_world

_keys = itertools.count()
CONTEXT = "c1"


@pytest.fixture(scope="module")
def world() -> Iterator[LtiWorld]:
    with lti_world() as w:
        w.platform.add_member(CONTEXT, "Fractions 6A", "tea-1", "Cy Teacher", "Instructor")
        w.platform.add_link("graded", CONTEXT, {"pathways_goal": "skill:add"})
        yield w


def _student(world: LtiWorld, sub: str) -> dict[str, str]:
    """A student launched through the graded link; bearer headers for the API."""
    world.platform.add_member(CONTEXT, "Fractions 6A", sub, f"Student {sub}", "Learner")
    done = launch(world, CONTEXT, sub, "graded")
    assert done.response.status_code == 303, done.response.text
    return {"Authorization": f"Bearer {done.session_cookie}"}


def _answer(world: LtiWorld, headers: dict[str, str], item: str, right: bool = True) -> None:
    body = {
        "item_id": item,
        "answer": RIGHT[item] if right else "97/98",
        "idempotency_key": f"k{next(_keys)}",
        "goal": "add",
    }
    reply = httpx.post(world.tool + "/api/practice/answers", json=body, headers=headers, timeout=30)
    assert reply.status_code == 200 and reply.json()["recorded"], reply.text


def _scores(world: LtiWorld, sub: str) -> list[dict[str, object]]:
    link = world.platform.links["graded"]
    assert link.lineitem is not None
    return [s for s in world.platform.scores[link.lineitem] if s["userId"] == sub]


def _pending(world: LtiWorld) -> list[LtiScoreOutbox]:
    with world.session() as s:
        return list(s.exec(select(LtiScoreOutbox).where(col(LtiScoreOutbox.sent_at).is_(None))))


def test_scores_reach_the_line_item_only_when_they_change(world: LtiWorld) -> None:
    headers = _student(world, "ags-1")
    sender = ScoreSender(world.runtime)
    _answer(world, headers, "eq1")
    assert len(_pending(world)) == 1  # written with the answer, nothing sent yet
    outcome = sender.run_once()
    assert outcome.posted == 1 and outcome.failed == 0
    (first,) = _scores(world, "ags-1")
    assert first["scoreMaximum"] == 2.0  # add and its prerequisite equiv
    assert first["gradingProgress"] == "FullyGraded"
    assert _pending(world) == []
    # Right answers until the student masters the goal: a score only for each change.
    for item in ["eq2", "eq3", "eq1", "ad1", "ad2", "ad1", "ad2", "ad1", "ad2", "ad1"]:
        _answer(world, headers, item)
        sender.run_once()
    given = [s["scoreGiven"] for s in _scores(world, "ags-1")]
    assert all(a != b for a, b in itertools.pairwise(given)), given
    assert given[-1] == 2.0 and _scores(world, "ags-1")[-1]["activityProgress"] == "Completed"
    assert world.platform.token_requests <= 1 + 1  # one token, reused (renewal at most once)


def test_a_failing_platform_keeps_the_score_and_retries_with_backoff(world: LtiWorld) -> None:
    headers = _student(world, "ags-2")
    world.platform.fail_scores = 2
    _answer(world, headers, "eq1")  # the answer itself is recorded at once
    sender = ScoreSender(world.runtime)
    assert sender.run_once().failed == 1
    (row,) = _pending(world)
    assert row.attempts == 1 and row.last_error is not None and "503" in row.last_error
    assert row.next_attempt_at > utcnow()  # backed off: not due now
    assert sender.run_once().targets == 0
    later = ScoreSender(world.runtime, clock=lambda: utcnow() + timedelta(hours=2))
    assert later.run_once().failed == 1
    assert _pending(world)[0].attempts == 2
    much_later = ScoreSender(world.runtime, clock=lambda: utcnow() + timedelta(hours=5))
    assert much_later.run_once().posted == 1
    assert len(_scores(world, "ags-2")) == 1 and _pending(world) == []
    assert world.platform.score_failures >= 2


def test_backoff_grows_and_is_capped() -> None:
    class Never:
        def random(self) -> float:
            return 0.0

    sender = ScoreSender.__new__(ScoreSender)
    sender.rng = Never()  # type: ignore[assignment]
    waits = [sender.backoff_seconds(n) for n in range(1, 20)]
    assert waits[:3] == [2.0, 4.0, 8.0]
    assert max(waits) == 3600.0 and waits == sorted(waits)


def test_roster_sync_enrols_the_platforms_members_and_removes_those_gone(
    world: LtiWorld,
) -> None:
    teacher = launch(world, CONTEXT, "tea-1", "graded")
    headers = {"Authorization": f"Bearer {teacher.session_cookie}"}
    with world.session() as s:
        ctx = s.get(LtiContext, (world.platform_id, CONTEXT))
        assert ctx is not None
        class_id = ctx.class_id
    world.platform.add_member(CONTEXT, "Fractions 6A", "nrps-1", "Never Launched", "Learner")
    world.platform.add_member(CONTEXT, "Fractions 6A", "nrps-2", "Also New", "Learner")
    world.platform.add_member(CONTEXT, "Fractions 6A", "ta-1", "Tia Assistant", "Instructor")
    url = f"{world.tool}/api/lti/classes/{class_id}/roster-sync"
    first = httpx.post(url, headers=headers, timeout=30)
    assert first.status_code == 200, first.text
    assert first.json()["added_students"] >= 2 and first.json()["added_teachers"] == 1

    def names() -> set[str]:
        with world.session() as s:
            query = select(User.full_name).join(Enrolment, col(Enrolment.student_id) == User.id)
            return set(s.exec(query.where(Enrolment.class_id == class_id)).all())

    assert {"Never Launched", "Also New"} <= names()
    del world.platform.members[CONTEXT]["nrps-2"]
    again = httpx.post(url, headers=headers, timeout=30).json()
    assert again["removed_students"] == 1 and again["added_students"] == 0
    assert "Also New" not in names() and "Never Launched" in names()
    other = httpx.post(f"{world.tool}/api/lti/classes/987654/roster-sync", headers=headers)
    assert other.status_code == 404


def test_the_class_page_updates_the_class_list_from_the_lms(world: LtiWorld) -> None:
    teacher = launch(world, CONTEXT, "tea-1", "graded")
    cookie = teacher.session_cookie
    assert cookie is not None
    with world.session() as s:
        ctx = s.get(LtiContext, (world.platform_id, CONTEXT))
        assert ctx is not None
        class_id = ctx.class_id
    world.platform.add_member(CONTEXT, "Fractions 6A", "page-1", "Paz Page", "Learner")
    with httpx.Client(base_url=world.tool, cookies={"pathways_session": cookie}) as web:
        page = web.get(f"/teacher/classes/{class_id}")
        assert page.status_code == 200 and "Update class list from the LMS" in page.text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None

        def sync() -> httpx.Response:
            url = f"/teacher/classes/{class_id}/roster-sync"
            form = {"csrf_token": token.group(1)}
            return web.post(url, data=form, follow_redirects=True, timeout=30)

        done = sync()
        assert done.status_code == 200 and "Class list updated from the LMS" in done.text
        assert "Paz Page" in done.text  # on the heatmap now
        world.platform.fail_memberships = 1
        failed = sync()
        assert failed.status_code == 200 and "nothing was changed" in failed.text
        forged = web.post(f"/teacher/classes/{class_id}/roster-sync", data={})
        assert forged.status_code == 403


def test_an_unreadable_signing_key_keeps_the_score_queued(world: LtiWorld) -> None:
    """A wrong key-encryption key on a node: the score stays queued with the reason (and
    is sent once the key is right), and the sender does not stop."""
    from cryptography.fernet import Fernet

    from api.services import lti_keys
    from api.services.lti_tokens import TOKENS
    from models.lti import LtiPlatform

    headers = _student(world, "ags-3")
    _answer(world, headers, "eq1")
    with world.session() as s:
        lti_keys.current_key(s)  # the tool's key exists, sealed under the right KEK
        for platform in s.exec(select(LtiPlatform)):
            assert platform.id is not None
            TOKENS.forget(platform.id)  # the next score needs a token: a signed assertion
    right = world.runtime.settings.sealing_key
    lti_keys.use_key_encryption_key(world.runtime.engine, Fernet.generate_key().decode())
    try:
        outcome = ScoreSender(world.runtime).run_once()
    finally:
        lti_keys.use_key_encryption_key(world.runtime.engine, right)
    assert outcome.failed == 1
    (row,) = _pending(world)
    assert row.last_error is not None and "cannot be decrypted" in row.last_error
    later = ScoreSender(world.runtime, clock=lambda: utcnow() + timedelta(hours=2))
    assert later.run_once().posted == 1 and _pending(world) == []
