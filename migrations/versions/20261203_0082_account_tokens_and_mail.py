"""Password reset and e-mail change (issue 13): single-use tokens (their SHA-256 only) and
the outbox of mail about a person's account.

Neither is an institution's: no institution_id and no row-level security. Both are written
by requests of people who may not be signed in (a forgotten password), reached by the token's
hash or by the worker.

Revision ID: 0082
Revises: 0081
Create Date: 2026-12-03 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0082"
down_revision: str | None = "0081"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("new_email", sa.String(length=320), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "purpose IN ('password_reset', 'email_change')", name=op.f("ck_account_tokens_purpose")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_tokens_token_hash")),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index("ix_account_tokens_user_id", ["user_id", "purpose"], unique=False)
        batch_op.create_index("ix_account_tokens_expires_at", ["expires_at"], unique=False)

    op.create_table(
        "account_emails",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("token_id", sa.Uuid(), nullable=True),
        sa.Column("to_address", sa.String(length=320), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('password_reset', 'password_changed', 'email_change', 'email_changed')",
            name=op.f("ck_account_emails_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_account_emails_status")
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["account_tokens.id"],
            name=op.f("fk_account_emails_token_id_account_tokens"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_emails_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_emails")),
    )
    with op.batch_alter_table("account_emails", schema=None) as batch_op:
        batch_op.create_index(
            "ix_account_emails_due",
            ["due_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )
        batch_op.create_index("ix_account_emails_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("account_emails", schema=None) as batch_op:
        batch_op.drop_index("ix_account_emails_user_id")
        batch_op.drop_index("ix_account_emails_due")
    op.drop_table("account_emails")
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.drop_index("ix_account_tokens_expires_at")
        batch_op.drop_index("ix_account_tokens_user_id")
    op.drop_table("account_tokens")
