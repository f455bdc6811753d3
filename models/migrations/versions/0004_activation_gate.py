"""activation gate: the gate's verdict on each fit, and a record of every activation

`fit_job.gate`: the gate's decision on the job's parameter set (degenerate skills,
the time-split comparison with the set that was active, per skill). `activation`:
one row per activation, with the verdict it passed or the typed reason it was
overridden with, so a school can always tell who put which model into use and why.
`mastery.contradicted`: the runtime self-check's flag (a run of answers that did not
move the skill's mastery the way the answers point), counted per skill for designers.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("fit_job", sa.Column("gate", _JSON, nullable=True))
    op.add_column(
        "mastery",
        sa.Column("contradicted", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "activation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("param_set_id", sa.Integer(), nullable=False),
        sa.Column("previous_param_set_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("passed", sa.Boolean(), nullable=False),
        sa.Column("override_reason", sa.String(length=1000), nullable=True),
        sa.Column("gate", _JSON, nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["param_set_id"], ["param_set.id"]),
        sa.ForeignKeyConstraint(["previous_param_set_id"], ["param_set.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("activation", schema=None) as batch_op:
        batch_op.create_index("ix_activation_param_set_id", ["param_set_id"])


def downgrade() -> None:
    with op.batch_alter_table("activation", schema=None) as batch_op:
        batch_op.drop_index("ix_activation_param_set_id")
    op.drop_table("activation")
    op.drop_column("mastery", "contradicted")
    op.drop_column("fit_job", "gate")
