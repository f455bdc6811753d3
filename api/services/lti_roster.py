"""Names and Role Provisioning: the class roster synced from the platform's membership list.

A class made by a launch remembers its context's membership URL. A sync fetches the
list (following `Link: rel="next"` pages) with a client-credentials token, then in
one transaction: every active learner is linked (found by `sub` or made) and
enrolled, every active instructor becomes one of the class's teachers, and a student
this platform enrolled who is no longer listed (or no longer active) leaves the
class. Students added by hand or by a roster import are never removed by it.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlmodel import Session, col, delete, select

from api.db import write_transaction
from api.services.errors import Invalid, NotFound
from api.services.lti_accounts import NO_PASSWORD, join_class, map_role, username_for
from api.services.lti_tokens import TOKENS, ServiceUnavailable
from models.classes import ClassTeacher, Enrolment
from models.lti import LtiAccount, LtiContext, LtiPlatform, LtiRosterSync
from models.lti_messages import SCOPE_MEMBERSHIPS
from models.users import Role, User

MEMBERSHIP_TYPE = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
MAX_PAGES = 200
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


class Member(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_id: str = Field(min_length=1, max_length=255)
    roles: list[str] = []
    status: str = "Active"
    name: str | None = Field(default=None, max_length=1000)
    given_name: str | None = Field(default=None, max_length=1000)
    family_name: str | None = Field(default=None, max_length=1000)

    @property
    def full_name(self) -> str:
        if self.name:
            return self.name
        return " ".join(p for p in (self.given_name, self.family_name) if p)


def fetch_members(
    session: Session, client: httpx.Client, platform: LtiPlatform, url: str
) -> list[Member]:
    token = TOKENS.token(session, client, platform, [SCOPE_MEMBERSHIPS])
    members: list[Member] = []
    next_url: str | None = url
    for _ in range(MAX_PAGES):
        if next_url is None:
            break
        try:
            reply = client.get(
                next_url, headers={"Authorization": f"Bearer {token}", "Accept": MEMBERSHIP_TYPE}
            )
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(f"memberships {next_url}: {exc}") from None
        if reply.status_code != 200:
            raise ServiceUnavailable(
                f"memberships {next_url}: {reply.status_code} {reply.text[:200]}"
            )
        try:
            body: dict[str, Any] = reply.json()
            members += [Member.model_validate(m) for m in body.get("members", [])]
        except (ValueError, ValidationError) as exc:
            raise ServiceUnavailable(
                f"memberships {next_url}: not a membership list ({exc})"
            ) from None
        found = _NEXT.search(reply.headers.get("link", ""))
        next_url = found.group(1) if found else None
    return members


def _member_user(session: Session, platform: LtiPlatform, member: Member, role: Role) -> User:
    assert platform.id is not None
    link = session.get(LtiAccount, (platform.id, member.user_id))
    if link is not None:
        user = session.get(User, link.user_id)
        assert user is not None
        return user
    user = User(
        username=username_for(platform.id, member.user_id),
        full_name=member.full_name[:200],
        role=role,
        password_hash=NO_PASSWORD,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    session.add(LtiAccount(platform_id=platform.id, sub=member.user_id, user_id=user.id))
    return user


def offers_sync(session: Session, class_id: int) -> bool:
    """Whether the class came from a launch whose LMS offers its membership list."""
    url = session.exec(
        select(LtiContext.memberships_url).where(LtiContext.class_id == class_id)
    ).first()
    return bool(url)


def sync_roster(session: Session, class_id: int, client: httpx.Client) -> LtiRosterSync:
    """Bring the class's enrolments and teachers in line with the platform's list."""
    ctx = session.exec(select(LtiContext).where(LtiContext.class_id == class_id)).first()
    if ctx is None:
        raise NotFound(f"class {class_id} did not come from an LMS launch")
    if not ctx.memberships_url:
        raise Invalid(f"class {class_id}: the LMS offers no membership service for it")
    platform = session.get(LtiPlatform, ctx.platform_id)
    assert platform is not None and platform.id is not None
    url = ctx.memberships_url
    session.commit()  # no transaction held across the network calls
    members = fetch_members(session, client, platform, url)
    added_students = added_teachers = removed = skipped = 0
    with write_transaction(session):
        listed: set[int] = set()
        for member in members:
            role = map_role(member.roles)
            if role is None or role == Role.designer:
                skipped += 1
                continue
            if member.status != "Active":
                continue
            user = _member_user(session, platform, member, role)
            assert user.id is not None
            if not user.is_active:
                continue
            listed.add(user.id)
            if user.role == Role.student:
                added_students += session.get(Enrolment, (class_id, user.id)) is None
            elif user.role == Role.teacher:
                added_teachers += session.get(ClassTeacher, (class_id, user.id)) is None
            if user.role in (Role.student, Role.teacher):
                join_class(session, class_id, user)
        ours = session.exec(
            select(Enrolment.student_id)
            .join(LtiAccount, col(LtiAccount.user_id) == col(Enrolment.student_id))
            .where(Enrolment.class_id == class_id, LtiAccount.platform_id == platform.id)
        ).all()
        gone = [sid for sid in ours if sid not in listed]
        if gone:
            session.execute(
                delete(Enrolment).where(
                    col(Enrolment.class_id) == class_id, col(Enrolment.student_id).in_(gone)
                )
            )
        removed = len(gone)
    return LtiRosterSync(
        class_id=class_id,
        members=len(members),
        added_students=added_students,
        added_teachers=added_teachers,
        removed_students=removed,
        skipped=skipped,
    )
