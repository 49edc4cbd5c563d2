"""Messaging: threads, participants (people and shared inboxes), per-person thread state,
messages (with Danish full-text search on PostgreSQL) and away replies, under row-level security.

Revision ID: 0010
Revises: 0031
Create Date: 2026-11-23 11:42:20.152357
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('message_auto_replies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_message_auto_replies_institution_id_institutions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_auto_replies_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_auto_replies')),
    sa.UniqueConstraint('institution_id', 'user_id', name=op.f('uq_message_auto_replies_institution_id_user_id'))
    )
    with op.batch_alter_table('message_auto_replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_auto_replies_institution_id'), ['institution_id'], unique=False)

    op.create_table('message_threads',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('created_by', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_broadcast', sa.Boolean(), nullable=False),
    sa.Column('reply_to_all', sa.Boolean(), nullable=False),
    sa.Column('audience', sa.String(length=300), nullable=False),
    sa.Column('sensitive', sa.Boolean(), nullable=False),
    sa.Column('parent_thread_id', sa.Uuid(), nullable=True),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_id', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_message_threads_created_by_users')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_message_threads_institution_id_institutions')),
    sa.ForeignKeyConstraint(['parent_thread_id', 'institution_id'], ['message_threads.id', 'message_threads.institution_id'], name=op.f('fk_message_threads_parent_thread_id_institution_id_message_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_threads')),
    sa.UniqueConstraint('id', 'institution_id', name=op.f('uq_message_threads_id_institution_id'))
    )
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_threads_created_by'), ['created_by'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_threads_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_message_threads_institution_id_last', ['institution_id', 'last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_threads_parent_thread_id'), ['parent_thread_id'], unique=False)

    op.create_table('message_participants',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=True),
    sa.Column('group_id', sa.Uuid(), nullable=True),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('can_reply', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(kind = 'user' AND user_id IS NOT NULL AND group_id IS NULL) OR (kind = 'group_inbox' AND group_id IS NOT NULL AND user_id IS NULL) OR (kind = 'institution_inbox' AND user_id IS NULL AND group_id IS NULL)", name=op.f('ck_message_participants_participant_target')),
    sa.CheckConstraint("kind IN ('user', 'group_inbox', 'institution_inbox')", name=op.f('ck_message_participants_participant_kind')),
    sa.CheckConstraint("role IN ('staff', 'guardian')", name=op.f('ck_message_participants_thread_role')),
    sa.ForeignKeyConstraint(['group_id', 'institution_id'], ['groups.id', 'groups.institution_id'], name=op.f('fk_message_participants_group_id_institution_id_groups')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_message_participants_institution_id_institutions')),
    sa.ForeignKeyConstraint(['thread_id', 'institution_id'], ['message_threads.id', 'message_threads.institution_id'], name=op.f('fk_message_participants_thread_id_institution_id_message_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_participants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_participants'))
    )
    with op.batch_alter_table('message_participants', schema=None) as batch_op:
        batch_op.create_index('ix_message_participants_group_id', ['group_id', 'thread_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_participants_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_message_participants_thread_id', ['thread_id'], unique=False)
        batch_op.create_index('ix_message_participants_user_id', ['user_id', 'thread_id'], unique=False)

    op.create_table('message_thread_states',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('last_read_message_id', sa.Uuid(), nullable=True),
    sa.Column('last_read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('muted', sa.Boolean(), nullable=False),
    sa.Column('archived', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_message_thread_states_institution_id_institutions')),
    sa.ForeignKeyConstraint(['thread_id', 'institution_id'], ['message_threads.id', 'message_threads.institution_id'], name=op.f('fk_message_thread_states_thread_id_institution_id_message_threads'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_message_thread_states_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_thread_states')),
    sa.UniqueConstraint('thread_id', 'user_id', name=op.f('uq_message_thread_states_thread_id_user_id'))
    )
    with op.batch_alter_table('message_thread_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_thread_states_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_message_thread_states_user_id', ['user_id', 'thread_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('sender_id', sa.Uuid(), nullable=False),
    sa.Column('sender_role', sa.String(length=10), nullable=False),
    sa.Column('sent_as_group_id', sa.Uuid(), nullable=True),
    sa.Column('sent_as_institution', sa.Boolean(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('quoted_message_id', sa.Uuid(), nullable=True),
    sa.Column('is_auto_reply', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_messages_institution_id_institutions')),
    sa.ForeignKeyConstraint(['quoted_message_id'], ['messages.id'], name=op.f('fk_messages_quoted_message_id_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['sender_id'], ['users.id'], name=op.f('fk_messages_sender_id_users')),
    sa.ForeignKeyConstraint(['sent_as_group_id', 'institution_id'], ['groups.id', 'groups.institution_id'], name=op.f('fk_messages_sent_as_group_id_institution_id_groups')),
    sa.ForeignKeyConstraint(['thread_id', 'institution_id'], ['message_threads.id', 'message_threads.institution_id'], name=op.f('fk_messages_thread_id_institution_id_message_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('id', 'institution_id', name=op.f('uq_messages_id_institution_id'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_sender_id'), ['sender_id'], unique=False)
        batch_op.create_index('ix_messages_thread_id', ['thread_id', 'id'], unique=False)
        batch_op.create_index('ix_messages_thread_id_live', ['thread_id', 'id'], unique=False, postgresql_where=sa.text('deleted_at IS NULL'), sqlite_where=sa.text('deleted_at IS NULL'))

    op.create_table('message_thread_children',
    sa.Column('thread_id', sa.Uuid(), nullable=False),
    sa.Column('child_id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['child_id', 'institution_id'], ['children.id', 'children.institution_id'], name=op.f('fk_message_thread_children_child_id_institution_id_children'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_message_thread_children_institution_id_institutions')),
    sa.ForeignKeyConstraint(['thread_id', 'institution_id'], ['message_threads.id', 'message_threads.institution_id'], name=op.f('fk_message_thread_children_thread_id_institution_id_message_threads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('thread_id', 'child_id', name=op.f('pk_message_thread_children'))
    )
    with op.batch_alter_table('message_thread_children', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_thread_children_child_id'), ['child_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_children_institution_id'), ['institution_id'], unique=False)

    op.create_table('message_attachments',
    sa.Column('message_id', sa.Uuid(), nullable=False),
    sa.Column('file_id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id', 'institution_id'], ['stored_files.id', 'stored_files.institution_id'], name=op.f('fk_message_attachments_file_id_institution_id_stored_files'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_message_attachments_institution_id_institutions')),
    sa.ForeignKeyConstraint(['message_id', 'institution_id'], ['messages.id', 'messages.institution_id'], name=op.f('fk_message_attachments_message_id_institution_id_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('message_id', 'file_id', name=op.f('pk_message_attachments'))
    )
    with op.batch_alter_table('message_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_attachments_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_attachments_institution_id'), ['institution_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_messages_body_fts ON messages"
            " USING gin (to_tsvector('danish'::regconfig, body))"
        )
        for table in TENANT_TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_isolation ON {table}"
                " USING (institution_id = ANY (seddel_tenants()))"
                " WITH CHECK (institution_id = ANY (seddel_tenants()))"
            )


TENANT_TABLES = (
    "message_auto_replies",
    "message_threads",
    "message_participants",
    "message_thread_states",
    "messages",
    "message_thread_children",
    "message_attachments",
)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_messages_body_fts")
        for table in TENANT_TABLES:
            op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")

    with op.batch_alter_table('message_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_attachments_institution_id'))
        batch_op.drop_index(batch_op.f('ix_message_attachments_file_id'))

    op.drop_table('message_attachments')
    with op.batch_alter_table('message_thread_children', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_thread_children_institution_id'))
        batch_op.drop_index(batch_op.f('ix_message_thread_children_child_id'))

    op.drop_table('message_thread_children')
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_thread_id_live', postgresql_where=sa.text('deleted_at IS NULL'), sqlite_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index('ix_messages_thread_id')
        batch_op.drop_index(batch_op.f('ix_messages_sender_id'))
        batch_op.drop_index(batch_op.f('ix_messages_institution_id'))

    op.drop_table('messages')
    with op.batch_alter_table('message_thread_states', schema=None) as batch_op:
        batch_op.drop_index('ix_message_thread_states_user_id')
        batch_op.drop_index(batch_op.f('ix_message_thread_states_institution_id'))

    op.drop_table('message_thread_states')
    with op.batch_alter_table('message_participants', schema=None) as batch_op:
        batch_op.drop_index('ix_message_participants_user_id')
        batch_op.drop_index('ix_message_participants_thread_id')
        batch_op.drop_index(batch_op.f('ix_message_participants_institution_id'))
        batch_op.drop_index('ix_message_participants_group_id')

    op.drop_table('message_participants')
    with op.batch_alter_table('message_threads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_threads_parent_thread_id'))
        batch_op.drop_index('ix_message_threads_institution_id_last')
        batch_op.drop_index(batch_op.f('ix_message_threads_institution_id'))
        batch_op.drop_index(batch_op.f('ix_message_threads_created_by'))

    op.drop_table('message_threads')
    with op.batch_alter_table('message_auto_replies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_auto_replies_institution_id'))

    op.drop_table('message_auto_replies')
