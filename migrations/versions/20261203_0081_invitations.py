"""Invitations (issue 13): what an institution's admins see per invited person, and the
SHA-256 of each single-use token.

`invitations` is a tenant table (row-level security: the institution's rows, or the invitee's
own). `invitation_tokens` has no institution_id and no row-level security, like `sessions`:
accepting is anonymous, and only the hash of a token that was mailed finds its row.

Revision ID: 0081
Revises: 0078
Create Date: 2026-12-03 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0081'
down_revision: str | None = "0078"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('invitations',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('institution_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('invited_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("role IN ('admin', 'staff', 'guardian')", name=op.f('ck_invitations_role')),
    sa.ForeignKeyConstraint(['institution_id'], ['institutions.id'], name=op.f('fk_invitations_institution_id_institutions')),
    sa.ForeignKeyConstraint(['invited_by'], ['users.id'], name=op.f('fk_invitations_invited_by_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitations_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_institution_id'), ['institution_id'], unique=False)
        batch_op.create_index('ix_invitations_institution_id_user_id', ['institution_id', 'user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitations_user_id'), ['user_id'], unique=False)

    op.create_table('invitation_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('invitation_id', sa.Uuid(), nullable=False),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invitation_id'], ['invitations.id'], name=op.f('fk_invitation_tokens_invitation_id_invitations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_invitation_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_invitation_tokens'))
    )
    with op.batch_alter_table('invitation_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_tokens_invitation_id'), ['invitation_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE invitations ENABLE ROW LEVEL SECURITY")
        op.execute("ALTER TABLE invitations FORCE ROW LEVEL SECURITY")
        # The shape of 0071's "tenant rows or the user's own rows": the invitee reads their
        # own invitation when accepting it, before any tenant scope is known.
        op.execute(
            "CREATE POLICY tenant_isolation ON invitations"
            " USING (institution_id = ANY ((SELECT seddel_tenants())::uuid[])"
            " OR user_id = (SELECT seddel_user()))"
            " WITH CHECK (institution_id = ANY ((SELECT seddel_tenants())::uuid[]))"
        )


def downgrade() -> None:
    with op.batch_alter_table('invitation_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_tokens_invitation_id'))
    op.drop_table('invitation_tokens')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitations_user_id'))
        batch_op.drop_index('ix_invitations_institution_id_user_id')
        batch_op.drop_index(batch_op.f('ix_invitations_institution_id'))
    op.drop_table('invitations')
