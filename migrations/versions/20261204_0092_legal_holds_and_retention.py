"""Legal holds and retention of every kind (issue 15): legal_holds (an admin's hold on a child
or a thread, under row-level security in the form of 0071); account_erasure_notices (an
account left without any link, told and later erased; no institution's); and the account
mail's kind 'account_erasure'.

Revision ID: 0092
Revises: 0091
Create Date: 2026-12-04 15:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0092"
down_revision: str | None = "0091"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"
KINDS = "'password_reset', 'password_changed', 'email_change', 'email_changed'"
KIND_CHECK = "ck_account_emails_kind"


def _mail_kinds(allowed: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(op.f(KIND_CHECK), "account_emails", type_="check")
        op.create_check_constraint(op.f(KIND_CHECK), "account_emails", f"kind IN ({allowed})")
        return
    # SQLite cannot alter a constraint: batch mode copies the table with the new one.
    with op.batch_alter_table("account_emails", recreate="always") as batch_op:
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CHECK), f"kind IN ({allowed})")


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=True),
        sa.Column("thread_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("placed_by", sa.Uuid(), nullable=False),
        sa.Column("placed_by_name", sa.String(length=200), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_by", sa.Uuid(), nullable=True),
        sa.Column("released_by_name", sa.String(length=200), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(child_id IS NULL) <> (thread_id IS NULL)", name=op.f("ck_legal_holds_one_subject")
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_legal_holds_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_legal_holds_institution_id_placed_at",
            ["institution_id", "placed_at"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE legal_holds ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE legal_holds FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON legal_holds"
            f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
        )
    op.create_table(
        "account_erasure_notices",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erase_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_erasure_notices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_account_erasure_notices")),
    )
    with op.batch_alter_table("account_erasure_notices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_account_erasure_notices_erase_after"), ["erase_after"], unique=False
        )
    _mail_kinds(KINDS + ", 'account_erasure'")


def downgrade() -> None:
    op.execute("DELETE FROM account_emails WHERE kind = 'account_erasure'")
    _mail_kinds(KINDS)
    with op.batch_alter_table("account_erasure_notices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_account_erasure_notices_erase_after"))
    op.drop_table("account_erasure_notices")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON legal_holds")
    with op.batch_alter_table("legal_holds", schema=None) as batch_op:
        batch_op.drop_index("ix_legal_holds_institution_id_placed_at")
    op.drop_table("legal_holds")
