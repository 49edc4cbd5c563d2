"""The Art. 15 export (issue 15): data_exports, one row per export a person asked for (state,
progress, the ZIP's key while it may be downloaded). A person's own, across institutions: no
institution_id and so no row-level security, as sessions and idempotency keys.

Revision ID: 0096
Revises: 0095
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0096"
down_revision: str | None = "0095"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "data_exports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=5), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("object_key", sa.String(length=300), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=True),
        sa.Column("failure_reason", sa.String(length=60), nullable=True),
        sa.CheckConstraint(
            "state IN ('queued', 'building', 'ready', 'expired', 'failed')",
            name=op.f("ck_data_exports_state"),
        ),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_data_exports_progress")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_data_exports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_exports")),
    )
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.create_index("ix_data_exports_state", ["state"], unique=False)
        batch_op.create_index(
            "ix_data_exports_user_id_requested_at", ["user_id", "requested_at"], unique=False
        )
        batch_op.create_index(
            "uq_data_exports_running",
            ["user_id"],
            unique=True,
            postgresql_where=sa.text("state IN ('queued', 'building')"),
            sqlite_where=sa.text("state IN ('queued', 'building')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("data_exports", schema=None) as batch_op:
        batch_op.drop_index("uq_data_exports_running")
        batch_op.drop_index("ix_data_exports_user_id_requested_at")
        batch_op.drop_index("ix_data_exports_state")
    op.drop_table("data_exports")
