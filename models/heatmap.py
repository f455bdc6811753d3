"""API schemas of the teacher's class heatmap (students x skills) and subgroup comparison."""

from __future__ import annotations

from sqlmodel import Field, SQLModel

STUCK_DEFINITION = (
    "stuck (wheel-spinning): at least {n} attempts on the skill without reaching mastery"
)


class HeatmapSkill(SQLModel):
    skill_id: str
    skill_name: str
    threshold: float


class HeatmapCell(SQLModel):
    skill_id: str
    mastery: float = Field(description="BKT P(known); the prior when never practised")
    effective: float = Field(
        description="mastery after evidence from related skills; `mastered` is decided on it"
    )
    attempts: int
    corrects: int
    mastered: bool
    stuck: bool


class HeatmapRow(SQLModel):
    student_id: int
    username: str
    full_name: str
    attributes: dict[str, str]
    cells: list[HeatmapCell]


class GroupSkill(SQLModel):
    skill_id: str
    mean_mastery: float
    mean_attempts: float
    share_mastered: float
    stuck: int


class GroupSummary(SQLModel):
    group: str
    students: int
    skills: list[GroupSkill]


class Heatmap(SQLModel):
    class_id: int
    class_name: str
    skills: list[HeatmapSkill]
    students: list[HeatmapRow]
    stuck_definition: str
    subgroup: str | None = None
    groups: list[GroupSummary] | None = None
