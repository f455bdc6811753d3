"""LTI 1.3 tables: platform registrations, the tool's keys, launches and grade passback.

A school registers each LMS (a *platform*: issuer + client id) once; launches from
it find or create the user by (platform, `sub`) and the class by (platform, context
id). The tool signs what it sends (deep-linking responses, client assertions) with
its own RSA key; a rotated key stays published until its grace period ends, so
platforms that cached it keep verifying. Scores go out through `lti_score_outbox`,
written in the answer's transaction and sent later by a background sender, so an
answer never waits for an LMS.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import field_validator
from sqlalchemy import Column, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, no_nul, utcnow

URL_MAX = 1000


class LtiPlatform(SQLModel, table=True):
    """One LMS registration: what the platform's admin screen shows for Pathways."""

    __tablename__ = "lti_platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id", name="uq_lti_platform_client"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    issuer: str = Field(max_length=URL_MAX)
    client_id: str = Field(max_length=255)
    deployment_ids: list[str] = Field(
        default_factory=list, sa_column=Column(JSONType, nullable=False)
    )
    auth_login_url: str = Field(max_length=URL_MAX)
    auth_token_url: str = Field(max_length=URL_MAX)
    jwks_url: str = Field(max_length=URL_MAX)
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )


class LtiKey(SQLModel, table=True):
    """The tool's RSA key pair; the newest unretired one signs, retired ones stay in the
    JWKS until `retired_at` + the grace period. `private_pem` is sealed at rest
    (`fernet:v1:...` under the key-encryption key, see api.services.key_vault); rows from
    before that hold a plain PEM until api.services.lti_keys seals them."""

    __tablename__ = "lti_key"
    id: int | None = Field(default=None, primary_key=True)
    kid: str = Field(max_length=64, unique=True)
    private_pem: str = Field(sa_column=Column(Text, nullable=False))
    public_jwk: dict[str, Any] = Field(sa_column=Column(JSONType, nullable=False))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    retired_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class LtiLogin(SQLModel, table=True):
    """One OIDC login initiation: its state (also in the browser's cookie) and the nonce
    the id_token must carry; `used_at` is set by the launch, so each is used once."""

    __tablename__ = "lti_login"
    state: str = Field(sa_column=Column(String(64), primary_key=True))
    nonce: str = Field(max_length=64, unique=True)
    platform_id: int = Field(
        sa_column=Column(Integer, ForeignKey("lti_platform.id", ondelete="CASCADE"), nullable=False)
    )
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    used_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))


