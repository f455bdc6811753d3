"""Classes, teachers and enrolments (with optional subgroup attributes)."""

from __future__ import annotations

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.access import visible_class
from api.services.errors import Conflict, Invalid, NotFound
from models.classes import (
    Classroom,
    ClassroomPublic,
    ClassTeacher,
    Enrolment,
    EnrolmentPublic,
    check_attributes,
)
from models.users import Role, User


def create_class(session: Session, name: str) -> Classroom:
    classroom = Classroom(name=name)
    try:
        with write_transaction(session):
            session.add(classroom)
    except IntegrityError:
        raise Conflict(f"a class named {name!r} already exists") from None
    return classroom


def find_class(session: Session, name: str) -> Classroom | None:
    return session.exec(select(Classroom).where(Classroom.name == name)).first()


def get_or_create_class(session: Session, name: str) -> Classroom:
    return find_class(session, name) or create_class(session, name)


def add_teacher(session: Session, class_id: int, teacher: User) -> None:
    if teacher.role not in (Role.teacher, Role.admin):
        raise Invalid(f"user {teacher.username!r} is a {teacher.role}, not a teacher")
    assert teacher.id is not None
    with write_transaction(session):
        if session.get(Classroom, class_id) is None:
            raise NotFound(f"no class {class_id}")
        if session.get(ClassTeacher, (class_id, teacher.id)) is None:
            session.add(ClassTeacher(class_id=class_id, teacher_id=teacher.id))


def enrol(
    session: Session, class_id: int, student: User, attributes: dict[str, str] | None = None
) -> Enrolment:
    """Enrol a student (or update their attributes if already enrolled)."""
    if student.role != Role.student:
        raise Invalid(f"user {student.username!r} is a {student.role}, not a student")
    attrs = check_attributes(attributes or {})
    assert student.id is not None
    with write_transaction(session):
        if session.get(Classroom, class_id) is None:
            raise NotFound(f"no class {class_id}")
        row = session.get(Enrolment, (class_id, student.id))
        if row is None:
            row = Enrolment(class_id=class_id, student_id=student.id, attributes=attrs)
        else:
            row.attributes = attrs
        session.add(row)
    return row


def _public(session: Session, classroom: Classroom) -> ClassroomPublic:
    assert classroom.id is not None
    teachers = session.exec(
        select(ClassTeacher.teacher_id).where(ClassTeacher.class_id == classroom.id)
    ).all()
    count = session.exec(
        select(func.count()).select_from(Enrolment).where(Enrolment.class_id == classroom.id)
    ).one()
    return ClassroomPublic(
        id=classroom.id, name=classroom.name, teacher_ids=sorted(teachers), student_count=count
    )


def list_classes(session: Session, viewer: User) -> list[ClassroomPublic]:
    """Classes the viewer teaches (admins: all; students: the ones they are in)."""
    query = select(Classroom).order_by(col(Classroom.name))
    if viewer.role == Role.teacher:
        query = query.join(ClassTeacher, ClassTeacher.class_id == Classroom.id).where(  # type: ignore[arg-type]
            ClassTeacher.teacher_id == viewer.id
        )
    elif viewer.role == Role.student:
        query = query.join(Enrolment, Enrolment.class_id == Classroom.id).where(  # type: ignore[arg-type]
            Enrolment.student_id == viewer.id
        )
    elif viewer.role != Role.admin:
        return []
    return [_public(session, c) for c in session.exec(query)]


def class_students(session: Session, viewer: User, class_id: int) -> list[EnrolmentPublic]:
    visible_class(session, viewer, class_id)
    rows = session.exec(
        select(Enrolment, User)
        .join(User, User.id == Enrolment.student_id)  # type: ignore[arg-type]
        .where(Enrolment.class_id == class_id)
        .order_by(col(User.username))
    ).all()
    return [
        EnrolmentPublic(
            class_id=class_id,
            student_id=e.student_id,
            username=u.username,
            full_name=u.full_name,
            attributes=dict(e.attributes or {}),
        )
        for e, u in rows
    ]


def get_class(session: Session, viewer: User, class_id: int) -> ClassroomPublic:
    return _public(session, visible_class(session, viewer, class_id))
