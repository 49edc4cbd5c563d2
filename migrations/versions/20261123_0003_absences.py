"""Absences (sickness open until reported well, vacation, other), under row-level security.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:54:22.629564
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('absences',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_day', sa.Date(), nullable=False),
    sa.Column('until_day', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('registered_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('sick', 'vacation', 'other')", name=op.f('ck_absences_kind')),
    sa.CheckConstraint('until_day IS NULL OR until_day >= from_day', name=op.f('ck_absences_period')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_absences_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_absences_institution_id_institutions')),
    sa.ForeignKeyConstraint(['registered_by'], ['users.id'], name=op.f('fk_absences_registered_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absences'))
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_absences_institution_id'), ['institution_id'], unique=False)




    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE absences ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE absences FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON absences"
            " USING (institution_id = ANY (seddel_tenants()))"
            " WITH CHECK (institution_id = ANY (seddel_tenants()))"
        )


def downgrade() -> None:

    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absences_institution_id'))
        batch_op.drop_index(batch_op.f('ix_absences_child_id'))

    op.drop_table('absences')

