"""LTI 1.3: platform registrations, the tool's keys, logins, linked accounts and classes,
resource links, and the score outbox

`lti_platform`: each LMS registration (issuer, client id, deployments, endpoints).
`lti_key`: the tool's RSA keys (a retired one stays published for a grace period).
`lti_login`: OIDC login state and nonce, each used by one launch. `lti_account` and
`lti_context`: which user and class a platform's `sub` and context are. `lti_link`:
an LMS assignment's class, goal and line item. `lti_grade_target` and
`lti_score_outbox`: whose progress goes to which line item, and the scores still to
send (written with the answer, sent in the background).

Revision ID: 0008_lti
Revises: 0007_roster
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0008_lti"
down_revision: str | None = "0007_roster"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
_TIME = models.types.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "lti_platform",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=1000), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("deployment_ids", _JSON, nullable=False),
        sa.Column("auth_login_url", sa.String(length=1000), nullable=False),
        sa.Column("auth_token_url", sa.String(length=1000), nullable=False),
        sa.Column("jwks_url", sa.String(length=1000), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issuer", "client_id", name="uq_lti_platform_client"),
    )
    op.create_table(
        "lti_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("private_pem", sa.Text(), nullable=False),
        sa.Column("public_jwk", _JSON, nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("retired_at", _TIME(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )
    op.create_table(
        "lti_login",
        sa.Column("state", sa.String(length=64), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("used_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("state"),
        sa.UniqueConstraint("nonce"),
    )
    op.create_table(
        "lti_account",
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("platform_id", "sub"),
    )
    op.create_index("ix_lti_account_user_id", "lti_account", ["user_id"])
    op.create_table(
        "lti_context",
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.String(length=255), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("memberships_url", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["class_id"], ["classroom.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("platform_id", "context_id"),
    )
    op.create_index("ix_lti_context_class_id", "lti_context", ["class_id"])
    op.create_table(
        "lti_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("resource_link_id", sa.String(length=255), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("goal", sa.String(length=120), nullable=True),
        sa.Column("lineitem_url", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["platform_id"], ["lti_platform.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["class_id"], ["classroom.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "resource_link_id", name="uq_lti_link"),
    )
    op.create_table(
        "lti_grade_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("sub", sa.String(length=255), nullable=False),
        sa.Column("last_score", sa.Float(), nullable=True),
        sa.Column("last_sent_at", _TIME(), nullable=True),
        sa.ForeignKeyConstraint(["link_id"], ["lti_link.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("link_id", "user_id", name="uq_lti_grade_target"),
    )
    op.create_index("ix_lti_grade_target_user_id", "lti_grade_target", ["user_id"])
    op.create_table(
        "lti_score_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("response_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _TIME(), nullable=False),
        sa.Column("next_attempt_at", _TIME(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("sent_at", _TIME(), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["target_id"], ["lti_grade_target.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_lti_score_outbox_due", "lti_score_outbox", ["sent_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_lti_score_outbox_due", table_name="lti_score_outbox")
    op.drop_table("lti_score_outbox")
    op.drop_index("ix_lti_grade_target_user_id", table_name="lti_grade_target")
    op.drop_table("lti_grade_target")
    op.drop_table("lti_link")
    op.drop_index("ix_lti_context_class_id", table_name="lti_context")
    op.drop_table("lti_context")
    op.drop_index("ix_lti_account_user_id", table_name="lti_account")
    op.drop_table("lti_account")
    op.drop_table("lti_login")
    op.drop_table("lti_key")
    op.drop_table("lti_platform")
