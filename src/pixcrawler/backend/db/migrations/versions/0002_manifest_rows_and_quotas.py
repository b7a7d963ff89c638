"""Images hold whole manifest rows (cross_class, retryable); per-class quotas shared by chunks.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copy of the model type: a migration must not change when models.py does.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), server_default="0", nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("images") as images:
        for name in ("cross_class", "retryable"):
            images.add_column(
                sa.Column(name, sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    op.create_table(
        "class_quotas",
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        _counter("taken"),
        _counter("kept"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_class_quotas_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "label", name=op.f("pk_class_quotas")),
    )
    op.create_table(
        "chunk_quotas",
        sa.Column("chunk_id", BIG_ID, nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        _counter("taken"),
        _counter("kept"),
        sa.ForeignKeyConstraint(
            ["chunk_id"],
            ["chunks.id"],
            name=op.f("fk_chunk_quotas_chunk_id_chunks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chunk_id", "label", name=op.f("pk_chunk_quotas")),
    )


def downgrade() -> None:
    op.drop_table("chunk_quotas")
    op.drop_table("class_quotas")
    with op.batch_alter_table("images") as images:
        images.drop_column("retryable")
        images.drop_column("cross_class")
