"""Pickup person photo: an optional stored file of the same institution (no new table).

Revision ID: 0031
Revises: 0051
Create Date: 2026-11-23 13:23:37.220032
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0031'
down_revision: str | None = '0051'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('pickup_persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_file_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_pickup_persons_photo_file_id', ['photo_file_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_pickup_persons_photo_file_id_institution_id_stored_files'), 'stored_files', ['photo_file_id', 'institution_id'], ['id', 'institution_id'])



def downgrade() -> None:
    with op.batch_alter_table('pickup_persons', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_pickup_persons_photo_file_id_institution_id_stored_files'), type_='foreignkey')
        batch_op.drop_index('ix_pickup_persons_photo_file_id')
        batch_op.drop_column('photo_file_id')

