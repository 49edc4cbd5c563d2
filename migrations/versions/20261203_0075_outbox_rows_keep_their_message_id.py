"""An e-mail outbox row keeps the Message-ID of the digest it was first handed to SMTP in
(notification_outbox.email_message_id), so a digest resent after a worker died goes out
under the same Message-ID, whatever rows arrived since.

Revision ID: 0075
Revises: 0073
Create Date: 2026-12-03 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0075"
down_revision: str | None = "0073"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_message_id", sa.String(length=250), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification_outbox", schema=None) as batch_op:
        batch_op.drop_column("email_message_id")
