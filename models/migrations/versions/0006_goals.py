"""goals with dates: a teacher's target for a class or some of its students

`goal`: a unit or a set of skills (the skill ids resolved when it was set), a target
date, whether it applies to the whole class, archived instead of deleted.
`goal_student`: the students a goal for part of a class applies to.

Revision ID: 0006_goals
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0006_goals"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "goal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=True),
        sa.Column("skills", _JSON, nullable=False),
        sa.Column("target_date", sa.Date(), nullable=False),
        sa.Column("whole_class", sa.Boolean(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classroom.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_goal_class_id", "goal", ["class_id"])
    op.create_table(
        "goal_student",
        sa.Column("goal_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["goal_id"], ["goal.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("goal_id", "student_id"),
    )
    op.create_index("ix_goal_student_student_id", "goal_student", ["student_id"])


def downgrade() -> None:
    op.drop_index("ix_goal_student_student_id", table_name="goal_student")
    op.drop_table("goal_student")
    op.drop_index("ix_goal_class_id", table_name="goal")
    op.drop_table("goal")
