"""LTI 1.3 launches from the test platform (tests/utils/lti_platform.py) over HTTP:
account linking, landing pages, and every refusal leaving nothing behind."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlmodel import select

from models.classes import ClassTeacher, Enrolment
from models.lti import LtiAccount, LtiContext, LtiGradeTarget, LtiLink
from models.users import Role, User
from tests.utils.lti_world import LtiWorld, launch, lti_world, post_launch


@pytest.fixture(scope="module")
def world() -> Iterator[LtiWorld]:
    with lti_world() as w:
        p = w.platform
        p.add_member("c1", "Grade 5 fractions", "stu-1", "Ada Student", "Learner")
        p.add_member("c1", "Grade 5 fractions", "stu-2", "Bo Student", "Learner")
        p.add_member("c1", "Grade 5 fractions", "tea-1", "Cy Teacher", "Instructor")
        p.add_member("c1", "Grade 5 fractions", "odd-1", "Dee Guest", "Guest")
        p.add_link("assign-add", "c1", {"pathways_goal": "skill:add"})
        p.add_link("assign-unit", "c1", {"pathways_goal": "unit:u1"}, graded=False)
        p.add_link("assign-bad", "c1", {"pathways_goal": "skill:nope"})
        yield w


def _user(world: LtiWorld, sub: str) -> User | None:
    with world.session() as s:
        link = s.get(LtiAccount, (world.platform_id, sub))
        return None if link is None else s.get(User, link.user_id)


def test_student_launch_links_account_and_class_and_lands_on_the_goal(world: LtiWorld) -> None:
    done = launch(world, "c1", "stu-1", "assign-add")
    assert done.response.status_code == 303, done.response.text
    assert done.response.headers["location"] == "/student?goal=add"
    set_cookie = done.response.headers.get_list("set-cookie")
    session_cookie = next(c for c in set_cookie if c.startswith("pathways_session="))
    assert "samesite=none" in session_cookie.lower() and "secure" in session_cookie.lower()
    user = _user(world, "stu-1")
    assert user is not None and user.role == Role.student and user.full_name == "Ada Student"
    with world.session() as s:
        ctx = s.get(LtiContext, (world.platform_id, "c1"))
        assert ctx is not None and ctx.memberships_url is not None
        assert s.get(Enrolment, (ctx.class_id, user.id)) is not None
        link = s.exec(select(LtiLink).where(LtiLink.resource_link_id == "assign-add")).one()
        assert link.goal == "skill:add" and link.lineitem_url is not None
        target = s.exec(select(LtiGradeTarget).where(LtiGradeTarget.user_id == user.id)).one()
        assert target.link_id == link.id and target.sub == "stu-1"
    # The session the launch started works for the student's pages.
    page = httpx.get(
        world.tool + "/student?goal=add",
        cookies={"pathways_session": done.session_cookie or ""},
        timeout=30,
    )
    assert page.status_code == 200 and "Adding fractions" in page.text


def test_a_second_launch_finds_the_same_user_and_class(world: LtiWorld) -> None:
    launch(world, "c1", "stu-2", "assign-add")
    first = _user(world, "stu-2")
    before = world.counts()
    again = launch(world, "c1", "stu-2", "assign-add")
    assert again.response.status_code == 303
    assert _user(world, "stu-2") == first
    assert world.counts() == before


def test_unit_goal_lands_on_the_units_last_skill(world: LtiWorld) -> None:
    done = launch(world, "c1", "stu-1", "assign-unit")
    assert done.response.headers["location"] == "/student?goal=mul"


def test_teacher_launch_lands_on_the_class_heatmap(world: LtiWorld) -> None:
    done = launch(world, "c1", "tea-1", "assign-add")
    assert done.response.status_code == 303, done.response.text
    teacher = _user(world, "tea-1")
    assert teacher is not None and teacher.role == Role.teacher
    with world.session() as s:
        ctx = s.get(LtiContext, (world.platform_id, "c1"))
        assert ctx is not None
        assert s.get(ClassTeacher, (ctx.class_id, teacher.id)) is not None
    assert done.response.headers["location"] == f"/teacher/classes/{ctx.class_id}"
    heatmap = httpx.get(
        world.tool + done.response.headers["location"],
        cookies={"pathways_session": done.session_cookie or ""},
        timeout=30,
    )
    assert heatmap.status_code == 200 and "class heatmap" in heatmap.text


@pytest.mark.parametrize(
    ("spoil", "says"),
    [
        ("signature", "signature does not verify"),
        ("expired", "has expired"),
        ("audience", "audience"),
    ],
)
def test_spoiled_tokens_are_refused_and_create_nothing(
    world: LtiWorld, spoil: str, says: str
) -> None:
    world.platform.add_member("c9", "Spoilt class", f"new-{spoil}", "New Person", "Learner")
    world.platform.add_link(f"link-{spoil}", "c9")
    before = world.counts()
    world.platform.spoil = spoil
    done = launch(world, "c9", f"new-{spoil}", f"link-{spoil}")
    assert done.response.status_code == 400
    assert says in done.response.text
    assert "text/html" in done.response.headers["content-type"]
    assert done.session_cookie is None
    assert world.counts() == before
    assert _user(world, f"new-{spoil}") is None


def test_a_replayed_launch_is_refused(world: LtiWorld) -> None:
    world.platform.add_member("c8", "Replay class", "rep-1", "Rae Play", "Learner")
    world.platform.add_link("link-replay", "c8")
    first = launch(world, "c8", "rep-1", "link-replay")
    assert first.response.status_code == 303
    before = world.counts()
    again = post_launch(world, first.form, first.state_cookie)
    assert again.response.status_code == 400
    assert "already used" in again.response.text
    assert again.session_cookie is None and world.counts() == before


def test_a_launch_without_the_login_cookie_is_refused(world: LtiWorld) -> None:
    world.platform.add_member("c7", "Cookie class", "ck-1", "Cat Cookie", "Learner")
    world.platform.add_link("link-cookie", "c7")
    before = world.counts()
    done = launch(world, "c7", "ck-1", "link-cookie", cookie=None)
    assert (
        done.response.status_code == 400 and "did not start in this browser" in done.response.text
    )
    assert world.counts() == before


def test_unknown_roles_and_goals_are_refused(world: LtiWorld) -> None:
    before = world.counts()
    odd = launch(world, "c1", "odd-1", "assign-add")
    assert odd.response.status_code == 400 and "roles" in odd.response.text
    assert world.counts() == before
    bad = launch(world, "c1", "stu-1", "assign-bad")
    assert bad.response.status_code == 400 and "not in the curriculum" in bad.response.text


def test_login_from_an_unregistered_issuer_is_refused(world: LtiWorld) -> None:
    reply = httpx.get(
        world.tool + "/lti/login",
        params={
            "iss": "https://lms.example.org",
            "login_hint": "x",
            "target_link_uri": world.tool + "/lti/launch",
        },
        timeout=30,
    )
    assert reply.status_code == 400 and "no registration for issuer" in reply.text
    missing = httpx.get(world.tool + "/lti/login", params={"iss": "x"}, timeout=30)
    assert missing.status_code == 400 and "login_hint" in missing.text
