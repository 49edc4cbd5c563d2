"""stored files: uploads, cleaned, claimed by the rows that use them

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 11:40:32.847422
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('stored_files',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('uploaded_by', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('variants', sa.JSON(), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('image', 'document')", name=op.f('ck_stored_files_kind')),
    sa.CheckConstraint("purpose IN ('attachment', 'photo', 'pickup_photo')", name=op.f('ck_stored_files_purpose')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_stored_files_institution_id_institutions')),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_stored_files_uploaded_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stored_files')),
    sa.UniqueConstraint('id', 'institution_id', name=op.f('uq_stored_files_id_institution_id'))
    )
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stored_files_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_stored_files_unclaimed', ['created_at'], unique=False, postgresql_where=sa.text('claimed_at IS NULL'), sqlite_where=sa.text('claimed_at IS NULL'))
        batch_op.create_index(batch_op.f('ix_stored_files_uploaded_by'), ['uploaded_by'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE stored_files ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE stored_files FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON stored_files"
            " USING (institution_id = ANY (seddel_tenants()))"
            " WITH CHECK (institution_id = ANY (seddel_tenants()))"
        )


def downgrade() -> None:
    with op.batch_alter_table('stored_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stored_files_uploaded_by'))
        batch_op.drop_index('ix_stored_files_unclaimed', postgresql_where=sa.text('claimed_at IS NULL'), sqlite_where=sa.text('claimed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_stored_files_institution_id'))

    op.drop_table('stored_files')
