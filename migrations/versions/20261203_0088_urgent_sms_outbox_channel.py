"""Urgent SMS: the outbox's channel may be 'sms' (the institution's opt-in and monthly cap are
institution settings, in the JSON column; phones stay in users.phone, now E.164).

Revision ID: 0088
Revises: 0087
Create Date: 2026-12-03 18:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0088"
down_revision: str | None = "0087"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_notification_outbox_channel"


def _channels(allowed: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(NAME), "notification_outbox", type_="check")
        op.create_check_constraint(op.f(NAME), "notification_outbox", f"channel IN ({allowed})")
        return
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("notification_outbox", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_="check")
        batch_op.create_check_constraint(op.f(NAME), f"channel IN ({allowed})")


def upgrade() -> None:
    _channels("'push', 'email', 'sms'")


def downgrade() -> None:
    op.execute("DELETE FROM notification_outbox WHERE channel = 'sms'")
    _channels("'push', 'email'")
