"""roster and audit: OneRoster source ids, schools, import reports; the audit log; purge

`school`, `roster_user`, `roster_class`, `roster_enrolment`: which local row each
OneRoster `sourcedId` became, so a re-import updates instead of duplicating.
`roster_import`: every import run and its report. `audit_log`: administrative actions,
append-only like the response log, with no personal data. `purge_permit`: the one
exception to the append-only log: DELETE on `response_log` and `answer_reply` is
allowed only for the rows of a student holding a permit tied to an audit event (the
purge writes it and removes it in its own transaction). UPDATE stays refused.

Revision ID: 0007_roster
Revises: 0006_goals
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0007_roster"
down_revision: str | None = "0006_goals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

# Which rows a permit frees, per guarded table (SQL over OLD).
_PERMITTED = {
    "response_log": "EXISTS (SELECT 1 FROM purge_permit p WHERE p.student_id = OLD.student_id)",
    "answer_reply": (
        "EXISTS (SELECT 1 FROM purge_permit p JOIN response_log r "
        "ON r.student_id = p.student_id WHERE r.id = OLD.response_id)"
    ),
}


def _tables() -> None:
    op.create_table(
        "school",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sourced_id", sa.String(length=255), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sourced_id"),
    )
    op.create_table(
        "roster_user",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sourced_id", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id"),
        sa.UniqueConstraint("sourced_id"),
    )
    op.create_table(
        "roster_class",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("sourced_id", sa.String(length=255), nullable=True),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["class_id"], ["classroom.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["school_id"], ["school.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("class_id"),
        sa.UniqueConstraint("sourced_id"),
    )
    op.create_table(
        "roster_enrolment",
        sa.Column("sourced_id", sa.String(length=255), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["class_id"], ["classroom.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("sourced_id"),
    )
    op.create_index("ix_roster_enrolment_class_id", "roster_enrolment", ["class_id"])
    op.create_index("ix_roster_enrolment_user_id", "roster_enrolment", ["user_id"])
    op.create_table(
        "roster_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=255), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("summary", _JSON, nullable=False),
        sa.Column("report", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", models.types.UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("details", _JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_table(
        "purge_permit",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["audit_id"], ["audit_log.id"]),
        sa.PrimaryKeyConstraint("student_id"),
    )


def _sqlite_guards() -> None:
    for table, permitted in _PERMITTED.items():
        op.execute(f"DROP TRIGGER {table}_no_delete")
        op.execute(
            f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
            f"WHEN NOT {permitted} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE rejected'); END"
        )
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_log_no_{action.lower()} BEFORE {action} ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {action} rejected'); END"
        )


def _postgres_guards() -> None:
    for table, permitted in _PERMITTED.items():
        op.execute(
            f"""
            CREATE FUNCTION pathways_{table}_guard() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    IF {permitted} THEN
                        RETURN OLD;
                    END IF;
                END IF;
                RAISE EXCEPTION '% is append-only: % rejected', TG_TABLE_NAME, TG_OP;
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION pathways_{table}_guard()"
        )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION pathways_append_only()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION pathways_append_only()"
    )


def upgrade() -> None:
    _tables()
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _sqlite_guards()
    elif dialect == "postgresql":
        _postgres_guards()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in _PERMITTED:
            op.execute(f"DROP TRIGGER {table}_no_delete")
            op.execute(
                f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE rejected'); END"
            )
    elif dialect == "postgresql":
        for table in _PERMITTED:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION pathways_append_only()"
            )
            op.execute(f"DROP FUNCTION pathways_{table}_guard()")
    op.drop_table("purge_permit")
    op.drop_index("ix_audit_log_action", table_name="audit_log")
    op.drop_table("audit_log")  # its triggers go with it
    op.drop_table("roster_import")
    op.drop_index("ix_roster_enrolment_user_id", table_name="roster_enrolment")
    op.drop_index("ix_roster_enrolment_class_id", table_name="roster_enrolment")
    op.drop_table("roster_enrolment")
    op.drop_table("roster_class")
    op.drop_table("roster_user")
    op.drop_table("school")
