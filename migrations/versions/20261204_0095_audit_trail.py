"""The audit trail of writes to children's data (issue 15): audit_trail, one row per written
row of an audited model (day entries, presence, absences, pickup, consents, custody, the
roster, the child's record) with the changed columns before and after; under row-level
security in the form of 0071. No foreign keys to children or users: the trail outlives both
until its own retention (institution setting audit_trail_retention_months) ends.

Revision ID: 0095
Revises: 0094
Create Date: 2026-12-04 19:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0095"
down_revision: str | None = "0094"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"


def upgrade() -> None:
    op.create_table(
        "audit_trail",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("child_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("device_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("entity_type", sa.String(length=50), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("request_id", sa.String(length=100), nullable=False),
        sa.Column("operation", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_trail")),
    )
    with op.batch_alter_table("audit_trail", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_trail_institution_id_at", ["institution_id", "at", "id"], unique=False
        )
        batch_op.create_index(
            "ix_audit_trail_child", ["institution_id", "child_id", "at"], unique=False
        )
        batch_op.create_index(
            "ix_audit_trail_user", ["institution_id", "user_id", "at"], unique=False
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE audit_trail ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE audit_trail FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON audit_trail"
            f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON audit_trail")
    with op.batch_alter_table("audit_trail", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_trail_user")
        batch_op.drop_index("ix_audit_trail_child")
        batch_op.drop_index("ix_audit_trail_institution_id_at")
    op.drop_table("audit_trail")
