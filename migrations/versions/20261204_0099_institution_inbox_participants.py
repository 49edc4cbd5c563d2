"""The threads that reach an institution's shared inbox, found by index: message_participants
rows of kind 'institution_inbox' by (institution_id, thread_id), a partial index. A member of
staff's visible threads are the ones they take part in (ix_message_participants_user_id) or
whose institution inbox they read; with this index PostgreSQL answers the two halves with a
BitmapOr instead of reading every participant of the institution (issue 11: the compiled
inbox writes the participant kinds into its statement, so its plan can use the index).

Revision ID: 0099
Revises: 0098
Create Date: 2026-12-04 21:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0099"
down_revision: str | None = "0098"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_message_participants_institution_inbox"


def upgrade() -> None:
    with op.batch_alter_table("message_participants", schema=None) as batch_op:
        batch_op.create_index(
            INDEX,
            ["institution_id", "thread_id"],
            unique=False,
            postgresql_where=sa.text("kind = 'institution_inbox'"),
            sqlite_where=sa.text("kind = 'institution_inbox'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("message_participants", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
