"""Gaps found in daily use (issue 16). Reminders of announcements with a due date: a receipt
remembers when its reminder was enqueued, so that each person is reminded once per
announcement whatever the worker's runs and the outbox's retention. Shared inboxes' own
away replies (`message_inbox_auto_replies`), under row-level security in the form of 0071.

Revision ID: 0093
Revises: 0092
Create Date: 2026-12-04 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0093"
down_revision: str | None = "0092"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"


def upgrade() -> None:
    with op.batch_alter_table("announcement_receipts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "message_inbox_auto_replies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("group_id", sa.Uuid(), nullable=True),
        sa.Column("set_by", sa.Uuid(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id", "institution_id"],
            ["groups.id", "groups.institution_id"],
            name=op.f("fk_message_inbox_auto_replies_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_message_inbox_auto_replies_institution_id_institutions"),
        ),
        sa.ForeignKeyConstraint(
            ["set_by"], ["users.id"], name=op.f("fk_message_inbox_auto_replies_set_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_inbox_auto_replies")),
        sa.UniqueConstraint(
            "institution_id",
            "group_id",
            name=op.f("uq_message_inbox_auto_replies_institution_id_group_id"),
        ),
    )
    with op.batch_alter_table("message_inbox_auto_replies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_inbox_auto_replies_institution_id"),
            ["institution_id"],
            unique=False,
        )
        batch_op.create_index(
            "uq_message_inbox_auto_replies_institution",
            ["institution_id"],
            unique=True,
            postgresql_where=sa.text("group_id IS NULL"),
            sqlite_where=sa.text("group_id IS NULL"),
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE message_inbox_auto_replies ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE message_inbox_auto_replies FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON message_inbox_auto_replies"
            f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
        )


def downgrade() -> None:
    op.drop_table("message_inbox_auto_replies")
    with op.batch_alter_table("announcement_receipts", schema=None) as batch_op:
        batch_op.drop_column("reminded_at")
