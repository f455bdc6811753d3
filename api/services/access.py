"""Who may see whose records: ownership rules shared by every route and page.

Students see themselves; teachers see the students enrolled in classes they teach;
admins see everyone. A record the caller may not see is reported as missing (404),
so ids of other students or classes reveal nothing.
"""

from __future__ import annotations

from sqlmodel import Session, select

from api.services.errors import NotFound
from models.classes import Classroom, ClassTeacher, Enrolment
from models.users import Role, User


def teaches(session: Session, teacher_id: int, class_id: int) -> bool:
    return session.get(ClassTeacher, (class_id, teacher_id)) is not None


def can_view_student(session: Session, viewer: User, student_id: int) -> bool:
    if viewer.role == Role.admin or viewer.id == student_id:
        return True
    if viewer.role != Role.teacher:
        return False
    found = session.exec(
        select(Enrolment.class_id)
        .join(ClassTeacher, ClassTeacher.class_id == Enrolment.class_id)  # type: ignore[arg-type]
        .where(Enrolment.student_id == student_id, ClassTeacher.teacher_id == viewer.id)
        .limit(1)
    ).first()
    return found is not None


def visible_student(session: Session, viewer: User, student_id: int) -> User:
    """The student if the viewer may see them, else NotFound (same for absent ids).

    Anyone may see their own record (an admin trying the practice loop has one too).
    """
    if viewer.id == student_id:
        return viewer
    student = session.get(User, student_id)
    if student is None or student.role != Role.student:
        raise NotFound(f"no student {student_id}")
    if not can_view_student(session, viewer, student_id):
        raise NotFound(f"no student {student_id}")
    return student


def visible_class(session: Session, viewer: User, class_id: int) -> Classroom:
    classroom = session.get(Classroom, class_id)
    if classroom is None:
        raise NotFound(f"no class {class_id}")
    if viewer.role == Role.admin:
        return classroom
    if (
        viewer.role == Role.teacher
        and viewer.id is not None
        and teaches(session, viewer.id, class_id)
    ):
        return classroom
    raise NotFound(f"no class {class_id}")
