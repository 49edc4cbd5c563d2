"""Why a guardian takes part in a thread (message_participant_bases), so that guardians leave
threads when the child that reached them moves to another group or leaves the institution,
or their link to it ends or loses its access.

Existing participants get their reasons from what the threads still tell: a thread about
children, through those children; a broadcast to all guardians, through each of their
children; a broadcast to groups (which stored only the groups' names), through each of their
children in the child's present group. Guardians who started a thread get none.

Revision ID: 0061
Revises: 0060
Create Date: 2026-11-23 14:43:24.379700
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0061'
down_revision: str | None = '0060'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


BACKFILL = """
INSERT INTO message_participant_bases (participant_id, child_id, institution_id, group_id)
SELECT p.id, tc.child_id, p.institution_id, NULL
FROM message_participants p
JOIN message_threads t ON t.id = p.thread_id
JOIN message_thread_children tc ON tc.thread_id = p.thread_id
JOIN guardian_links l ON l.child_id = tc.child_id AND l.user_id = p.user_id
WHERE p.kind = 'user' AND p.role = 'guardian' AND p.user_id <> t.created_by
UNION ALL
SELECT p.id, l.child_id, p.institution_id,
       CASE WHEN t.audience = 'institution' THEN NULL ELSE c.group_id END
FROM message_participants p
JOIN message_threads t ON t.id = p.thread_id
JOIN guardian_links l ON l.user_id = p.user_id AND l.institution_id = p.institution_id
JOIN children c ON c.id = l.child_id
WHERE p.kind = 'user' AND p.role = 'guardian' AND p.user_id <> t.created_by
  AND (t.audience = 'institution' OR (t.audience LIKE 'groups:%' AND c.group_id IS NOT NULL))
"""


def upgrade() -> None:
    # The composite key below needs (id, institution_id) unique first.
    with op.batch_alter_table('message_participants', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_message_participants_id_institution_id'), ['id', 'institution_id'])

    op.create_table('message_participant_bases',
    sa.Column('participant_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_message_participant_bases_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id', 'institution_id'], ['groups.id', 'groups.institution_id'], name=op.f('fk_message_participant_bases_group_id_institution_id_groups')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_message_participant_bases_institution_id_institutions')),
    sa.ForeignKeyConstraint(['participant_id', 'institution_id'], ['message_participants.id', 'message_participants.institution_id'], name=op.f('fk_message_participant_bases_participant_id_institution_id_message_participants'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('participant_id', 'child_id', name=op.f('pk_message_participant_bases'))
    )
    with op.batch_alter_table('message_participant_bases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_participant_bases_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_participant_bases_institution_id'), ['institution_id'], unique=False)

    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE message_participant_bases ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE message_participant_bases FORCE ROW LEVEL SECURITY")
        op.execute(
            "CREATE POLICY tenant_isolation ON message_participant_bases"
            " USING (institution_id = ANY (seddel_tenants()))"
            " WITH CHECK (institution_id = ANY (seddel_tenants()))"
        )
        # FORCE holds the owner to the policies too: open every tenant for this transaction
        # (listing the institutions through the system jobs' policy), as a system job would.
        op.execute("SELECT set_config('seddel.system_job', 'list_institutions', true)")
        op.execute(
            "SELECT set_config('seddel.institution_ids',"
            " coalesce((SELECT string_agg(id::text, ',') FROM institutions), ''), true)"
        )
    op.execute(BACKFILL)
    if postgres:
        op.execute("SELECT set_config('seddel.institution_ids', '', true)")
        op.execute("SELECT set_config('seddel.system_job', '', true)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY IF EXISTS tenant_isolation ON message_participant_bases")
    with op.batch_alter_table('message_participant_bases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_participant_bases_institution_id'))
        batch_op.drop_index(batch_op.f('ix_message_participant_bases_child_id'))

    op.drop_table('message_participant_bases')
    with op.batch_alter_table('message_participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_message_participants_id_institution_id'), type_='unique')
