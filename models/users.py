"""Users and their role; the table and its API schemas (Base/Create/Update/Public)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import Column, Integer, String
from sqlmodel import Field, SQLModel

from models.types import UTCDateTime, no_nul, utcnow

USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$"


class Role(StrEnum):
    student = "student"
    teacher = "teacher"
    designer = "designer"
    admin = "admin"
    guardian = "guardian"  # a family member: reads only their linked children's summaries


class Language(StrEnum):
    """The languages the student and family pages are translated into."""

    en = "en"
    es = "es"
    pt = "pt"


class UserBase(SQLModel):
    """Shared account fields."""

    username: str = Field(
        min_length=1,
        max_length=64,
        schema_extra={"pattern": USERNAME_PATTERN},
        unique=True,
        index=True,
    )
    full_name: str = Field(default="", max_length=200)
    role: Role = Field(default=Role.student)

    @field_validator("full_name")
    @classmethod
    def _printable(cls, value: str) -> str:
        return no_nul(value)


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    # Plain text column (not a database enum) so adding a role needs no type migration.
    role: Role = Field(default=Role.student, sa_column=Column(String(16), nullable=False))
    password_hash: str = Field(max_length=200)
    is_active: bool = True
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # Tokens carry the generation they were issued in; logging out (or a password
    # change) moves it on, which ends every session issued before, in every process.
    token_generation: int = Field(
        default=0, sa_column=Column(Integer, nullable=False, server_default="0")
    )
    # The language the account chose for its pages; None follows the browser.
    locale: Language | None = Field(default=None, sa_column=Column(String(8), nullable=True))


class UserCreate(UserBase):
    password: str = Field(min_length=8, max_length=200)

    @field_validator("password")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("password must not be blank")
        return no_nul(value)


class UserUpdate(SQLModel):
    full_name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=200)
    is_active: bool | None = None

    @field_validator("full_name", "password")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        return None if value is None else no_nul(value)


class UserPublic(UserBase):
    id: int
    is_active: bool


class AccountSettings(SQLModel):
    """What an account may change about itself: its language (null follows the browser)."""

    locale: Language | None = None


class Token(SQLModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
