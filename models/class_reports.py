"""API schemas of the class reports built on mastery and pace: small-group suggestions,
the standards report and the equity comparison of subgroups."""

from __future__ import annotations

from sqlmodel import Field, SQLModel


class GroupItem(SQLModel):
    item_id: str
    prompt: str


class GroupMember(SQLModel):
    student_id: int
    name: str


class GroupSuggestion(SQLModel):
    skill_id: str
    skill_name: str
    size: int
    students: list[GroupMember]
    items: list[GroupItem] = Field(description="two or three items to work through together")
    reason: str


class GroupSuggestions(SQLModel):
    class_id: int
    groups: list[GroupSuggestion]
    definition: str


class StandardInfo(SQLModel):
    code: str
    skills: list[str]
    skill_names: list[str]


class StandardCell(SQLModel):
    code: str
    status: str = Field(description="mastered, in progress or not started")
    mastered_skills: int
    total_skills: int
    mean_mastery: float


class StudentStandards(SQLModel):
    student_id: int
    username: str
    full_name: str
    standards: list[StandardCell]


class StandardSummary(SQLModel):
    code: str
    mastered: int
    in_progress: int
    not_started: int
    share_mastered: float


class StandardsReport(SQLModel):
    class_id: int
    class_name: str
    standards: list[StandardInfo]
    students: list[StudentStandards]
    summary: list[StandardSummary]
    uncoded_skills: list[str] = Field(description="skills without a standard code (not shown)")


class EquityGroup(SQLModel):
    attribute: str
    value: str
    students: int | None = Field(description="None when suppressed (fewer than the minimum)")
    suppressed: bool
    mastered_per_week: float | None = Field(
        description="mean skills mastered per week since the student's first answer"
    )
    answers_per_week: float | None = Field(description="mean answers per week, recent window")
    median_days_to_goal: float | None = Field(
        description="median projected days to the current goal (0 when reached)"
    )
    on_track_share: float | None


class EquityReport(SQLModel):
    class_id: int
    min_group_size: int
    groups: list[EquityGroup]
    definition: str
