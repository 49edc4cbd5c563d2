"""Roster import (issue 16): a child's external id (the municipality's or the roster system's,
unique per institution; what an import matches by), and the kept dry runs of roster imports
(`roster_imports`, expiring), under row-level security in the form of 0071.

Revision ID: 0097
Revises: 0096
Create Date: 2026-12-04 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0097"
down_revision: str | None = "0096"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"


def upgrade() -> None:
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.add_column(sa.Column("external_id", sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_children_institution_id_external_id"), ["institution_id", "external_id"]
        )
    op.create_table(
        "roster_imports",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("committed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("file_sha256", sa.String(length=64), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_roster_imports_created_by_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["institution_id"],
            ["institutions.id"],
            name=op.f("fk_roster_imports_institution_id_institutions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_imports")),
    )
    with op.batch_alter_table("roster_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roster_imports_institution_id"), ["institution_id"], unique=False
        )
        batch_op.create_index(
            "ix_roster_imports_institution_id_expires_at",
            ["institution_id", "expires_at"],
            unique=False,
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE roster_imports ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE roster_imports FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON roster_imports"
            f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
        )


def downgrade() -> None:
    op.drop_table("roster_imports")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_children_institution_id_external_id"), type_="unique"
        )
        batch_op.drop_column("external_id")
