"""session generation per user, known login addresses

`user.token_generation`: tokens carry the generation they were issued in; logging
out or changing the password moves it on, which ends every earlier session in every
process (checked with the user row on each request). `login_address`: where each
account last logged in, so a classroom's shared address does not lock it out.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE on both databases (SQLite >= 3.35 drops columns too): a batch
    # "copy and move" of the user table would cascade deletes into its dependents.
    op.add_column(
        "user", sa.Column("token_generation", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "login_address",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("last_login_at", models.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "ip"),
    )


def downgrade() -> None:
    op.drop_table("login_address")
    op.drop_column("user", "token_generation")
