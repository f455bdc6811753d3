"""Classes, teachers and enrolments (with optional subgroup attributes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, func
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


def classes_query(viewer: User) -> Select[Any]:
    """Classes the viewer teaches (admins: all; students: the ones they are in), by name."""
    query = select(Classroom).order_by(col(Classroom.name), col(Classroom.id))
    if viewer.role == Role.teacher:
        query = query.join(ClassTeacher, ClassTeacher.class_id == Classroom.id).where(  # type: ignore[arg-type]
            ClassTeacher.teacher_id == viewer.id
        )
    elif viewer.role == Role.student:
        query = query.join(Enrolment, Enrolment.class_id == Classroom.id).where(  # type: ignore[arg-type]
            Enrolment.student_id == viewer.id
        )
    elif viewer.role != Role.admin:
        query = query.where(false())
    return query


def list_classes(
    session: Session, viewer: User, limit: int | None = None, offset: int = 0
) -> list[ClassroomPublic]:
    """Classes the viewer teaches (admins: all; students: the ones they are in)."""
    query = classes_query(viewer)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    return public_classes(session, list(session.execute(query).scalars()))


def public_classes(session: Session, found: list[Classroom]) -> list[ClassroomPublic]:
    """The classes as the API shows them: two queries for the whole page, not two each."""
    ids = [c.id for c in found]
    teachers: dict[int, list[int]] = {i: [] for i in ids if i is not None}
    for class_id, teacher_id in session.exec(
        select(ClassTeacher.class_id, ClassTeacher.teacher_id).where(
            col(ClassTeacher.class_id).in_(ids)
        )
    ).all():
        teachers[class_id].append(teacher_id)
    counts = dict(
        session.exec(
            select(Enrolment.class_id, func.count())
            .where(col(Enrolment.class_id).in_(ids))
            .group_by(col(Enrolment.class_id))
        ).all()
    )
    return [
        ClassroomPublic(
            id=c.id,
            name=c.name,
            teacher_ids=sorted(teachers.get(c.id, [])),
            student_count=int(counts.get(c.id, 0)),
        )
        for c in found
        if c.id is not None
    ]


def class_students_query(class_id: int) -> Select[Any]:
    return (
        select(Enrolment, User)  # type: ignore[return-value]
        .join(User, User.id == Enrolment.student_id)  # type: ignore[arg-type]
        .where(Enrolment.class_id == class_id)
        .order_by(col(User.username), col(User.id))
    )


def count_class_students(session: Session, viewer: User, class_id: int) -> int:
    visible_class(session, viewer, class_id)
    return int(
        session.exec(
            select(func.count()).select_from(Enrolment).where(Enrolment.class_id == class_id)
        ).one()
    )


def class_students(
    session: Session, viewer: User, class_id: int, limit: int | None = None, offset: int = 0
) -> list[EnrolmentPublic]:
    visible_class(session, viewer, class_id)
    query = class_students_query(class_id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    rows = session.execute(query).all()
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
