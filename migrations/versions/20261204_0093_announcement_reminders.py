"""Reminders of announcements with a due date (issue 16): a receipt remembers when its
reminder was enqueued, so that each person is reminded once per announcement whatever the
worker's runs and the outbox's retention.

Revision ID: 0093
Revises: 0089
Create Date: 2026-12-04 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0093"
down_revision: str | None = "0089"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("announcement_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("announcement_receipts", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
