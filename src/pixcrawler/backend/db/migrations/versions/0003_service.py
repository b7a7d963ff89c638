"""The service: users' identity and role, API-key scopes and last use, rejected images, activity.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("auth_subject", sa.String(length=200), nullable=True))
        users.add_column(
            sa.Column("role", sa.String(length=16), server_default="user", nullable=False)
        )
        users.create_unique_constraint(op.f("uq_users_auth_subject"), ["auth_subject"])
    with op.batch_alter_table("api_keys") as keys:
        keys.add_column(
            sa.Column("scopes", sa.String(length=64), server_default="read,write", nullable=False)
        )
        keys.add_column(sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("images") as images:
        images.add_column(sa.Column("rejected_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "activity",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activity_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    op.create_index(op.f("ix_activity_user_id_id"), "activity", ["user_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_activity_user_id_id"), table_name="activity")
    op.drop_table("activity")
    with op.batch_alter_table("images") as images:
        images.drop_column("rejected_at")
    with op.batch_alter_table("api_keys") as keys:
        keys.drop_column("last_used_at")
        keys.drop_column("scopes")
    with op.batch_alter_table("users") as users:
        users.drop_constraint(op.f("uq_users_auth_subject"), type_="unique")
        users.drop_column("role")
        users.drop_column("auth_subject")
