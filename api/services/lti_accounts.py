"""Account linking: a verified launch finds or creates its user, class and assignment.

The user is found by (platform, `sub`), never by name or email, so two LMSs cannot
claim the same account. LTI-made accounts have no password (their hash is a marker
no password verifies against): they sign in only through a launch. The class comes
from the context claim; a teacher launch makes the user one of its teachers, a
student launch enrols the student. Roles map to Pathways roles; the LMS can never
make an admin.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlmodel import Session, select

from api.db import write_transaction
from api.services.errors import Invalid
from api.services.lti_goals import Goal, resolve_goal
from api.services.lti_launch import LaunchRefused, VerifiedLaunch, consume_state
from models.classes import Classroom, ClassTeacher, Enrolment
from models.lti import LtiAccount, LtiContext, LtiGradeTarget, LtiLink, LtiPlatform
from models.lti_messages import (
    DEEP_LINKING_REQUEST,
    GOAL_PARAMETER,
    RESOURCE_LINK_REQUEST,
    SCOPE_SCORE,
    Launch,
)
from models.users import Role, User

NO_PASSWORD = "lti-launch-only"  # not an argon2 hash: no password ever verifies
_ROLE_NAMES = "http://purl.imsglobal.org/vocab/lis/v2/"
# Context (membership) roles first, then institution roles; the first match wins.
_TEACHER = ("Instructor", "TeachingAssistant", "Mentor", "Administrator")
_DESIGNER = ("ContentDeveloper",)
_STUDENT = ("Learner", "Student")


def map_role(roles: list[str]) -> Role | None:
    """The Pathways role for LIS role URIs (short names too), or None if none applies."""
    names = {r.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for r in roles}
    if names & set(_DESIGNER):
        return Role.designer
    if names & set(_TEACHER):
        return Role.teacher
    if names & set(_STUDENT):
        return Role.student
    return None


@dataclass(frozen=True)
class Linked:
    user: User
    class_id: int | None
    goal: Goal | None
    message_type: str


def username_for(platform_id: int, sub: str) -> str:
    return f"lti{platform_id}-{hashlib.sha256(sub.encode()).hexdigest()[:24]}"


def _user(session: Session, platform: LtiPlatform, launch: Launch, role: Role) -> User:
    assert platform.id is not None
    link = session.get(LtiAccount, (platform.id, launch.sub))
    if link is not None:
        user = session.get(User, link.user_id)
        assert user is not None  # cascade: the link goes with the user
        if not user.is_active:
            raise LaunchRefused("This Pathways account is deactivated; ask your school.")
        if launch.full_name and user.full_name != launch.full_name[:200]:
            user.full_name = launch.full_name[:200]
            session.add(user)
        return user
    user = User(
        username=username_for(platform.id, launch.sub),
        full_name=launch.full_name[:200],
        role=role,
        password_hash=NO_PASSWORD,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    session.add(LtiAccount(platform_id=platform.id, sub=launch.sub, user_id=user.id))
    return user


def _class_name(session: Session, launch: Launch, platform: LtiPlatform) -> str:
    assert launch.context is not None
    base = (launch.context.title or launch.context.label or launch.context.id)[:80]
    for name in (base, f"{base} ({platform.name})"[:100]):
        if session.exec(select(Classroom.id).where(Classroom.name == name)).first() is None:
            return name
    digest = hashlib.sha256(f"{platform.id}|{launch.context.id}".encode()).hexdigest()[:8]
    return f"{base[:88]} [{digest}]"


def context_class(session: Session, platform: LtiPlatform, launch: Launch) -> int:
    """The class of the launch's context, made on its first launch."""
    assert platform.id is not None and launch.context is not None
    ctx = session.get(LtiContext, (platform.id, launch.context.id))
    memberships = launch.nrps.context_memberships_url if launch.nrps else None
    if ctx is None:
        classroom = Classroom(name=_class_name(session, launch, platform))
        session.add(classroom)
        session.flush()
        assert classroom.id is not None
        ctx = LtiContext(
            platform_id=platform.id,
            context_id=launch.context.id,
            class_id=classroom.id,
            memberships_url=memberships,
        )
    elif memberships and ctx.memberships_url != memberships:
        ctx.memberships_url = memberships
    session.add(ctx)
    return ctx.class_id


