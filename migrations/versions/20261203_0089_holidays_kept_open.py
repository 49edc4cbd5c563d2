"""The calendar of closed days (issue 16): Danish public holidays count as closed unless the
admin keeps one open for that year; this table holds those choices, under row-level security
in the form of 0071 (the tenant scope read once per statement).

Revision ID: 0089
Revises: 0088
Create Date: 2026-12-03 18:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0089'
down_revision: str | None = "0088"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_ROWS = "institution_id = ANY ((SELECT seddel_tenants())::uuid[])"


def upgrade() -> None:
    op.create_table('holidays_kept_open',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_holidays_kept_open_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holidays_kept_open')),
    sa.UniqueConstraint('institution_id', 'day', name=op.f('uq_holidays_kept_open_institution_id_day'))
    )
    with op.batch_alter_table('holidays_kept_open', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_holidays_kept_open_institution_id'), ['institution_id'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE holidays_kept_open ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE holidays_kept_open FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON holidays_kept_open"
            f" USING ({TENANT_ROWS}) WITH CHECK ({TENANT_ROWS})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON holidays_kept_open")
    with op.batch_alter_table('holidays_kept_open', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_holidays_kept_open_institution_id'))
    op.drop_table('holidays_kept_open')
