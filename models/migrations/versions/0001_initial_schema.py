"""initial schema

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "classroom",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("classroom", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_classroom_name"), ["name"], unique=True)

    op.create_table(
        "curriculum_info",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("curriculum_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=4000), nullable=False),
        sa.Column("description", sa.String(), nullable=False),
        sa.Column("imported_at", models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_item_retired"), ["retired"], unique=False)

    op.create_table(
        "login_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("at", models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.create_index("ix_login_failure_ip_at", ["ip", "at"], unique=False)
        batch_op.create_index("ix_login_failure_username_at", ["username", "at"], unique=False)

    op.create_table(
        "param_set",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("activated_at", models.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("param_set", schema=None) as batch_op:
        batch_op.create_index(
            "uq_param_set_one_active",
            ["active"],
            unique=True,
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.create_table(
        "revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("content", sa.Integer(), nullable=False),
        sa.Column("params", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=4000), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "user",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_username"), ["username"], unique=True)

    op.create_table(
        "class_teacher",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classroom.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["teacher_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("class_id", "teacher_id"),
    )
    op.create_table(
        "enrolment",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column(
            "attributes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["class_id"], ["classroom.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["student_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("class_id", "student_id"),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolment_student_id"), ["student_id"], unique=False)

    op.create_table(
        "fit_job",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column(
            "options",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("n_responses", sa.Integer(), nullable=False),
        sa.Column("last_response_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.String(length=2000), nullable=True),
        sa.Column("baseline_param_set_id", sa.Integer(), nullable=True),
        sa.Column("param_set_id", sa.Integer(), nullable=True),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("started_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("heartbeat_at", models.types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["baseline_param_set_id"],
            ["param_set.id"],
        ),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["user.id"],
        ),
        sa.ForeignKeyConstraint(
            ["param_set_id"],
            ["param_set.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "response_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("raw_answer", sa.String(length=1000), nullable=False),
        sa.Column("normalized", sa.String(length=1000), nullable=True),
        sa.Column("correct", sa.Boolean(), nullable=False),
        sa.Column(
            "skills",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("param_set_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["item.id"],
        ),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["user.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("student_id", "idempotency_key", name="uq_response_student_key"),
    )
    with op.batch_alter_table("response_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_response_log_item_id"), ["item_id"], unique=False)
        batch_op.create_index("ix_response_student_item", ["student_id", "item_id"], unique=False)

    op.create_table(
        "skill",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=4000), nullable=False),
        sa.Column("unit_id", sa.String(length=100), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("retired", sa.Boolean(), nullable=False),
        sa.Column(
            "definition",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["unit.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("skill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_skill_unit_id"), ["unit_id"], unique=False)

    op.create_table(
        "student_state",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column(
            "state",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("last_response_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["student_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("student_id"),
    )
    op.create_table(
        "answer_reply",
        sa.Column("response_id", sa.Integer(), nullable=False),
        sa.Column(
            "body",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["response_log.id"],
        ),
        sa.PrimaryKeyConstraint("response_id"),
    )
    op.create_table(
        "item_skill",
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("skill_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skill.id"],
        ),
        sa.PrimaryKeyConstraint("item_id", "skill_id"),
    )
    with op.batch_alter_table("item_skill", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_skill_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "mastery",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.String(length=100), nullable=False),
        sa.Column("mastery", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("corrects", sa.Integer(), nullable=False),
        sa.Column("correct_streak", sa.Integer(), nullable=False),
        sa.Column("wrong_streak", sa.Integer(), nullable=False),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.Column("last_response_id", sa.Integer(), nullable=True),
        sa.Column("last_item_id", sa.String(length=100), nullable=True),
        sa.Column("updated_at", models.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["skill.id"],
        ),
        sa.ForeignKeyConstraint(["student_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("student_id", "skill_id"),
    )
    with op.batch_alter_table("mastery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mastery_skill_id"), ["skill_id"], unique=False)

    op.create_table(
        "prerequisite",
        sa.Column("skill_id", sa.String(length=100), nullable=False),
        sa.Column("requires_id", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["requires_id"], ["skill.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["skill_id"], ["skill.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("skill_id", "requires_id"),
    )


def downgrade() -> None:

    op.drop_table("prerequisite")
    with op.batch_alter_table("mastery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mastery_skill_id"))

    op.drop_table("mastery")
    with op.batch_alter_table("item_skill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_skill_skill_id"))

    op.drop_table("item_skill")
    op.drop_table("answer_reply")
    op.drop_table("student_state")
    with op.batch_alter_table("skill", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_skill_unit_id"))

    op.drop_table("skill")
    with op.batch_alter_table("response_log", schema=None) as batch_op:
        batch_op.drop_index("ix_response_student_item")
        batch_op.drop_index(batch_op.f("ix_response_log_item_id"))

    op.drop_table("response_log")
    op.drop_table("fit_job")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_student_id"))

    op.drop_table("enrolment")
    op.drop_table("class_teacher")
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_username"))

    op.drop_table("user")
    op.drop_table("unit")
    op.drop_table("revision")
    with op.batch_alter_table("param_set", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_param_set_one_active",
            sqlite_where=sa.text("active"),
            postgresql_where=sa.text("active"),
        )

    op.drop_table("param_set")
    with op.batch_alter_table("login_failure", schema=None) as batch_op:
        batch_op.drop_index("ix_login_failure_username_at")
        batch_op.drop_index("ix_login_failure_ip_at")

    op.drop_table("login_failure")
    with op.batch_alter_table("item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_retired"))
        batch_op.drop_index(batch_op.f("ix_item_kind"))

    op.drop_table("item")
    op.drop_table("curriculum_info")
    with op.batch_alter_table("classroom", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_classroom_name"))

    op.drop_table("classroom")