def join_class(session: Session, class_id: int, user: User) -> None:
    """Teacher of the class, or enrolled in it (once)."""
    assert user.id is not None
    if user.role == Role.student:
        if session.get(Enrolment, (class_id, user.id)) is None:
            session.add(Enrolment(class_id=class_id, student_id=user.id, attributes={}))
    elif session.get(ClassTeacher, (class_id, user.id)) is None:
        session.add(ClassTeacher(class_id=class_id, teacher_id=user.id))


def _goal_ref(launch: Launch) -> str | None:
    value = launch.custom.get(GOAL_PARAMETER)
    return str(value) if value else None


def _link(
    session: Session, platform: LtiPlatform, launch: Launch, class_id: int
) -> tuple[LtiLink, Goal | None]:
    assert platform.id is not None and launch.resource_link is not None
    found = session.exec(
        select(LtiLink).where(
            LtiLink.platform_id == platform.id,
            LtiLink.resource_link_id == launch.resource_link.id,
        )
    ).first()
    link = found or LtiLink(
        platform_id=platform.id, resource_link_id=launch.resource_link.id, class_id=class_id
    )
    ref = _goal_ref(launch) or link.goal
    goal: Goal | None = None
    if ref:
        try:
            goal = resolve_goal(session, ref)
        except Invalid as exc:
            raise LaunchRefused(
                f"This assignment's goal is not in the curriculum ({exc.detail}); ask the "
                "teacher to pick its goal again."
            ) from None
        link.goal = goal.ref
    ags = launch.ags
    if ags is not None and ags.lineitem and SCOPE_SCORE in ags.scope:
        link.lineitem_url = ags.lineitem
    session.add(link)
    session.flush()
    return link, goal


def _grade_target(session: Session, link: LtiLink, user: User, sub: str) -> None:
    assert link.id is not None and user.id is not None
    found = session.exec(
        select(LtiGradeTarget.id).where(
            LtiGradeTarget.link_id == link.id, LtiGradeTarget.user_id == user.id
        )
    ).first()
    if found is None:
        session.add(LtiGradeTarget(link_id=link.id, user_id=user.id, sub=sub))


def link_launch(session: Session, verified: VerifiedLaunch) -> Linked:
    """Consume the login state and link user, class and assignment in one transaction."""
    launch, platform = verified.launch, verified.platform
    role = map_role(launch.roles)
    if role is None:
        raise LaunchRefused(
            f"None of the launch's roles ({', '.join(launch.roles) or 'none'}) is one "
            "Pathways serves (learner, instructor or content developer)."
        )
    if launch.message_type == DEEP_LINKING_REQUEST:
        if launch.deep_linking is None:
            raise LaunchRefused("The deep-linking request carries no deep_linking_settings.")
        if role == Role.student:
            raise LaunchRefused("Only teachers can choose what an assignment practises.")
    if launch.message_type == RESOURCE_LINK_REQUEST and launch.resource_link is None:
        raise LaunchRefused("The launch carries no resource_link claim.")
    if launch.context is None and role != Role.designer:
        raise LaunchRefused("The launch carries no context (course) claim.")
    with write_transaction(session):
        consume_state(session, verified.state)
        user = _user(session, platform, launch, role)
        class_id = goal = None
        if launch.context is not None:
            class_id = context_class(session, platform, launch)
            if user.role in (Role.student, Role.teacher):
                join_class(session, class_id, user)
        if launch.message_type == RESOURCE_LINK_REQUEST and class_id is not None:
            link, goal = _link(session, platform, launch, class_id)
            if user.role == Role.student and link.lineitem_url:
                _grade_target(session, link, user, launch.sub)
    return Linked(user, class_id, goal, launch.message_type)
