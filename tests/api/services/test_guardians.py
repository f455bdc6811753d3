"""Guardian links: who may make them, idempotence, atomic account creation, 404s."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from api.runtime import Runtime
from api.services import guardians
from api.services.errors import Conflict, Invalid, NotFound
from models.guardians import GuardianCreate, GuardianLink, LinkSource
from models.users import Role, User
from tests.utils import factories as f


def _id(user: User) -> int:
    assert user.id is not None
    return user.id


@pytest.fixture
def people(session: Session, runtime: Runtime) -> dict[str, User]:
    f.load_curriculum(session)
    p = {
        "teacher": f.make_user(session, runtime, Role.teacher),
        "other_teacher": f.make_user(session, runtime, Role.teacher),
        "admin": f.make_user(session, runtime, Role.admin),
        "student": f.make_user(session, runtime, Role.student),
        "other_student": f.make_user(session, runtime, Role.student),
        "guardian": f.make_user(session, runtime, Role.guardian),
    }
    f.make_class(session, p["teacher"], [p["student"]])
    f.make_class(session, p["other_teacher"], [p["other_student"]])
    return p


def _links(session: Session) -> list[tuple[int, int, str]]:
    session.commit()
    rows = session.exec(select(GuardianLink)).all()
    return sorted((r.guardian_id, r.student_id, r.source) for r in rows)


def test_linking_is_idempotent_and_records_who_made_it(
    session: Session, people: dict[str, User]
) -> None:
    g, s = _id(people["guardian"]), _id(people["student"])
    link, created = guardians.staff_link(session, people["teacher"], g, s)
    assert created and link.created_by == _id(people["teacher"])
    again, created_again = guardians.staff_link(session, people["teacher"], g, s)
    assert not created_again and again.created_at == link.created_at
    assert _links(session) == [(g, s, "staff")]


def test_a_roster_import_links_without_a_person(session: Session, people: dict[str, User]) -> None:
    g, s = _id(people["guardian"]), _id(people["other_student"])
    link, created = guardians.link_guardian(session, g, s, source=LinkSource.roster)
    assert created and link.created_by is None
    assert _links(session) == [(g, s, "roster")]


def test_a_teacher_links_only_students_of_their_classes(
    session: Session, people: dict[str, User]
) -> None:
    g = _id(people["guardian"])
    with pytest.raises(NotFound, match=f"no student {_id(people['other_student'])}"):
        guardians.staff_link(session, people["teacher"], g, _id(people["other_student"]))
    guardians.staff_link(session, people["admin"], g, _id(people["other_student"]))
    assert _links(session) == [(g, _id(people["other_student"]), "staff")]
    for role in ("student", "guardian"):
        with pytest.raises(NotFound):
            guardians.staff_link(session, people[role], g, _id(people["student"]))


@pytest.mark.parametrize(
    ("guardian", "student", "message"),
    [
        ("teacher", "student", "guardian_id: there is no guardian account with id"),
        ("guardian", "teacher", "no student"),  # not a student: 404 like a missing id
    ],
)
def test_links_join_a_guardian_to_a_student_only(
    session: Session, people: dict[str, User], guardian: str, student: str, message: str
) -> None:
    with pytest.raises((Invalid, NotFound), match=message):
        guardians.staff_link(session, people["admin"], _id(people[guardian]), _id(people[student]))
    with pytest.raises(Invalid, match="student_id: there is no student account"):
        guardians.link_guardian(session, _id(people["guardian"]), _id(people["teacher"]))
    assert _links(session) == []


def test_a_new_guardian_account_comes_with_its_link_or_not_at_all(
    session: Session, runtime: Runtime, people: dict[str, User]
) -> None:
    data = GuardianCreate(
        username="mum-of-s", full_name="Mum", password="long-enough-1",
        student_id=_id(people["student"]),
    )  # fmt: skip
    made, link = guardians.create_guardian(session, runtime, people["teacher"], data)
    assert made.role == Role.guardian and link.student_id == _id(people["student"])
    taken = data.model_copy(update={"student_id": _id(people["student"])})
    with pytest.raises(Conflict, match="already taken"):
        guardians.create_guardian(session, runtime, people["teacher"], taken)
    theirs = data.model_copy(
        update={"username": "dad-of-o", "student_id": _id(people["other_student"])}
    )
    with pytest.raises(NotFound):
        guardians.create_guardian(session, runtime, people["teacher"], theirs)
    session.commit()
    assert session.exec(select(User).where(User.username == "dad-of-o")).first() is None
    assert _links(session) == [(_id(made), _id(people["student"]), "staff")]


def test_guardian_create_refuses_another_role() -> None:
    with pytest.raises(ValueError, match="role guardian, not teacher"):
        GuardianCreate(username="x1", password="long-enough-1", student_id=1, role=Role.teacher)


def test_staff_see_and_remove_only_the_links_of_their_students(
    session: Session, people: dict[str, User]
) -> None:
    g = _id(people["guardian"])
    s, o = _id(people["student"]), _id(people["other_student"])
    guardians.link_guardian(session, g, s)
    guardians.link_guardian(session, g, o)
    assert [x.student_id for x in guardians.staff_links(session, people["teacher"])] == [s]
    assert {x.student_id for x in guardians.staff_links(session, people["admin"])} == {s, o}
    assert guardians.staff_links(session, people["guardian"]) == []
    with pytest.raises(NotFound):
        guardians.staff_unlink(session, people["teacher"], g, o)
    guardians.staff_unlink(session, people["teacher"], g, s)
    with pytest.raises(NotFound, match=f"guardian {g} is not linked to student {s}"):
        guardians.staff_unlink(session, people["teacher"], g, s)
    assert _links(session) == [(g, o, "staff")]


def test_a_guardian_reaches_only_linked_children(session: Session, people: dict[str, User]) -> None:
    g, s = people["guardian"], _id(people["student"])
    guardians.link_guardian(session, _id(g), s)
    assert [c.id for c in guardians.children(session, g)] == [s]
    assert guardians.linked_child(session, g, s).id == s
    other, missing = _id(people["other_student"]), 987_654
    for sid in (other, missing, _id(people["teacher"])):
        with pytest.raises(NotFound, match=f"^no student {sid}$"):
            guardians.linked_child(session, g, sid)
    with pytest.raises(NotFound):  # staff follow nobody through this door
        guardians.linked_child(session, people["admin"], s)
