"""Guardian links: who may follow which student, and who may make those links.

Staff make links through `staff_link` (a teacher only for students in their classes,
an admin for anyone); a roster import calls `link_guardian` directly with the ids it
resolved from OneRoster's guardian relations and `source=LinkSource.roster`. Linking is
idempotent, so a re-import or a double click changes nothing. A guardian reads a
child's records only through `linked_child`, which answers 404 for every student that
is not linked to them, exactly as for an id that does not exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from api.db import outer_write_transaction, write_transaction
from api.services.access import visible_student
from api.services.errors import Invalid, NotFound
from api.services.users import create_user
from models.classes import ClassTeacher, Enrolment
from models.guardians import GuardianCreate, GuardianLink, GuardianLinkPublic, LinkSource
from models.users import Role, User

if TYPE_CHECKING:
    from api.runtime import Runtime

STAFF_ROLES = (Role.teacher, Role.admin)


def _account(session: Session, user_id: int, role: Role, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or user.role != role:
        raise Invalid(f"{field}: there is no {role.value} account with id {user_id}")
    return user


def link_guardian(
    session: Session,
    guardian_id: int,
    student_id: int,
    *,
    source: LinkSource = LinkSource.staff,
    created_by: int | None = None,
) -> tuple[GuardianLink, bool]:
    """Link a guardian account to a student account; (the link, whether it is new).

    No permission check: callers decide who may link (`staff_link` for people, a
    roster import for its own relations). Both ids must be accounts of the right role.
    """
    try:
        with write_transaction(session):
            _account(session, guardian_id, Role.guardian, "guardian_id")
            _account(session, student_id, Role.student, "student_id")
            found = session.get(GuardianLink, (guardian_id, student_id))
            if found is not None:
                return found, False
            link = GuardianLink(
                guardian_id=guardian_id,
                student_id=student_id,
                source=source,
                created_by=created_by,
            )
            session.add(link)
    except IntegrityError:
        # Another writer made the same link in between (PostgreSQL): it exists now.
        found = session.get(GuardianLink, (guardian_id, student_id))
        if found is None:
            raise
        return found, False
    return link, True


def _check_staff(session: Session, actor: User, student_id: int) -> User:
    """The student if the actor may manage their guardians, else NotFound (or Invalid)."""
    if actor.role not in STAFF_ROLES:
        raise NotFound(f"no student {student_id}")
    student = visible_student(session, actor, student_id)
    if student.role != Role.student:  # staff may see themselves, but they are no student
        raise NotFound(f"no student {student_id}")
    return student


def staff_link(
    session: Session, actor: User, guardian_id: int, student_id: int
) -> tuple[GuardianLink, bool]:
    """A teacher links a guardian to a student in one of their classes; an admin to anyone."""
    _check_staff(session, actor, student_id)
    return link_guardian(session, guardian_id, student_id, created_by=actor.id)


def create_guardian(
    session: Session, runtime: Runtime, actor: User, data: GuardianCreate
) -> tuple[User, GuardianLink]:
    """A new guardian account and its first link, both or neither (a teacher may not
    make accounts that follow nobody, nor follow someone else's students)."""
    _check_staff(session, actor, data.student_id)
    with outer_write_transaction(session):
        guardian = create_user(session, runtime, data)  # role guardian: GuardianCreate checks
        assert guardian.id is not None
        link, _ = link_guardian(session, guardian.id, data.student_id, created_by=actor.id)
    return guardian, link


def staff_unlink(session: Session, actor: User, guardian_id: int, student_id: int) -> None:
    """Remove a link the actor could have made; NotFound if there is none."""
    _check_staff(session, actor, student_id)
    with write_transaction(session):
        link = session.get(GuardianLink, (guardian_id, student_id))
        if link is None:
            raise NotFound(f"guardian {guardian_id} is not linked to student {student_id}")
        session.delete(link)


def staff_links(session: Session, actor: User) -> list[GuardianLinkPublic]:
    """The links of the students a teacher teaches (an admin: every link), by student."""
    if actor.role not in STAFF_ROLES:
        return []
    guardian, student = aliased(User), aliased(User)
    query = (
        select(GuardianLink, guardian, student)
        .join(guardian, col(guardian.id) == GuardianLink.guardian_id)
        .join(student, col(student.id) == GuardianLink.student_id)
        .order_by(col(student.username), col(guardian.username))
    )
    if actor.role == Role.teacher:
        taught = (
            select(Enrolment.student_id)
            .join(ClassTeacher, ClassTeacher.class_id == Enrolment.class_id)  # type: ignore[arg-type]
            .where(ClassTeacher.teacher_id == actor.id)
        )
        query = query.where(col(GuardianLink.student_id).in_(taught))
    return [_public(link, g, s) for link, g, s in session.exec(query).all()]


def _public(link: GuardianLink, guardian: User, student: User) -> GuardianLinkPublic:
    return GuardianLinkPublic(
        guardian_id=link.guardian_id,
        guardian_username=guardian.username,
        guardian_name=guardian.full_name,
        student_id=link.student_id,
        student_username=student.username,
        student_name=student.full_name,
        source=LinkSource(link.source),
        created_at=link.created_at,
    )


def link_public(session: Session, link: GuardianLink) -> GuardianLinkPublic:
    guardian = session.get(User, link.guardian_id)
    student = session.get(User, link.student_id)
    assert guardian is not None and student is not None
    return _public(link, guardian, student)


def children(session: Session, guardian: User) -> list[User]:
    """The active student accounts linked to this guardian, by name."""
    if guardian.role != Role.guardian:
        return []
    rows = session.exec(
        select(User)
        .join(GuardianLink, GuardianLink.student_id == User.id)  # type: ignore[arg-type]
        .where(GuardianLink.guardian_id == guardian.id, User.role == Role.student)
        .order_by(col(User.full_name), col(User.username))
    ).all()
    return list(rows)


def linked_child(session: Session, guardian: User, student_id: int) -> User:
    """The student if linked to this guardian, else NotFound (same as a missing id)."""
    if guardian.role == Role.guardian and guardian.id is not None:
        link = session.get(GuardianLink, (guardian.id, student_id))
        student = session.get(User, student_id) if link is not None else None
        if student is not None and student.role == Role.student:
            return student
    raise NotFound(f"no student {student_id}")
