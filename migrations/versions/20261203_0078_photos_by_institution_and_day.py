"""Photos by institution and day: a child's day finds its photos among that day's photos of
its institution, whatever the institution's photo history (issue 11, step 6). The index of institution_id
alone goes: the new one leads with it.

Revision ID: 0078
Revises: 0076
Create Date: 2026-12-03 14:10:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '0078'
down_revision: str | None = '0076'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        'ix_photos_institution_id_taken_on', 'photos', ['institution_id', 'taken_on', 'id']
    )
    # It leads with institution_id: the index of that column alone only tempts the planner
    # to read every photo of the institution and filter the day out.
    op.drop_index('ix_photos_institution_id', table_name='photos')


def downgrade() -> None:
    op.create_index('ix_photos_institution_id', 'photos', ['institution_id'])
    op.drop_index('ix_photos_institution_id_taken_on', table_name='photos')
