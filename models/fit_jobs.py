"""Background refits of the parameters: status and progress, readable by any worker."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import StrictInt
from sqlalchemy import Column, ForeignKey, Integer, String
from sqlmodel import Field, SQLModel

from models.types import JSONType, UTCDateTime, utcnow


class FitStatus(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"


class FitOptions(SQLModel):
    """What to fit; mirrors BKTFitter's settings."""

    forgets: bool = False
    multigs: bool = False
    restarts: int = Field(default=3, ge=1, le=50)
    random_state: StrictInt = Field(  # strict: `false` is not a seed
        default=0, ge=0, le=2**64 - 1, description="Seed (0 to 2**64 - 1)."
    )
    skills: list[str] | None = Field(
        default=None, description="Only these skills (default: every skill with responses)."
    )
    bound_guess: float = Field(
        default=0.3, gt=0.0, le=1.0, description="Upper bound on a skill's guess (item floors win)."
    )
    bound_slip: float = Field(default=0.3, gt=0.0, le=1.0, description="Upper bound on slip.")


class FitJob(SQLModel, table=True):
    __tablename__ = "fit_job"
    id: int | None = Field(default=None, primary_key=True)
    status: str = Field(default=FitStatus.queued, sa_column=Column(String(16), nullable=False))
    created_by: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("user.id"), nullable=True)
    )
    options: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONType, nullable=False)
    )
    done: int = 0
    total: int = 0
    n_responses: int = 0
    last_response_id: int | None = None
    error: str | None = Field(default=None, max_length=2000)
    baseline_param_set_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("param_set.id"), nullable=True)
    )
    param_set_id: int | None = Field(
        default=None, sa_column=Column(Integer, ForeignKey("param_set.id"), nullable=True)
    )
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    gate: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONType, nullable=True))
    created_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False)
    )
    started_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    heartbeat_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))
    finished_at: datetime | None = Field(default=None, sa_column=Column(UTCDateTime()))


class SkillComparison(SQLModel):
    skill: str
    before: dict[str, float] | None
    after: dict[str, float] | None


class FitJobPublic(SQLModel):
    id: int
    status: FitStatus
    options: dict[str, Any]
    done: int
    total: int
    progress: float
    n_responses: int
    error: str | None
    stale: bool = False
    baseline_param_set_id: int | None
    param_set_id: int | None
    report: dict[str, Any] | None
    gate: dict[str, Any] | None = Field(
        default=None,
        description=(
            "The activation gate's verdict on the job's set: passed, reasons, degenerate "
            "skills, and both sets' log-loss/AUC on the newest answers, overall and per skill."
        ),
    )
    comparison: list[SkillComparison] = []
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
