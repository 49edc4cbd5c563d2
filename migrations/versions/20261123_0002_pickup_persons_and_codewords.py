"""Pickup persons (hentetilladelse) and pickup codewords, under row-level security.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:50:34.529067
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table('pickup_codewords',
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('codeword', sa.String(length=100), nullable=False),
    sa.Column('set_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_pickup_codewords_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_pickup_codewords_institution_id_institutions')),
    sa.ForeignKeyConstraint(['set_by'], ['users.id'], name=op.f('fk_pickup_codewords_set_by_users')),
    sa.PrimaryKeyConstraint('child_id', name=op.f('pk_pickup_codewords'))
    )
    with op.batch_alter_table('pickup_codewords', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pickup_codewords_institution_id'), ['institution_id'], unique=False)

    op.create_table('pickup_persons',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('relation', sa.String(length=100), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from', name=op.f('ck_pickup_persons_validity')),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_pickup_persons_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_pickup_persons_created_by_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_pickup_persons_institution_id_institutions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pickup_persons'))
    )
    with op.batch_alter_table('pickup_persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pickup_persons_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pickup_persons_institution_id'), ['institution_id'], unique=False)




    if op.get_bind().dialect.name == "postgresql":
        for table in TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table}"
                " USING (institution_id = ANY (seddel_tenants()))"
                " WITH CHECK (institution_id = ANY (seddel_tenants()))"
            )


TENANT_TABLES = ("pickup_codewords", "pickup_persons")


def downgrade() -> None:

    with op.batch_alter_table('pickup_persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pickup_persons_institution_id'))
        batch_op.drop_index(batch_op.f('ix_pickup_persons_child_id'))

    op.drop_table('pickup_persons')
    with op.batch_alter_table('pickup_codewords', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pickup_codewords_institution_id'))

    op.drop_table('pickup_codewords')

