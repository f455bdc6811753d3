"""Deep linking over HTTP: a teacher picks a goal, the platform verifies the signed
LtiDeepLinkingResponse, and the link it makes launches students onto that goal."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.utils.lti_world import LtiWorld, form_fields, launch, lti_world


@pytest.fixture(scope="module")
def world() -> Iterator[LtiWorld]:
    with lti_world() as w:
        w.platform.add_member("c1", "Fractions 5B", "tea-1", "Cy Teacher", "Instructor")
        w.platform.add_member("c1", "Fractions 5B", "stu-1", "Ada Student", "Learner")
        yield w


def _picker(world: LtiWorld, sub: str) -> tuple[httpx.Client, str]:
    done = launch(world, "c1", sub, deep_link=True)
    assert done.response.status_code == 303, done.response.text
    target = done.response.headers["location"]
    assert target.startswith("/lti/deep-link?request=")
    client = httpx.Client(
        base_url=world.tool, cookies={"pathways_session": done.session_cookie or ""}, timeout=30
    )
    return client, target


def test_teacher_picks_a_skill_and_the_platform_accepts_the_signed_link(world: LtiWorld) -> None:
    client, target = _picker(world, "tea-1")
    with client:
        page = client.get(target)
        assert page.status_code == 200 and "Skill: Adding fractions" in page.text
        assert "Unit: " in page.text
        fields = form_fields(page.text)
        chosen = client.post("/lti/deep-link", data=fields | {"goal": "skill:add"})
    assert chosen.status_code == 200, chosen.text
    back = world.platform.base_url
    assert f"form-action 'self' {back}" in chosen.headers["content-security-policy"]
    assert chosen.headers["content-security-policy"].count("form-action") == 1
    reply = {"JWT": form_fields(chosen.text)["JWT"]}
    added = httpx.post(f"{back}/deeplink/return/c1", data=reply, timeout=30)
    assert added.status_code == 200 and "Added: Pathways: Adding fractions" in added.text
    (item,) = world.platform.deep_link_items
    assert item["type"] == "ltiResourceLink"
    assert item["url"] == world.tool + "/lti/launch"
    assert item["custom"] == {"pathways_goal": "skill:add"}
    assert item["lineItem"]["scoreMaximum"] == 2  # add and its prerequisite equiv
    # The LMS now has the assignment; a student's launch of it lands on its goal.
    link_id = next(k for k, v in world.platform.links.items() if v.custom)
    student = launch(world, "c1", "stu-1", link_id)
    assert student.response.headers["location"] == "/student?goal=add"


def test_a_tampered_response_is_refused_by_the_platform(world: LtiWorld) -> None:
    client, target = _picker(world, "tea-1")
    with client:
        fields = form_fields(client.get(target).text)
        chosen = client.post("/lti/deep-link", data=fields | {"goal": "unit:u1"})
    token = form_fields(chosen.text)["JWT"]
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-4]}AAAA"
    refused = httpx.post(
        f"{world.platform.base_url}/deeplink/return/c1", data={"JWT": forged}, timeout=30
    )
    assert refused.status_code == 400 and "Refused" in refused.text


def test_the_picker_is_for_teachers_and_its_request_is_bound_to_them(world: LtiWorld) -> None:
    before = world.counts()
    student = launch(world, "c1", "stu-1", deep_link=True)
    assert student.response.status_code == 400 and "Only teachers" in student.response.text
    assert world.counts() == before
    client, target = _picker(world, "tea-1")
    with client:
        spoilt = client.get(target[:-3] + "abc")
        assert spoilt.status_code == 400 and "not one Pathways issued" in spoilt.text
        fields = form_fields(client.get(target).text)
        bad_goal = client.post("/lti/deep-link", data=fields | {"goal": "skill:nope"})
        assert bad_goal.status_code == 422 and "unknown skill" in bad_goal.text
