"""The delivery record is kept by the institution's retention, not the outbox's: a record
outlives its outbox row (outbox_id set null, no longer cascaded) and says on its own whom,
about what and how (user_id, subject_id, kind, link, filled from the outbox for existing rows);
created_at: when the record began, what the SMS monthly cap counts by (in the institution's
local month).

Revision ID: 0091
Revises: 0090
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0091"
down_revision: str | None = "0090"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "notification_deliveries"
OUTBOX_FK = "fk_notification_deliveries_outbox_id_notification_outbox"
USER_FK = "fk_notification_deliveries_user_id_users"
SUBJECT_INDEX = "ix_notification_deliveries_institution_id_subject_id"


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.add_column(sa.Column("user_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("subject_id", sa.Uuid(), nullable=True))
        batch_op.add_column(sa.Column("kind", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("link", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("created_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(f"UPDATE {TABLE} SET created_at = updated_at")
    for column in ("user_id", "subject_id", "kind", "link"):
        op.execute(
            f"UPDATE {TABLE} SET {column} = (SELECT o.{column} FROM notification_outbox o"
            f" WHERE o.id = {TABLE}.outbox_id)"
        )
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        for column in ("user_id", "subject_id", "kind", "link", "created_at"):
            batch_op.alter_column(column, nullable=False)
        batch_op.alter_column("outbox_id", existing_type=sa.Uuid(), nullable=True)
        batch_op.drop_constraint(op.f(OUTBOX_FK), type_="foreignkey")
        batch_op.create_foreign_key(
            op.f(OUTBOX_FK), "notification_outbox", ["outbox_id"], ["id"], ondelete="SET NULL"
        )
        batch_op.create_foreign_key(op.f(USER_FK), "users", ["user_id"], ["id"], ondelete="CASCADE")
        batch_op.create_index(SUBJECT_INDEX, ["institution_id", "subject_id"], unique=False)


def downgrade() -> None:
    op.execute(f"DELETE FROM {TABLE} WHERE outbox_id IS NULL")
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(SUBJECT_INDEX)
        batch_op.drop_constraint(op.f(USER_FK), type_="foreignkey")
        batch_op.drop_constraint(op.f(OUTBOX_FK), type_="foreignkey")
        batch_op.create_foreign_key(
            op.f(OUTBOX_FK), "notification_outbox", ["outbox_id"], ["id"], ondelete="CASCADE"
        )
        batch_op.alter_column("outbox_id", existing_type=sa.Uuid(), nullable=False)
        for column in ("created_at", "link", "kind", "subject_id", "user_id"):
            batch_op.drop_column(column)
