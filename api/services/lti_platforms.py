"""Platform registrations: what an admin enters for each LMS, and the lookups a launch needs."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.db import write_transaction
from api.services.errors import Conflict, NotFound
from models.lti import LtiPlatform, LtiPlatformCreate, LtiPlatformPublic, LtiPlatformUpdate


def to_public(platform: LtiPlatform) -> LtiPlatformPublic:
    return LtiPlatformPublic.model_validate(platform, from_attributes=True)


def list_platforms(session: Session) -> list[LtiPlatform]:
    rows = list(session.exec(select(LtiPlatform).order_by(col(LtiPlatform.id))).all())
    session.commit()
    return rows


def get_platform(session: Session, platform_id: int) -> LtiPlatform:
    found = session.get(LtiPlatform, platform_id)
    if found is None:
        raise NotFound(f"no platform registration {platform_id}")
    return found


def find_platform(session: Session, issuer: str, client_id: str) -> LtiPlatform | None:
    return session.exec(
        select(LtiPlatform).where(LtiPlatform.issuer == issuer, LtiPlatform.client_id == client_id)
    ).first()


def platforms_of(session: Session, issuer: str) -> list[LtiPlatform]:
    return list(session.exec(select(LtiPlatform).where(LtiPlatform.issuer == issuer)).all())


def _clash(data: LtiPlatformCreate) -> Conflict:
    return Conflict(
        f"issuer {data.issuer!r} with client_id {data.client_id!r} is already registered"
    )


def create_platform(session: Session, data: LtiPlatformCreate) -> LtiPlatform:
    platform = LtiPlatform.model_validate(data, from_attributes=True)
    try:
        with write_transaction(session):
            if find_platform(session, data.issuer, data.client_id) is not None:
                raise _clash(data)
            session.add(platform)
            session.flush()
    except IntegrityError:  # registered at the same moment by someone else
        raise _clash(data) from None
    return platform


def update_platform(session: Session, platform_id: int, data: LtiPlatformUpdate) -> LtiPlatform:
    with write_transaction(session):
        platform = get_platform(session, platform_id)
        for name, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(platform, name, value)
        session.add(platform)
    return platform


def delete_platform(session: Session, platform_id: int) -> None:
    """Forget a registration: launches from it stop; accounts and classes it made stay."""
    with write_transaction(session):
        session.delete(get_platform(session, platform_id))