class LtiAccount(SQLModel, table=True):
    """Account linking: the platform's user (`sub`) is this Pathways user."""

    __tablename__ = "lti_account"
    platform_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("lti_platform.id", ondelete="CASCADE"), primary_key=True
        )
    )
    sub: str = Field(sa_column=Column(String(255), primary_key=True))
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class LtiContext(SQLModel, table=True):
    """The platform's course (context claim) is this class; where its roster lives."""

    __tablename__ = "lti_context"
    platform_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("lti_platform.id", ondelete="CASCADE"), primary_key=True
        )
    )
    context_id: str = Field(sa_column=Column(String(255), primary_key=True))
    class_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("classroom.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    memberships_url: str | None = Field(default=None, max_length=URL_MAX)


class LtiLink(SQLModel, table=True):
    """A resource link (an assignment in the LMS): its class, goal and line item."""

    __tablename__ = "lti_link"
    __table_args__ = (UniqueConstraint("platform_id", "resource_link_id", name="uq_lti_link"),)
    id: int | None = Field(default=None, primary_key=True)
    platform_id: int = Field(
        sa_column=Column(Integer, ForeignKey("lti_platform.id", ondelete="CASCADE"), nullable=False)
    )
    resource_link_id: str = Field(max_length=255)
    class_id: int = Field(
        sa_column=Column(Integer, ForeignKey("classroom.id", ondelete="CASCADE"), nullable=False)
    )
    goal: str | None = Field(default=None, max_length=120)  # "skill:ID" or "unit:ID"
    lineitem_url: str | None = Field(default=None, max_length=URL_MAX)


class LtiGradeTarget(SQLModel, table=True):
    """A student who launched a graded link: their progress goes to its line item."""

    __tablename__ = "lti_grade_target"
    __table_args__ = (UniqueConstraint("link_id", "user_id", name="uq_lti_grade_target"),)
    id: int | None = Field(default=None, primary_key=True)
    link_id: int = Field(
        sa_column=Column(Integer, ForeignKey("lti_link.id", ondelete="CASCADE"), nullable=False)
    )
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("user.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )
    sub: str = Field(max_length=255)  # the platform's id for the student (the score's userId)
    last_score: float | None = None  # what the platform last accepted
    last_sent_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class LtiScoreOutbox(SQLModel, table=True):
    """A score to (re)compute and send: one row per answer of a graded student."""

    __tablename__ = "lti_score_outbox"
    __table_args__ = (Index("ix_lti_score_outbox_due", "sent_at", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    target_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("lti_grade_target.id", ondelete="CASCADE"), nullable=False
        )
    )
    response_id: int | None = None
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    next_attempt_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    attempts: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    sent_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    last_error: str | None = Field(default=None, max_length=1000)


# API schemas


def _https_or_loopback(value: str) -> str:
    """Platform endpoints must be https (http only for a loopback test platform)."""
    no_nul(value)
    if value.startswith("https://"):
        return value
    for host in ("http://127.0.0.1", "http://localhost", "http://[::1]"):
        if value.startswith(host + ":") or value.startswith(host + "/") or value == host:
            return value
    raise ValueError("must be an https:// URL")


class LtiPlatformCreate(SQLModel):
    name: str = Field(min_length=1, max_length=200)
    issuer: str = Field(min_length=1, max_length=URL_MAX)
    client_id: str = Field(min_length=1, max_length=255)
    deployment_ids: list[str] = Field(min_length=1, max_length=100)
    auth_login_url: str = Field(max_length=URL_MAX)
    auth_token_url: str = Field(max_length=URL_MAX)
    jwks_url: str = Field(max_length=URL_MAX)

    @field_validator("name", "client_id")
    @classmethod
    def _text(cls, value: str) -> str:
        value = no_nul(value).strip()
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("issuer", "auth_login_url", "auth_token_url", "jwks_url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _https_or_loopback(value.strip())

    @field_validator("deployment_ids")
    @classmethod
    def _deployments(cls, value: list[str]) -> list[str]:
        out: list[str] = []
        for n, dep in enumerate(value):
            dep = no_nul(dep).strip()
            if not dep or len(dep) > 255:
                raise ValueError(f"deployment id {n + 1} must be 1-255 characters")
            if dep not in out:
                out.append(dep)
        return out


class LtiPlatformUpdate(SQLModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    deployment_ids: list[str] | None = Field(default=None, min_length=1, max_length=100)
    auth_login_url: str | None = Field(default=None, max_length=URL_MAX)
    auth_token_url: str | None = Field(default=None, max_length=URL_MAX)
    jwks_url: str | None = Field(default=None, max_length=URL_MAX)

    @field_validator("auth_login_url", "auth_token_url", "jwks_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _https_or_loopback(value.strip())

    @field_validator("deployment_ids")
    @classmethod
    def _deployments(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else LtiPlatformCreate._deployments(value)

    @field_validator("name")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return None if value is None else LtiPlatformCreate._text(value)


class LtiPlatformPublic(SQLModel):
    id: int
    name: str
    issuer: str
    client_id: str
    deployment_ids: list[str]
    auth_login_url: str
    auth_token_url: str
    jwks_url: str


class LtiKeyPublic(SQLModel):
    kid: str
    created_at: datetime
    retired_at: datetime | None
    current: bool
    published_until: datetime | None  # None: published while current


class LtiToolConfig(SQLModel):
    """What a school's LMS admin copies into the platform's registration form."""

    login_url: str
    launch_url: str
    deep_link_url: str
    jwks_url: str
    current_kid: str


class LtiRosterSync(SQLModel):
    """What a roster sync from the platform's membership service changed."""

    class_id: int
    members: int
    added_students: int
    added_teachers: int
    removed_students: int
    skipped: int = Field(description="members with a role Pathways does not serve")
