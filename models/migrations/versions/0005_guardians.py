"""guardians: the guardian <-> student link table, and the account's language

`guardian_link`: one row per (guardian, student) a family member may follow, with
who made it (a teacher, an admin, or a roster import). `user.locale`: the language an
account chose for its pages (null: follow the browser's Accept-Language).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("user", sa.Column("locale", sa.String(length=8), nullable=True))
    op.create_table(
        "guardian_link",
        sa.Column("guardian_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["guardian_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["user.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("guardian_id", "student_id"),
    )
    with op.batch_alter_table("guardian_link", schema=None) as batch_op:
        batch_op.create_index("ix_guardian_link_student_id", ["student_id"])


def downgrade() -> None:
    with op.batch_alter_table("guardian_link", schema=None) as batch_op:
        batch_op.drop_index("ix_guardian_link_student_id")
    op.drop_table("guardian_link")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("locale")
